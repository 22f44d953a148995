"""Explore's tabs, one function each: the overview, time series, money flows (the Sankey), value by stage,
concentration, events, downloads. ``ref`` is the unmodified preset's run, or None when no lever differs from it."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import flows, timeseries
from dashboard.charts.format import axis_title
from dashboard.components import narrative, panels, state
from dashboard.components.state import RunView
from sim.metrics import METRICS

DEFAULT_SERIES = ["app_users", "tokens_served", "gpu_price_usd_per_hour", "api_price_usd_per_mtok"]


def overview(view: RunView) -> None:
    st.markdown(narrative.overview_markdown(view.metrics, view.events))
    st.caption("Open **Time series** for any metric month by month, **Money flows** for the Sankey of who pays whom, "
               "and the other tabs for value by stage, concentration, events and downloads.")


def series(view: RunView, ref: RunView | None) -> None:
    m = view.metrics
    options = [c for c in METRICS if c != "step" and c in m.columns]
    chosen = st.multiselect("Metrics (one panel each, with its unit)", options,
                            default=st.session_state.get("ts_keep", DEFAULT_SERIES),
                            format_func=axis_title, key="ts_metrics")
    st.session_state["ts_keep"] = chosen  # survives the widget's clean-up while another tab is open
    show_ref = st.checkbox("Show the unmodified preset (dashed)", value=True, key="ts_ref", disabled=ref is None)
    st.plotly_chart(timeseries.timeseries_figure(m, chosen, ref.metrics if show_ref and ref is not None else None),
                    key="ts_chart")


def money_flows(view: RunView) -> None:
    horizon = int(view.metrics["step"].max())
    when = st.select_slider("Month", options=["whole run"] + list(range(1, horizon + 1)), value="whole run",
                            key="flow_month", help="money between the chain's actors and the outside world")
    step = None if when == "whole run" else int(when)
    inside = st.toggle("Only payments between the chain's actors", key="flow_inside",
                       help="hide end users, investors and the costs paid outside (staff, energy, GPUs, taxes): the "
                            "apps' staff costs otherwise dwarf the trade along the chain")
    by_type = view.flows_by_type
    if inside:
        by_type = by_type[(by_type["payer_type"] != "outside") & (by_type["payee_type"] != "outside")]
    st.plotly_chart(flows.sankey_figure(by_type, step), key="sankey_chart")
    st.caption("Money enters the chain only from end users (subscriptions) and investors (funding), and leaves it "
               "to workers and staff, hardware vendors, utilities, the regulator and investors (payouts of exiting "
               "firms). Hover a band for its amount in USD.")
    with st.expander("The flows as a table"):
        table = flows.money_flows(view.flows_by_type, step)
        st.dataframe(table, hide_index=True, column_config={
            "amount_usd": st.column_config.NumberColumn("amount (USD)", format="compact")})


def value_by_stage(view: RunView, ref: RunView | None) -> None:
    st.plotly_chart(flows.value_captured_figure(view.flows_by_type, ref.flows_by_type if ref is not None else None),
                    key="value_chart")
    st.caption("Value captured = payments received minus payments made over the run, for all firms of a stage "
               "together (investors' funding and exit payouts left out). A stage below zero lived on its investors.")
    st.dataframe(flows.value_captured(view.flows_by_type).drop(columns="agent_type"), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(c.replace("_usd", " (USD)").replace("_", " "),
                                                                 format="compact")
                                for c in ("revenue_usd", "costs_usd", "value_captured_usd")})


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
    stem = f"{scenario.name}_seed{result.seed}"
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
