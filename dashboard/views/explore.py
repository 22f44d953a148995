"""Explore: one scenario, its levers in the sidebar (and in the URL), KPIs against the unmodified preset, money
flows, value captured by stage, concentration, events, downloads."""

import streamlit as st

from dashboard import figures, kpis, levers, narrative, state
from sim.metrics import METRICS

DEFAULT_SERIES = ["app_users", "tokens_served", "gpu_price_usd_per_hour", "api_price_usd_per_mtok"]


def _on_upload() -> None:
    """file_uploader callback (runs before the script, so it may switch the scenario picker)."""
    file = st.session_state.get("upload_file")
    if file is None:
        return
    name, problems = state.add_upload(file.name, file.getvalue())
    if problems:
        st.session_state["upload_error"] = (file.name, problems)
        return
    st.session_state.pop("upload_error", None)
    st.session_state["w_source"] = levers.UPLOAD_PREFIX + name
    levers._reset_to_source()
    st.session_state["upload_ok"] = name


picked = levers.sidebar()

st.title("Explore a scenario")

with st.expander("Load a scenario from a YAML file", expanded=bool(st.session_state.get("upload_error"))):
    st.file_uploader("Scenario YAML (same schema as data/scenarios/*.yaml)", type=["yaml", "yml"],
                     key="upload_file", on_change=_on_upload)
    err = st.session_state.get("upload_error")
    if err:
        st.error(f"**{err[0]}** is not a valid scenario; nothing else changed. Problems:\n\n"
                 + "\n".join(f"- `{p}`" for p in err[1]))
    elif st.session_state.get("upload_ok"):
        st.success(f"Loaded **{st.session_state['upload_ok']}**; it is now selected in the sidebar and on the "
                   "Compare page.")

view = ref_view = None
label = ""
if picked is not None:
    source, base, scenario, values = picked
    try:
        view = state.get_run(scenario, label=f"Simulating {scenario.name}")
        reference = levers.reference_for(base, values)
        ref_view = view if reference.content_key() == scenario.content_key() else \
            state.get_run(reference, label="Simulating the unmodified preset")
        changes = levers.changed(values, levers.values_from_scenario(base))
        label = source + (" with " + ", ".join(f"{k}={v}" for k, v in changes.items()) if changes else "")
        state.remember(view, label)
        st.session_state["explore_ref"] = ref_view
    except Exception as exc:  # a failing run must not lose what was shown before
        st.error(f"The simulation could not run these settings: {type(exc).__name__}: {exc}")
        view = None
if view is None:
    last = state.last_good()
    if last is None:
        st.stop()
    view, label = last
    ref_view = st.session_state.get("explore_ref")
    st.warning(f"Showing the last good run: {label}")

scenario = view.scenario
m = view.metrics
st.caption(f"**{label}** · seed {view.result.seed} · {len(m) - 1} months · simulated in {view.run_s:.2f} s "
           f"(cached after the first time). {scenario.question}")

# ---- KPI cards ------------------------------------------------------------------------------------------------------
cards = kpis.kpis(m)
ref_cards = {k.key: k for k in kpis.kpis(ref_view.metrics)} if ref_view is not None and ref_view is not view else {}
for row in (cards[:5], cards[5:]):
    cols = st.columns(len(row))
    for col, k in zip(cols, row):
        col.metric(k.label, k.text, help=k.help, border=True, chart_data=list(k.trend) or None, chart_type="line",
                   **k.metric_args(ref_cards.get(k.key)))
st.caption("Each card's line is the figure month by month (running totals for whole-run figures). "
           + ("" if ref_cards else "Deltas appear when a lever differs from the scenario's own value (compared at "
              "the same seed)."))

# tabs run lazily (on_change="rerun"): only the open tab's figures are built and sent to the browser
# the overview opens first: its cards and text need no plotly.js, which the browser takes ~2 s to load on 2 cores
tab_overview, tab_ts, tab_flow, tab_value, tab_hhi, tab_events, tab_dl = st.tabs(
    ["Overview", "Time series", "Money flows", "Value by stage", "Concentration", "Events", "Download & save"],
    key="explore_tab", on_change="rerun")


