"""Reality check: each calibrated metric of ``history_2020`` over time (median and bands over a few seeds) with the
published target points and their tolerance bars, in-sample targets (2024-12 or earlier, used for calibration) and
later facts (out of sample, never used) marked apart; and the per-target fit table."""

import streamlit as st

from dashboard.charts import fan
from dashboard.charts.format import metric_label
from dashboard.reality import data
from sim.experiments import reality
from sim.experiments.calibration.targets import CALIBRATION_CUTOFF

st.title("Reality check")
st.caption(f"The calibrated run **history_2020** (January 2020 on, the best accepted parameter set) against the "
           f"published figures it was calibrated on (**in-sample targets**, dated {CALIBRATION_CUTOFF} or earlier, "
           "`data/reference/calibration_targets.csv`) and against **later facts** it never saw "
           "(**out of sample**, `data/reference/validation_facts.csv`). Bars are each figure's tolerance band "
           "(low to high); the run is extended to the last fact's month where needed.")

points = data.points()
metrics = sorted(points["metric"].unique(), key=list(points["metric"]).index)
c1, c2, c3 = st.columns([1, 1, 1])
st.session_state.setdefault("rc_seeds", data.DEFAULT_SEEDS)
seeds = c1.number_input("Seeds", min_value=1, max_value=10, step=1, key="rc_seeds",
                        help="replicates of the run (common random numbers); the bands are across them")
n_sets = min(data.accepted_count(), data.MAX_SETS)
across = c2.toggle("Across the accepted sets", key="rc_sets",
                   help=f"run the first {n_sets} accepted parameter sets (data/calibration/history_2020_accepted.csv, "
                        "best first) x the seeds, not only the best set")
st.session_state.setdefault("rc_log", True)
log_y = c3.toggle("Log scale", key="rc_log")
chosen = st.multiselect("Metrics", metrics, default=metrics, key="rc_metrics", format_func=metric_label)

bands, table, info = data.check(int(seeds), n_sets if across else 0)
summary = reality.fit_summary(table).set_index("kind")
k1, k2, k3, k4 = st.columns(4)
ins, outs = summary.loc[reality.IN_SAMPLE], summary.loc[reality.OUT_OF_SAMPLE]
k1.metric("In-sample targets inside tolerance", f"{int(ins['inside_tolerance'])} of {int(ins['targets'])}")
k2.metric("In-sample median |log10 error|", f"{ins['median_abs_log10_error']:.2f}")
k3.metric("Later facts inside tolerance", f"{int(outs['inside_tolerance'])} of {int(outs['targets'])}")
k4.metric("Later facts median |log10 error|", f"{outs['median_abs_log10_error']:.2f}")
st.caption(f"{info['runs']} runs ({info['sets'] if across else 'best'} set{'s' if across else ''} x {info['seeds']} "
           f"seeds) of {info['months']} months from {info['start']}. A log10 error of 1 is a factor of 10; the fit "
           "reads the runs' median at each figure's date (a year: the sum of its months for a per-year unit, else "
           "the mean).")

shown = data.chart_points(points)
cols = st.columns(2)
for i, metric in enumerate(chosen):
    with cols[i % 2]:
        st.plotly_chart(fan.reality_figure(bands[bands["metric"] == metric], metric,
                                           shown[shown["metric"] == metric], CALIBRATION_CUTOFF, log_y=log_y),
                        key=f"rc_fig_{metric}")

st.subheader("Fit per target")
view = table.drop(columns=["unit"]).rename(columns={"sim_median": "simulated (median)", "sim_p5": "simulated p5",
                                                    "sim_p95": "simulated p95"})
for kind, title in ((reality.IN_SAMPLE, "In sample: the calibration targets"),
                    (reality.OUT_OF_SAMPLE, "Out of sample: later facts, never used for calibration")):
    st.markdown(f"**{title}**")
    st.dataframe(view[view["kind"] == kind].drop(columns="kind"), hide_index=True, key=f"rc_table_{kind[:3]}",
                 column_config={"log10_error": st.column_config.NumberColumn("log10 error", format="%.2f"),
                                "inside_tolerance": st.column_config.CheckboxColumn("inside tolerance")})
st.download_button("Download the fit table (CSV)", table.to_csv(index=False), file_name="reality_check_fit.csv",
                   mime="text/csv", key="rc_download")
