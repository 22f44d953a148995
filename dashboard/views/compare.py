"""Compare: two to four scenarios side by side; then sweeps (replicates, grids, Sobol') run in the background."""

import os

import pandas as pd
import streamlit as st

from dashboard import figures, kpis, levers, state, sweeps
from sim.metrics import METRICS
from sim.scenario import ScenarioError, scenario_from_yaml

st.title("Compare scenarios")

# ---- candidates: presets, uploads, saved runs, the Explore page's current levers ---------------------------------
candidates: dict[str, tuple] = {}
try:
    source, base, current, values = levers.current()
    changes = levers.changed(values, levers.values_from_scenario(base))
    if changes:
        candidates["Explore: current levers (" + ", ".join(f"{k}={v}" for k, v in changes.items()) + ")"] = (
            current, current.seed)
except ScenarioError:
    pass
for name in levers.preset_names():
    sc = levers.load_source(name)
    candidates[f"preset: {name}"] = (sc, sc.seed)
for name, text in state.uploads().items():
    try:
        sc = scenario_from_yaml(text)
        candidates[f"upload: {name}"] = (sc, sc.seed)
    except ScenarioError:
        continue
for run in state.saved_runs():
    sc = scenario_from_yaml(run["yaml"])
    candidates[f"saved: {run['label']}"] = (sc, run["seed"])

names = list(candidates)
default = names[:2] if len(names) >= 2 else names
chosen = st.multiselect("Scenarios to compare (2 to 4): presets, uploads from Explore, runs saved on Explore, and "
                        "the current levers", names, default=default, max_selections=4, key="cmp_chosen")
st.caption("Save a run on Explore (tab *Download & save*) to add it here; change a lever there to add the current "
           "levers.")
if len(chosen) < 2:
    st.info("Choose at least two scenarios.")
else:
    views = {}
    for name in chosen:
        sc, seed = candidates[name]
        try:
            views[name] = state.get_run(sc, seed, label=f"Simulating {name}")
        except Exception as exc:
            st.error(f"{name}: the simulation failed: {type(exc).__name__}: {exc}")
    options = [c for c in METRICS if c != "step"]
    metric = st.selectbox("Metric", options, index=options.index("tokens_served"), format_func=figures.axis_title,
                          key="cmp_metric")
    st.plotly_chart(figures.compare_figure({n: v.metrics for n, v in views.items()}, metric), key="cmp_chart")

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
    out = pd.concat([wide[list(views)], deltas], axis=1).reindex(order)
    st.subheader("At the horizon (and over the whole run)")
    st.dataframe(out, width="stretch")

# ---- sweeps -------------------------------------------------------------------------------------------------------
st.divider()
st.header("Sweeps: replicates and sensitivity")
st.caption("A sweep runs a scenario many times (seeds, parameter grids, Latin hypercubes or Sobol' designs, "
           "`data/sweeps/*.yaml`) into a results store under `runs/`. Start one here (it runs in a background "
           "process, `python -m sim sweep`; browse its results while it runs) or from the command line with "
           "`python -m sim sweep data/sweeps/NAME.yaml --out runs/NAME`. Fan: the median run and the bands that "
           "hold the middle 50% and 90% of runs, month by month.")

try:
    from sim.analysis import AnalysisError, sensitivity, summarize
    from sim.store import ResultsStore, StoreError
    from sim.sweep_spec import SweepSpecError, load_spec, sweep_names
except ImportError as exc:  # pragma: no cover - the sweep modules ship with sim/
    st.info(f"Sweeps are not available in this checkout ({exc}).")
    st.stop()

specs = sweep_names()
c1, c2, c3 = st.columns([3, 1, 1])
spec_name = c1.selectbox("Sweep spec", specs, key="sw_spec") if specs else None
cpus = os.cpu_count() or 1
workers = c2.number_input("Worker processes", 1, max(1, cpus), value=max(1, cpus - 1), key="sw_workers",
                          help="processes running simulations in parallel (the machine has "
                               f"{cpus} CPU cores)")
if spec_name:
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

stores = sweeps.stores()
if not stores:
    st.info("No sweep results yet. Run a sweep above (`baseline_replicates`, 20 runs, takes well under a minute), "
            "then browse it here.")
    st.stop()
labels = [str(p.relative_to(sweeps.ROOT)) for p in stores]
pre = st.session_state.get("sw_store")
idx = next((i for i, p in enumerate(stores) if str(p) == pre), 0)
picked = st.selectbox("Results to browse", labels, index=idx, key="sw_browse")
store_dir = stores[labels.index(picked)]
job = sweeps.job_for(store_dir)
polling = job is not None and job.running


@st.fragment(run_every=2.0 if polling else None)
def sweep_results() -> None:
    store = ResultsStore(store_dir)
    j = sweeps.job_for(store_dir)
    try:
        done, total = store.progress()
        spec = store.spec()
    except StoreError as exc:
        st.error(str(exc))
        return
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
    if done == 0:
        st.info("No run finished yet.")
        return
    runs = store.runs()
    params = spec.parameter_names
    outcome = st.selectbox("Outcome", spec.outcome_columns, key="sw_outcome",
                           help="a metric reduced over the months: final, mean, peak or sum")
    left, right = st.columns(2)
    with left:
        series_cols = spec.series_columns
        if series_cols:
            metric = st.selectbox("Series for the fan chart", series_cols, format_func=figures.axis_title,
                                  key="sw_series")
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
            st.plotly_chart(figures.fan_chart_figure(series, metric, groups), key="sw_fan")
        else:
            st.info("This sweep kept no monthly series (options.series: []).")
    with right:
        if params:
            try:
                sens = sensitivity(store, outcome)
                st.plotly_chart(figures.sensitivity_figure(sens, outcome), key="sw_sens")
            except AnalysisError as exc:
                st.info(f"Sensitivity not available yet: {exc}")
        else:
            import plotly.express as px

            fig = px.histogram(runs, x=outcome, nbins=20)
            fig.update_xaxes(title_text=f"{outcome} across replicates")
            fig.update_yaxes(title_text="runs (count)")
            fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10))
            st.plotly_chart(fig, key="sw_hist")
    if params:
        c1, c2 = st.columns(2)
        x = c1.selectbox("Input (x axis)", params, key="sw_x")
        color = c2.selectbox("Colour by", ["none", *[p for p in params if p != x]], key="sw_color")
        st.plotly_chart(figures.io_scatter_figure(runs, x, outcome, None if color == "none" else color),
                        key="sw_scatter")
    with st.expander("Per design point: mean and 90% interval across replicates"):
        st.dataframe(summarize(store, outcome), hide_index=True)


sweep_results()
