"""Forecast: fan charts (median, 50% and 90% bands) to 2031-12 for chosen metrics across the accepted parameter sets
and seeds, for any setting of the what-if levers, compared with the unmodified forecast (run by run, paired by set
and seed)."""

import pandas as pd
import streamlit as st

from dashboard.charts import fan
from dashboard.charts.format import human, metric_label, metric_unit
from dashboard.forecast import controls, data
from sim.experiments.forecast import SUMMARY_METRICS
from sim.scenario import ScenarioError
from sim.scenario.calendar import date_of, month_number, month_of_date

st.title("Forecast to 2031")
start, last = data.horizon()
n_accepted = data.accepted_count()
st.caption(f"**{data.SCENARIO}** from {start} to {last}, run over the accepted calibrated parameter sets "
           f"({n_accepted} in `data/calibration/history_2020_accepted.csv`) x several seeds: every line is a median "
           "with its 50% and 90% bands across those runs. Set a what-if in the sidebar (shocks and policies at a "
           "date) to see it against the unmodified forecast. The Reality check page shows how far to trust it.")

sb = st.sidebar
sb.subheader("Ensemble")
years = list(range(int(start[:4]) + 1, int(last[:4]) + 1))
for key, default in (("fc_sets", min(data.DEFAULT_SETS, n_accepted)), ("fc_seeds", data.DEFAULT_SEEDS),
                     ("fc_until", years[-1])):
    st.session_state.setdefault(key, default)  # defaults once; a link or a test may set them first
st.session_state["fc_sets"] = min(st.session_state["fc_sets"], n_accepted)  # the accepted file may shrink
if n_accepted > 1:
    sets = sb.slider("Accepted sets", 1, n_accepted, key="fc_sets", help="the first N accepted sets, best first")
else:  # a slider needs two values
    sets = 1
    sb.caption("One accepted set: the bands are across seeds only.")
seeds = sb.slider("Seeds per set", 1, 10, key="fc_seeds",
                  help="common random numbers: every set meets the same seeds")
until = sb.select_slider("Forecast to (December of)", options=years, key="fc_until")
until_date = min(f"{until}-12", last)
months = month_of_date(start, until_date)
sb.subheader("What-if")
values = controls.lever_panel(sb, date_of(month_number(start) + 1), until_date)
levers = controls.to_levers(values)

chosen = st.multiselect("Metrics", list(SUMMARY_METRICS), key="fc_metrics", format_func=metric_label,
                        default=["frontier_train_flops", "price_at_gpt4_level_usd_per_mtok", "app_users",
                                 "gpu_price_h100_equiv_usd_per_hour"])
log_y = st.toggle("Log scale", value=True, key="fc_log")
try:
    frame, summary = data.bands(levers.model_dump_json(exclude_none=True), int(sets), int(seeds), months)
except ScenarioError as exc:
    st.error("These what-if settings do not make a valid scenario:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
    st.stop()

what_if = not levers.is_empty()
st.caption(f"{summary['runs_per_variant']} runs per variant ({summary['sets']} sets x {len(summary['seeds'])} "
           f"seeds), {start} to {summary['last_date']}. What-if: **{summary['levers_text']}**.")


def band(metric: str, variant: str) -> pd.DataFrame:
    return frame[(frame["variant"] == variant) & (frame["metric"] == metric)]


cols = st.columns(2)
for i, metric in enumerate(chosen):
    with cols[i % 2]:
        st.plotly_chart(fan.fan_figure(band(metric, "forecast"), metric,
                                       band(metric, "what_if") if what_if else None, log_y=log_y),
                        key=f"fc_fig_{metric}")
        if what_if:
            st.plotly_chart(fan.difference_figure(band(metric, "relative_change"), metric), key=f"fc_diff_{metric}")

rows = []
for metric in chosen:
    at = summary["metrics"].get(metric, {}).get(summary["last_date"])
    if at is None:
        continue
    unit = metric_unit(metric)
    rel = band(metric, "relative_change")
    rel_median = rel.loc[rel["date"] == summary["last_date"], "median"]
    rows.append({"metric": metric_label(metric), "unmodified median": human(at["median"], unit),
                 "90% band": f"{human(at['p5'], unit)} to {human(at['p95'], unit)}",
                 "what-if median": human(at["what_if_median"], unit) if what_if else "",
                 "median change, run by run": f"{100 * float(rel_median.iloc[0]):+.1f}%"
                 if what_if and len(rel_median) and pd.notna(rel_median.iloc[0]) else ""})
st.subheader(f"At {summary['last_date']}")
st.dataframe(pd.DataFrame(rows), hide_index=True, key="fc_table")
st.download_button("Download the bands (CSV)", frame.to_csv(index=False), file_name="forecast_bands.csv",
                   mime="text/csv", key="fc_download")
