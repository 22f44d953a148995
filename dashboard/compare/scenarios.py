"""Compare's first half: the scenarios one may set side by side (presets, uploads, saved runs, Explore's current
levers), one metric month by month across them, and the KPI table with each one's change against the first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import timeseries
from dashboard.charts.format import axis_title
from dashboard.components import kpis, levers, state
from dashboard.components.state import RunView
from sim.metrics import METRICS
from sim.scenario import ScenarioError, scenario_from_yaml


def candidates() -> dict[str, tuple]:
    """label -> (scenario, seed) for every scenario on offer."""
    out: dict[str, tuple] = {}
    try:
        source, base, current, values = levers.current()
        changes = levers.changed(values, levers.values_from_scenario(base))
        if changes:
            out["Explore: current levers (" + ", ".join(f"{k}={v}" for k, v in changes.items()) + ")"] = (
                current, current.seed)
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


def kpi_table(views: dict[str, RunView]) -> pd.DataFrame:
    """One row per KPI, one column per scenario, then one 'Δ name vs first' column per scenario after the first."""
    first = next(iter(views))
    cards = {name: kpis.kpis(v.metrics) for name, v in views.items()}
    base_k = {k.key: k for k in cards[first]}
    rows = []
    for name, run_cards in cards.items():
        for k in run_cards:
            ref = base_k[k.key]
            diff = "—" if name == first else (k.delta(ref) or "").replace(" vs preset", "")
            rows.append({"figure": k.label, "scenario": name, "value": k.text, "vs first": diff})
    table = pd.DataFrame(rows)
    wide = table.pivot(index="figure", columns="scenario", values="value")
    deltas = table[table["scenario"] != first].pivot(index="figure", columns="scenario", values="vs first")
    deltas.columns = [f"Δ {c} vs {first}" for c in deltas.columns]
    order = [k.label for k in cards[first]]
    return pd.concat([wide[list(views)], deltas], axis=1).reindex(order)


def side_by_side() -> None:
    offered = candidates()
    names = list(offered)
    default = names[:2] if len(names) >= 2 else names
    chosen = st.multiselect("Scenarios to compare (2 to 4): presets, uploads from Explore, runs saved on Explore, "
                            "and the current levers", names, default=default, max_selections=4, key="cmp_chosen")
    st.caption("Save a run on Explore (tab *Download & save*) to add it here; change a lever there to add the "
               "current levers.")
    if len(chosen) < 2:
        st.info("Choose at least two scenarios.")
        return
    views = {}
    for name in chosen:
        sc, seed = offered[name]
        try:
            views[name] = state.get_run(sc, seed, label=f"Simulating {name}")
        except Exception as exc:
            st.error(f"{name}: the simulation failed: {state.error_message(exc)}")
    options = [c for c in METRICS if c != "step"]
    metric = st.selectbox("Metric", options, index=options.index("tokens_served"), format_func=axis_title,
                          key="cmp_metric")
    st.plotly_chart(timeseries.compare_figure({n: v.metrics for n, v in views.items()}, metric), key="cmp_chart")
    st.subheader("At the horizon (and over the whole run)")
    st.dataframe(kpi_table(views), width="stretch")
