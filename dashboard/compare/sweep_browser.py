"""Compare's second half: start or stop a bundled sweep (``dashboard.components.sweeps`` runs it in the
background) and browse any results store under ``runs/``: fan chart, sensitivity, input-outcome scatter, summary.
While a sweep runs, its results refresh every 2 s (an ``st.fragment``)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.charts import sweeps as charts
from dashboard.charts.format import axis_title
from dashboard.compare.sweep_builder import sobol_warning
from dashboard.components import sweeps
from sim.experiments.analysis import AnalysisError, sensitivity, summarize
from sim.experiments.store import ResultsStore, StoreError
from sim.experiments.spec import SweepSpecError, load_spec, sweep_names


UNSTABLE_CONF = 0.1  # a Sobol' index known only to +-0.1 cannot rank inputs


def controls() -> None:
    """Pick a bundled sweep spec, see its size, and run (or resume) or stop it."""
    specs = sweep_names()
    c1, c2, c3 = st.columns([3, 1, 1])
    spec_name = c1.selectbox("Sweep spec", specs, key="sw_spec") if specs else None
    cpus = os.cpu_count() or 1
    workers = c2.number_input("Worker processes", 1, max(1, cpus), value=max(1, cpus - 1), key="sw_workers",
                              help="processes running simulations in parallel (the machine has "
                                   f"{cpus} CPU cores)")
    if not spec_name:
        return
    try:
        spec = load_spec(spec_name)
        st.caption(f"**{spec.name}**: {spec.description} — {spec.design} design, {spec.n_points} points x "
                   f"{spec.replicates} replicates = **{spec.n_runs} runs** "
                   f"({spec.options.months or 'scenario'} months each).")
        out_dir = sweeps.RUNS_DIR / spec_name
        job = sweeps.job_for(out_dir)
        with c3:
            st.write("")
            if job is not None and job.running:
                if st.button("Stop sweep", icon=":material/stop:", key="sw_stop",
                             help="finished batches are kept; Run sweep resumes"):
                    job.request_stop()
            elif st.button("Run sweep", icon=":material/play_arrow:", key="sw_start", type="primary",
                           help=f"writes to runs/{spec_name} (resumes it if it exists)"):
                job = sweeps.start(spec_name, int(workers))
                with st.spinner("Starting the sweep…"):
                    sweeps.wait_for_store(job)
                st.session_state["sw_store"] = str(out_dir)
                st.rerun()  # redraw with the Stop button and the live results
    except SweepSpecError as exc:
        st.error("This sweep spec is not valid:\n\n" + "\n".join(f"- {p}" for p in exc.problems))


def browse() -> None:
    """Pick a results store and draw its results (refreshing while its sweep runs)."""
    stores = sweeps.stores()
    if not stores:
        st.info("No sweep results yet. Run a sweep above (`baseline_replicates`, 20 runs, takes well under a "
                "minute), then browse it here.")
        return
    labels = [str(p.relative_to(sweeps.ROOT)) for p in stores]
    pre = st.session_state.get("sw_store")
    idx = next((i for i, p in enumerate(stores) if str(p) == pre), 0)
    picked = st.selectbox("Results to browse", labels, index=idx, key="sw_browse")
    store_dir = stores[labels.index(picked)]
    job = sweeps.job_for(store_dir)
    polling = job is not None and job.running
    st.fragment(run_every=2.0 if polling else None)(_results)(store_dir, polling)


def _status(store_dir: Path, done: int, total: int, polling: bool) -> None:
    """The progress bar while the sweep runs, else a caption of what is stored (and how the last sweep ended)."""
    j = sweeps.job_for(store_dir)
    if polling and (j is None or not j.running):
        st.rerun()  # the sweep ended: one full rerun stops the polling and shows the final state
    if j is not None and j.running:
        st.progress(done / max(1, total), text=f"running: {done} of {total} runs stored (refreshes every 2 s)")
    else:
        msg = f"{done} of {total} runs stored."
        if j is not None and j.status in ("failed", "stopped"):
            msg += f" The last sweep started here {j.status}" + (f": {j.error}" if j.error else ".")
        elif done < total:
            msg += " Press *Run sweep* to finish it (it resumes)."
        st.caption(msg)


def _results(store_dir: Path, polling: bool) -> None:
    store = ResultsStore(store_dir)
    try:
        done, total = store.progress()
        spec = store.spec()
    except StoreError as exc:
        st.error(str(exc))
        return
    _status(store_dir, done, total, polling)
    if done == 0:
        st.info("No run finished yet.")
        return
    runs = store.runs()
    params = spec.parameter_names
    outcome = st.selectbox("Outcome", spec.outcome_columns, key="sw_outcome",
                           help="a metric reduced over the months: final, mean, peak or sum")
    left, right = st.columns(2)
    with left:
        _fan(store, spec, runs, params)
    with right:
        if params:
            try:
                sens = sensitivity(store, outcome)
                st.plotly_chart(charts.sensitivity_figure(sens, outcome), key="sw_sens")
                warning = sobol_warning(spec)
                if warning is None and "ST_conf" in sens and float(sens["ST_conf"].max()) > UNSTABLE_CONF:
                    warning = (f"The 95% interval of a total Sobol' index is up to ±{sens['ST_conf'].max():.2f}: "
                               "the sample is too small for a stable ranking; run a larger base sample.")
                if warning:
                    st.warning(warning)
            except AnalysisError as exc:
                st.info(f"Sensitivity not available yet: {exc}")
        else:
            st.plotly_chart(charts.replicates_histogram(runs, outcome), key="sw_hist")
    if spec.design == "grid" and len(params) == 2:
        st.plotly_chart(charts.heatmap_figure(runs, params[0], params[1], outcome), key="sw_heatmap")
    if params:
        c1, c2 = st.columns(2)
        x = c1.selectbox("Input (x axis)", params, key="sw_x")
        color = c2.selectbox("Colour by", ["none", *[p for p in params if p != x]], key="sw_color")
        st.plotly_chart(charts.io_scatter_figure(runs, x, outcome, None if color == "none" else color),
                        key="sw_scatter")
    with st.expander("Per design point: mean and 90% interval across replicates"):
        st.dataframe(summarize(store, outcome), hide_index=True)


def _fan(store: ResultsStore, spec, runs, params: list[str]) -> None:
    """The fan chart of a monthly series, grouped by design point (or by one input when there are many points)."""
    series_cols = spec.series_columns
    if not series_cols:
        st.info("This sweep kept no monthly series (options.series: []).")
        return
    metric = st.selectbox("Series for the fan chart", series_cols, format_func=axis_title, key="sw_series")
    labels_by_run = sweeps.point_labels(runs, params)
    if labels_by_run.nunique() > 6 and params:
        by = st.selectbox("Group runs by", ["all runs together", *params], key="sw_group")
        groups = None if by == "all runs together" else runs.set_index("run_id")[by].map(
            lambda v: f"{by.split('.')[-1]}={v:.3g}")
        if groups is not None and groups.nunique() > 6:
            st.caption("More than 6 levels: pooled into one fan.")
            groups = None
    else:
        groups = labels_by_run
    series = store.series(columns=[metric])
    st.plotly_chart(charts.fan_chart_figure(series, metric, groups), key="sw_fan")
