"""LLM Chain Lab dashboard: the entry point (``streamlit run dashboard/app.py``, or ``./run_dashboard.sh``).

The router and the frame only: the page config, the KPI cards' style, the levers from a shared link, and
``st.navigation`` over the pages. Each page is ``<section>/page.py`` in the folder of its name; the project is
installed (``pip install -e .``, scripts/setup.sh), so the pages import ``sim``, ``ecosystem`` and ``dashboard``.
"""

from pathlib import Path

import streamlit as st

from dashboard.components import levers

# No folder here may be named pages/: a pages/ folder beside the entry script switches Streamlit to its legacy
# multipage mode, where a first request to /explore would run the page without this script.
HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="LLM Chain Lab", page_icon=":material/hub:", layout="wide")
# KPI cards: a smaller value font that wraps instead of cutting "268T tokens/month" to "268T tok…"
st.html("""<style>
[data-testid="stMetricValue"] { font-size: 1.6rem; line-height: 1.25; }
[data-testid="stMetricValue"] .stMarkdownEllipsis, [data-testid="stMetricValue"] p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] p,
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
</style>""")
levers.init_session()  # levers from a shared link (?preset=...&carbon=...) before any page runs

explore = st.Page(HERE / "explore" / "page.py", title="Explore", icon=":material/explore:", url_path="explore")


def _home() -> None:
    """The root URL opens Explore with the link's parameters. Explore is not itself the default page: Streamlit
    serves the default page at / only, and a first request to /explore would answer "Page not found"."""
    st.switch_page(explore, query_params={k: st.query_params.get_all(k) for k in st.query_params})


page = st.navigation(
    {
        "Scenarios": [
            st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
            explore,
            st.Page(HERE / "compare" / "page.py", title="Compare & sweep", icon=":material/compare_arrows:",
                    url_path="compare"),
            st.Page(HERE / "ethics" / "page.py", title="Ethics", icon=":material/balance:", url_path="ethics"),
        ],
        "Calendar time": [
            st.Page(HERE / "reality" / "page.py", title="Reality check", icon=":material/fact_check:",
                    url_path="reality"),
            st.Page(HERE / "forecast" / "page.py", title="Forecast", icon=":material/trending_up:",
                    url_path="forecast"),
        ],
        "Learn and plan": [
            st.Page(HERE / "classroom" / "page.py", title="Classroom", icon=":material/school:",
                    url_path="classroom"),
            st.Page(HERE / "plan" / "page.py", title="Cost planner", icon=":material/calculate:", url_path="plan"),
        ],
    }
)
try:
    page.run()
except Exception as exc:  # the last net: a message naming what failed, never a traceback with server paths
    from dashboard.components import state

    state.run_error(exc)
