"""LLM Chain Lab dashboard: the entry point (``streamlit run dashboard/app.py``, or ``./run_dashboard.sh``).

``streamlit run`` puts ``dashboard/`` on ``sys.path``; the pages import ``sim``, ``ecosystem`` and ``dashboard`` from
the repository root, so it goes on the path first.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import levers  # noqa: E402

# Pages live in views/, not pages/: a folder named pages/ beside the entry script switches Streamlit to its
# legacy multipage mode, where a first request to /explore would run the page without this script.
PAGES = Path(__file__).resolve().parent / "views"

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

page = st.navigation(
    {
        "Scenarios": [
            st.Page(PAGES / "explore.py", title="Explore", icon=":material/explore:", url_path="explore",
                    default=True),
            st.Page(PAGES / "compare.py", title="Compare & sweep", icon=":material/compare_arrows:",
                    url_path="compare"),
            st.Page(PAGES / "ethics.py", title="Ethics", icon=":material/balance:", url_path="ethics"),
        ],
        "Learn and plan": [
            st.Page(PAGES / "classroom.py", title="Classroom", icon=":material/school:", url_path="classroom"),
            st.Page(PAGES / "plan.py", title="Cost planner", icon=":material/calculate:", url_path="plan"),
        ],
    }
)
page.run()
