"""Classroom: a guided walk through the six stages of the chain, month by month; who trades with whom; what
attention and training cost look like on a real (tiny) Transformer."""

import streamlit as st

from dashboard.classroom import months, transformer
from dashboard.components import levers, state

st.title("Classroom: how the chain works")

try:
    source, base, scenario, values = levers.current()
except Exception as exc:  # levers from another page that no longer make a valid scenario
    st.error(f"The current levers do not make a valid scenario ({exc}); showing the baseline.")
    base = scenario = levers.load_source(levers.DEFAULT_PRESET)
    source, values = levers.DEFAULT_PRESET, levers.values_from_scenario(scenario)
levers.sync_url(source, values, base)  # a copied link from this page keeps the scenario
changes = levers.changed(values, levers.values_from_scenario(base))
view = state.get_run(scenario, label=f"Simulating {scenario.name}")
st.caption(f"Scenario **{source}**" + (" with " + ", ".join(f"{k}={v}" for k, v in changes.items()) if changes
                                       else "") + " (change it on the Explore page). The chain starts from nothing: "
           "money, labs, clouds and labelling firms, but no model, no API and no app. Step through the months.")

month = months.stepper(view)
months.month_story(view, month)
months.in_the_run(view, month)

st.divider()
transformer.attention()
st.divider()
transformer.six_nd()
