"""Compare: two to four scenarios side by side; then sweeps (replicates, grids, Sobol') run in the background."""

import streamlit as st

from dashboard.compare import scenarios
from dashboard.components import levers, replicates
from sim.scenario import ScenarioError

st.title("Compare scenarios")
replicates.setting()
try:  # a copied link from this page keeps the scenario of the Explore levers
    _source, _base, _scenario, _values = levers.current()
    levers.sync_url(_source, _values, _base)
except ScenarioError:  # levers that no longer make a scenario: Explore reports them
    pass
scenarios.side_by_side()

st.divider()
st.header("Sweeps: replicates and sensitivity")
st.caption("A sweep runs a scenario many times (seeds, parameter grids, Latin hypercubes or Sobol' designs, "
           "`data/sweeps/*.yaml`) into a results store under `runs/`. Start one here (it runs in a background "
           "process, `python -m sim sweep`; browse its results while it runs) or from the command line with "
           "`python -m sim sweep data/sweeps/NAME.yaml --out runs/NAME`. Fan: the median run and the bands that "
           "hold the middle 50% and 90% of runs, month by month.")
try:
    from dashboard.compare import sweep_browser, sweep_builder
except ImportError as exc:  # pragma: no cover - the sweep modules ship with sim/
    st.info(f"Sweeps are not available in this checkout ({exc}).")
    st.stop()
builder = st.expander("Build a sweep of the current scenario", icon=":material/tune:", key="sb_open",
                      on_change="rerun")  # keeps its state over reruns; its content runs only while open
if builder.open:
    with builder:
        sweep_builder.builder()
sweep_browser.controls()
sweep_browser.browse()
