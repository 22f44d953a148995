"""Cost planner: training, budget and serving questions as forms; the planner checked against published runs; the
real small Transformer's measured figures on this machine."""

import streamlit as st

from dashboard.components import panels
from dashboard.plan import forms, measured, validation

st.title("Cost planner")
st.caption("What does a training run or a serving fleet cost in GPU-hours, dollars, energy and CO2? The planner "
           "(`ecosystem/planner/`, also `python -m ecosystem plan | serve | validate | validate-serving`) turns the "
           "compute formulas into costs with an MFU calibrated on published runs and a serving roofline checked "
           "against MLPerf Inference; every default is named in *assumptions*.")

panels.lazy_tabs({
    "Training run": forms.training,
    "Budget → model": forms.budget,
    "Serving": forms.serving,
    "Checked against published runs": validation.published_runs,
    "Measured on this machine": measured.this_machine,
}, key="plan_tab")
