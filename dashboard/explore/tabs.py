"""Explore's tabs, one function each: the overview, time series, money flows (the Sankey), value by stage,
concentration, events, downloads. ``reps`` are the scenario's replicates; ``ref`` the unmodified preset's on the
same seeds, or None when no lever differs from it. Widgets whose value is page state are bound to the URL."""

from __future__ import annotations

import streamlit as st

import pandas as pd

from dashboard.charts import flows, timeseries, value
from dashboard.charts import sweeps as sweep_charts
from dashboard.charts.format import axis_title
from dashboard.components import explain, links, narrative, panels, state
from dashboard.components.replicates import Replicates
from dashboard.components.state import RunView
from sim.metrics import METRICS

DEFAULT_SERIES = ["app_users", "tokens_served", "gpu_price_usd_per_hour", "api_price_usd_per_mtok"]


def overview(reps: Replicates, ref: Replicates | None) -> None:
    view = reps.first
    explain.why(reps, ref)
    st.markdown(f"**The run with seed {view.result.seed}**:\n\n" + narrative.overview_markdown(view.metrics,
                                                                                              view.events))
    st.caption("Open **Time series** for any metric month by month over the seeds, **Money flows** for the Sankey "
               "of who pays whom, **Value by stage** for who captures the value, and the other tabs for "
               "concentration, events and downloads.")


def series(reps: Replicates, ref: Replicates | None) -> None:
    m = reps.first.metrics
    options = [c for c in METRICS if c not in ("step", "date") and c in m.columns]
    if "series" not in st.session_state and "series" not in st.query_params:
        keep = st.session_state.get("ts_keep", DEFAULT_SERIES)  # survives the widget's clean-up on other tabs
        st.session_state["series"] = [c for c in keep if c in options]
    chosen = st.multiselect("Metrics (one panel each, with its unit)", options, format_func=axis_title,
                            key="series", bind="query-params")
    st.session_state["ts_keep"] = chosen
    show_ref = st.checkbox("Show the unmodified preset", value=True, key="ts_ref", disabled=ref is None)
    both = ref is not None and show_ref
    frames = [f.assign(run_id=f"s{i}") for i, f in enumerate(reps.metrics)]
    groups = {f"s{i}": "this scenario" for i in range(reps.n)}
    if both:
        frames += [f.assign(run_id=f"r{i}") for i, f in enumerate(ref.metrics)]
        groups.update({f"r{i}": "unmodified preset" for i in range(ref.n)})
    data = pd.concat(frames, ignore_index=True)
    for metric in chosen:
        st.plotly_chart(sweep_charts.fan_chart_figure(data, metric, pd.Series(groups)), key=f"ts_chart_{metric}")
    st.caption(f"Median of {reps.n} seeds with the bands that hold the middle 50% and 90% of them, month by month.")


def money_flows(reps: Replicates, ref: Replicates | None) -> None:
    view = reps.first
    horizon = int(view.metrics["step"].max())
    when = st.select_slider("Month", options=["whole run"] + list(range(1, horizon + 1)), value="whole run",
                            key="flow_month", bind="query-params",
                            help="money between the chain's actors and the outside world")
    step = None if when == "whole run" else int(when)
    inside = st.toggle("Only payments between the chain's actors", key="flow_inside",
                       help="hide end users, investors and the costs paid outside (staff, energy, GPUs, taxes): the "
                            "apps' staff costs otherwise dwarf the trade along the chain")
    by_type = view.flows_by_type
    if inside:
        by_type = by_type[(by_type["payer_type"] != "outside") & (by_type["payee_type"] != "outside")]
    st.plotly_chart(flows.sankey_figure(by_type, step, title=None), key="sankey_chart")
    st.caption(f"The run with seed {view.result.seed}. Money enters the chain only from end users (subscriptions) "
               "and investors (funding), and leaves it to workers and staff, hardware vendors, utilities, the "
               "regulator and investors (payouts of exiting firms). Hover a band for its amount in USD.")
    with st.expander("The flows as a table"):
        table = flows.money_flows(view.flows_by_type, step)
        st.dataframe(table, hide_index=True, column_config={
            "amount_usd": st.column_config.NumberColumn("amount (USD)", format="compact")})


