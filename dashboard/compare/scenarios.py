"""Compare's first half: the scenarios one may set side by side (presets, uploads, saved runs, Explore's current
levers), one metric month by month across them, and the KPI table with each one's change against the first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import sweeps as sweep_charts
from dashboard.charts.format import axis_title
from dashboard.components import explain, kpi_bands, levers, replicates, state
from dashboard.components.replicates import Replicates
from sim.metrics import METRICS
from sim.scenario import ScenarioError, scenario_from_yaml


CURRENT = "Explore: current levers"  # a stable label, so that a link's Compare selection keeps it


def candidates() -> dict[str, tuple]:
    """label -> (scenario, seed) for every scenario on offer."""
    out: dict[str, tuple] = {}
    try:
        source, base, current, values = levers.current()
        changes = levers.changed(values, levers.values_from_scenario(base))
        if changes:
            out[CURRENT] = (current, current.seed)
    except ScenarioError:
        pass
    for name in levers.preset_names():
        sc = levers.load_source(name)
        out[f"preset: {name}"] = (sc, sc.seed)
    for name, text in state.uploads().items():
        try:
            sc = scenario_from_yaml(text)
            out[f"upload: {name}"] = (sc, sc.seed)
        except ScenarioError:
            continue
    for run in state.saved_runs():
        sc = scenario_from_yaml(run["yaml"])
        out[f"saved: {run['label']}"] = (sc, run["seed"])
    return out


def kpi_table(reps: dict[str, Replicates]) -> pd.DataFrame:
    """One row per KPI, one column per scenario (median · middle 50% of seeds), then one 'Δ name vs first' column per
    later scenario: the change of the medians and whether the paired seeds differ (Wilcoxon signed-rank)."""
    first = next(iter(reps))
    cards = {name: kpi_bands.band_cards(r.metrics) for name, r in reps.items()}
    base = {c.kpi.key: c for c in cards[first]}
    out = pd.DataFrame(index=[c.kpi.label for c in cards[first]])
    for name, run_cards in cards.items():
        out[name] = [c.text for c in run_cards]
    for name, run_cards in cards.items():
        if name == first:
            continue
        out[f"Δ {name} vs {first}"] = [(c.compare(base[c.kpi.key])[0] or "—").replace(" vs preset", "")
                                       for c in run_cards]
    out.index.name = "figure"
    return out


def _scenario_with_seed(sc, seed: int):
    return sc if int(seed) == sc.seed else sc.with_overrides({"seed": int(seed)})


def side_by_side() -> None:
    offered = candidates()
    names = list(offered)
    if "cmp" not in st.session_state and "cmp" not in st.query_params:
        st.session_state["cmp"] = names[:2] if len(names) >= 2 else names
    chosen = st.multiselect("Scenarios to compare (2 to 4): presets, uploads from Explore, runs saved on Explore, "
                            "and the current levers", names, max_selections=4, key="cmp", bind="query-params")
    st.caption("Save a run on Explore (tab *Download & save*) to add it here; change a lever there to add the "
               "current levers. Each scenario runs over the replicates set in the sidebar, on the same seeds.")
    if len(chosen) < 2:
        st.info("Choose at least two scenarios.")
        return
    n = replicates.current_n()
    reps: dict[str, Replicates] = {}
    for name in chosen:
        sc, seed = offered[name]
        try:
            reps[name] = replicates.get(_scenario_with_seed(sc, seed), n, label=f"Simulating {name}")
        except Exception as exc:
            st.error(f"{name}: the simulation failed: {state.error_message(exc)}")
    if len(reps) < 2:
        return
    options = [c for c in METRICS if c not in ("step", "date")]
    if "cmp_metric" not in st.session_state and "cmp_metric" not in st.query_params:
        st.session_state["cmp_metric"] = "tokens_served"
    metric = st.selectbox("Metric", options, format_func=axis_title, key="cmp_metric", bind="query-params")
    frames, groups = [], {}
    for name, r in reps.items():
        for i, f in enumerate(r.metrics):
            frames.append(f.assign(run_id=f"{name}#{i}"))
            groups[f"{name}#{i}"] = name
    st.plotly_chart(sweep_charts.fan_chart_figure(pd.concat(frames, ignore_index=True), metric, pd.Series(groups)),
                    key="cmp_chart")
    st.subheader(f"At the horizon (and over the whole run), {n} seeds each")
    st.dataframe(kpi_table(reps), width="stretch")
    first = next(iter(reps))
    for name, r in list(reps.items())[1:]:
        if r.first.metrics["step"].max() == reps[first].first.metrics["step"].max():
            st.markdown(f"**Why the prices differ, {name} against {first}:**\n\n"
                        + "\n".join(f"- {line}" for line in explain.why_sentences(r, reps[first])))
