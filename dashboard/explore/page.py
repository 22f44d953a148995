"""Explore: one scenario, its levers in the sidebar (and in the URL), KPIs against the unmodified preset, money
flows, value captured by stage, concentration, events, downloads (one function per tab in ``tabs.py``)."""

import streamlit as st

from dashboard.components import kpis, levers, panels, state
from dashboard.explore import tabs
from dashboard.explore.upload import upload_box

picked = levers.sidebar()

st.title("Explore a scenario")
upload_box()

view = ref = None  # ref: the unmodified preset's run, None when no lever differs from it
label = ""
if picked is not None:
    source, base, scenario, values = picked
    try:
        view, ref = state.run_with_reference(scenario, levers.reference_for(base, values))
        changes = levers.changed(values, levers.values_from_scenario(base))
        label = source + (" with " + ", ".join(f"{k}={v}" for k, v in changes.items()) if changes else "")
        state.remember(view, label)
        st.session_state["explore_ref"] = ref
    except Exception as exc:  # a failing run must not lose what was shown before
        state.run_error(exc)
        view = None
if view is None:
    last = state.last_good()
    if last is None:
        st.stop()
    view, label = last
    ref = st.session_state.get("explore_ref")
    st.warning(f"Showing the last good run: {label}")

m = view.metrics
st.caption(f"**{label}** · seed {view.result.seed} · {len(m) - 1} months · simulated in {view.run_s:.2f} s "
           f"(cached after the first time). {view.scenario.question}")

# ---- KPI cards ------------------------------------------------------------------------------------------------------
cards = kpis.kpis(m)
ref_cards = {k.key: k for k in kpis.kpis(ref.metrics)} if ref is not None else {}
for row in (cards[:5], cards[5:]):
    cols = st.columns(len(row))
    for col, k in zip(cols, row):
        col.metric(k.label, k.text, help=k.help, border=True, chart_data=list(k.trend) or None, chart_type="line",
                   **k.metric_args(ref_cards.get(k.key)))
st.caption("Each card's line is the figure month by month (running totals for whole-run figures). "
           + ("" if ref_cards else "Deltas appear when a lever differs from the scenario's own value (compared at "
              "the same seed)."))

# the overview opens first: its cards and text need no plotly.js, which the browser takes ~2 s to load on 2 cores
panels.lazy_tabs({
    "Overview": lambda: tabs.overview(view),
    "Time series": lambda: tabs.series(view, ref),
    "Money flows": lambda: tabs.money_flows(view),
    "Value by stage": lambda: tabs.value_by_stage(view, ref),
    "Concentration": lambda: tabs.concentration(view),
    "Events": lambda: tabs.events(view),
    "Download & save": lambda: tabs.downloads(view, label),
}, key="explore_tab")