def _shock_month(reps: Replicates) -> int:
    months = [sh.month for sh in reps.scenario.shocks] + (
        [reps.scenario.policy.open_weights_release.month] if reps.scenario.policy.open_weights_release.month else [])
    return int(max(1, min(months))) if months else 1


def value_by_stage(reps: Replicates, ref: Replicates | None) -> None:
    horizon = int(reps.first.metrics["step"].max())
    if "window" not in st.session_state and "window" not in st.query_params:
        st.session_state["window"] = min(_shock_month(reps), horizon)
    start = st.slider("From month", 1, horizon, key="window", bind="query-params",
                      help="the window the accounts cover: from this month to the horizon (starts at the first "
                           "shock or release of the scenario)")
    table = value.accounts_table(reps.flows, ref.flows if ref is not None else None, int(start))
    st.plotly_chart(value.profit_change_figure(table, int(start)), key="value_chart")
    money = ["revenue_usd", "costs_usd", "profit_usd", "reference_profit_usd", "profit_change_usd",
             "change_q05_usd", "change_q95_usd"]
    st.dataframe(table.drop(columns="agent_type"), hide_index=True, column_config={
        **{c: st.column_config.NumberColumn(c.replace("_usd", " (USD)").replace("_", " "), format="compact")
           for c in money},
        "margin": st.column_config.NumberColumn("margin (profit / revenue)", format="percent"),
        "reference_margin": st.column_config.NumberColumn("reference margin", format="percent")})
    st.caption(f"Medians over {reps.n} seeds of each stage's payments received (revenue) and made (costs) from month "
               f"{int(start)}; profit = revenue minus costs, for all firms of a stage together (funding and exit "
               "payouts left out). A stage below zero lived on its investors.")
    if ref is not None:
        st.plotly_chart(value.difference_sankey_figure(reps.flows, ref.flows, int(start)), key="diff_sankey")


def concentration(view: RunView) -> None:
    panels.concentration(view.metrics, "hhi_chart",
                         "At the horizon: training {training}, API {api}, cloud {cloud} (HHI = sum of squared market "
                         "shares in %, 0-10,000). The US merger guidelines call a market above 1,500 moderately and "
                         "above 2,500 highly concentrated.")


def events(view: RunView) -> None:
    ev = view.events
    st.plotly_chart(timeseries.events_figure(ev), key="events_chart")
    kinds = sorted(ev["kind"].unique()) if len(ev) else []
    pick = st.multiselect("Show events of kind", kinds, default=[k for k in kinds if k != "app_launch"],
                          key="events_kinds")
    st.dataframe(ev[ev["kind"].isin(pick)], hide_index=True, height=260)


def downloads(view: RunView, label: str) -> None:
    result, scenario = view.result, view.scenario
    stem = links.export_stem(scenario.name, result.seed)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Results (CSV, zip)", data=lambda: state.results_zip(result, "csv"),
                       file_name=f"{stem}_results_csv.zip", mime="application/zip", on_click="ignore",
                       icon=":material/download:", key="dl_csv")
    c2.download_button("Results (Parquet, zip)", data=lambda: state.results_zip(result, "parquet"),
                       file_name=f"{stem}_results_parquet.zip", mime="application/zip", on_click="ignore",
                       icon=":material/download:", key="dl_parquet")
    c3.download_button("Scenario (YAML)", data=scenario.to_yaml(), file_name=f"{stem}.yaml",
                       mime="application/x-yaml", on_click="ignore", icon=":material/description:", key="dl_yaml")
    st.caption("The zip holds metrics, agents, flows and events, and the scenario; the YAML reruns the same run "
               "with `python -m sim run FILE`.")
    name = st.text_input("Save this run for the Compare page as", value=label[:80], key="save_label")
    if st.button("Save run for Compare", icon=":material/bookmark_add:", key="save_run"):
        if state.save_run(name or label, scenario, result.seed):
            st.success(f"Saved **{name}**; open Compare & sweep to set it beside others.")
        else:
            st.info("This run is already saved.")
