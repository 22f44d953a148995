"""Ethics: labellers' pay and share of value, energy and carbon, market concentration, deployed bias and audits for
the chosen scenario; and the bias-audit experiment on a real classifier (labeller bias -> model bias)."""

import streamlit as st

from dashboard.components import levers, panels, state
from dashboard.ethics import tabs
from dashboard.ethics.cards import headline_cards

picked = levers.sidebar()
st.title("Ethics of the chain")

view = ref_view = None
if picked is not None:
    source, base, scenario, values = picked
    try:
        view, ref_view = state.run_with_reference(scenario, levers.reference_for(base, values))
    except Exception as exc:
        state.run_error(exc)
if view is None:
    last = state.last_good()
    if last is None:
        st.stop()
    view = last[0]
    st.warning(f"Showing the last good run: {last[1]}")
st.caption(f"Scenario **{view.scenario.name}**, seed {view.result.seed}, {len(view.metrics) - 1} months. The policy "
           "levers in the sidebar (wage floor, carbon price, bias-audit mandate) apply here and on Explore; deltas "
           "compare with the unmodified scenario at the same seed.")

headline_cards(view, ref_view)
panels.lazy_tabs({
    "Labour": lambda: tabs.labour(view),
    "Energy & carbon": lambda: tabs.energy(view),
    "Concentration": lambda: tabs.concentration(view),
    "Bias & audits": lambda: tabs.bias(view, ref_view),
    "Bias-audit experiment": tabs.audit_experiment,
}, key="ethics_tab")
