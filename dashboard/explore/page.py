"""Explore: one scenario over N seeds (replicates), its levers in the sidebar (and in the URL), KPI cards as the
median with bands and the change against the unmodified preset on the same seeds, plausibility banners, money flows,
value captured by stage, concentration, events, downloads (one function per tab in ``tabs.py``)."""

import streamlit as st

from dashboard.components import explain, kpi_bands, levers, panels, replicates, state
from dashboard.explore import tabs
from dashboard.explore.upload import upload_box

picked = levers.sidebar()
n_reps = replicates.setting()

st.title("Explore a scenario")
upload_box()

reps = ref = None  # ref: the unmodified preset's replicates, None when no lever differs from it
label = ""
if picked is not None:
    source, base, scenario, values = picked
    try:
        reps, ref = replicates.with_reference(scenario, levers.reference_for(base, values), n_reps)
        changes = levers.changed(values, levers.values_from_scenario(base))
        label = source + (" with " + ", ".join(f"{k}={v}" for k, v in changes.items()) if changes else "")
        st.session_state["explore_last"] = (reps, ref, label)
    except Exception as exc:  # a failing run must not lose what was shown before
        state.run_error(exc)
        reps = None
if reps is None:
    last = st.session_state.get("explore_last")
    if last is None:
        st.stop()
    reps, ref, label = last
    st.warning(f"Showing the last good run: {label}")

m = reps.first.metrics
seeds = reps.seeds
st.caption(f"**{label}** · {reps.n} seed{'s' if reps.n > 1 else ''} ({seeds[0]}" + (f" to {seeds[-1]}" if reps.n > 1
           else "") + f") · {len(m) - 1} months · {sum(v.run_s for v in reps.views):.2f} s of simulation (cached "
           f"after the first time). {reps.scenario.question}")

explain.banners(reps)
kpi_bands.draw(kpi_bands.band_cards(reps.metrics), kpi_bands.band_cards(ref.metrics) if ref is not None else None)
st.caption("Each card: the median over the seeds, the middle 50% of seeds after it (hover ? for the 90%), and its "
           "line month by month (running totals for whole-run figures). "
           + ("A change is coloured only when the paired seeds differ (Wilcoxon signed-rank, p < 0.05); otherwise it "
              "is grey, within run-to-run variation." if ref is not None else
              "Changes appear when a lever differs from the scenario's own value (measured on the same seeds)."))

# the overview opens first: its cards and text need no plotly.js, which the browser takes ~2 s to load on 2 cores
panels.lazy_tabs({
    "Overview": lambda: tabs.overview(reps, ref),
    "Time series": lambda: tabs.series(reps, ref),
    "Money flows": lambda: tabs.money_flows(reps, ref),
    "Value by stage": lambda: tabs.value_by_stage(reps, ref),
    "Concentration": lambda: tabs.concentration(reps.first),
    "Events": lambda: tabs.events(reps.first),
    "Download & save": lambda: tabs.downloads(reps.first, label),
}, key="tab")