def draw_overview() -> None:
    st.markdown(narrative.overview_markdown(m, view.events))
    st.caption("Open **Time series** for any metric month by month, **Money flows** for the Sankey of who pays whom, "
               "and the other tabs for value by stage, concentration, events and downloads.")


def draw_series() -> None:
    options = [c for c in METRICS if c != "step" and c in m.columns]
    chosen = st.multiselect("Metrics (one panel each, with its unit)", options,
                            default=st.session_state.get("ts_keep", DEFAULT_SERIES),
                            format_func=figures.axis_title, key="ts_metrics")
    st.session_state["ts_keep"] = chosen  # survives the widget's clean-up while another tab is open
    show_ref = st.checkbox("Show the unmodified preset (dashed)", value=True, key="ts_ref",
                           disabled=not ref_cards)
    st.plotly_chart(figures.timeseries_figure(m, chosen, ref_view.metrics if show_ref and ref_cards else None),
                    key="ts_chart")


def draw_flows() -> None:
    horizon = int(m["step"].max())
    when = st.select_slider("Month", options=["whole run"] + list(range(1, horizon + 1)), value="whole run",
                            key="flow_month", help="money between the chain's actors and the outside world")
    step = None if when == "whole run" else int(when)
    inside = st.toggle("Only payments between the chain's actors", key="flow_inside",
                       help="hide end users, investors and the costs paid outside (staff, energy, GPUs, taxes): the "
                            "apps' staff costs otherwise dwarf the trade along the chain")
    flows = view.flows_by_type
    if inside:
        flows = flows[(flows["payer_type"] != "outside") & (flows["payee_type"] != "outside")]
    st.plotly_chart(figures.sankey_figure(flows, step), key="sankey_chart")
    st.caption("Money enters the chain only from end users (subscriptions) and investors (funding), and leaves it "
               "to workers and staff, hardware vendors, utilities, the regulator and investors (payouts of exiting "
               "firms). Hover a band for its amount in USD.")
    with st.expander("The flows as a table"):
        table = figures.money_flows(view.flows_by_type, step)
        st.dataframe(table, hide_index=True, column_config={
            "amount_usd": st.column_config.NumberColumn("amount (USD)", format="compact")})


def draw_value() -> None:
    st.plotly_chart(figures.value_captured_figure(view.flows_by_type,
                                                  ref_view.flows_by_type if ref_cards else None),
                    key="value_chart")
    st.caption("Value captured = payments received minus payments made over the run, for all firms of a stage "
               "together (investors' funding and exit payouts left out). A stage below zero lived on its investors.")
    st.dataframe(figures.value_captured(view.flows_by_type).drop(columns="agent_type"), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(c.replace("_usd", " (USD)").replace("_", " "),
                                                                 format="compact")
                                for c in ("revenue_usd", "costs_usd", "value_captured_usd")})


def draw_concentration() -> None:
    st.plotly_chart(figures.hhi_figure(m), key="hhi_chart")
    st.caption(figures.hhi_caption(m, "At the horizon: training {training}, API {api}, cloud {cloud} (HHI = sum of "
                                      "squared market shares in %, 0-10,000). The US merger guidelines call a market "
                                      "above 1,500 moderately and above 2,500 highly concentrated."))


def draw_events() -> None:
    ev = view.events
    st.plotly_chart(figures.events_figure(ev), key="events_chart")
    kinds = sorted(ev["kind"].unique()) if len(ev) else []
    pick = st.multiselect("Show events of kind", kinds, default=[k for k in kinds if k != "app_launch"],
                          key="events_kinds")
    st.dataframe(ev[ev["kind"].isin(pick)], hide_index=True, height=260)


def draw_downloads() -> None:
    result = view.result
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


for tab, draw in ((tab_overview, draw_overview), (tab_ts, draw_series), (tab_flow, draw_flows), (tab_value, draw_value),
                  (tab_hhi, draw_concentration), (tab_events, draw_events), (tab_dl, draw_downloads)):
    if tab.open:
        with tab:
            draw()
