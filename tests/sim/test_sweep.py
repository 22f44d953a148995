"""Sweeps: spec validation, designs and seeds, the runner (local pool, dask cluster, kill and resume), the store and
the analysis (Sobol' indices of the Ishigami function, regression importance of a linear model)."""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiments import analysis, executors, sweep
from sim.experiments.batch import reduce_metric
from sim.experiments.resolve import replicate_seeds, resolve_sweep
from sim.experiments.samplers import build_design
from sim.experiments.spec import SweepSpecError, load_spec, sweep_names, validate_spec
from sim.experiments.store import ResultsStore, StoreError
from sim.runner import run
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]

# A small real sweep: 2 x 2 grid points x 2 replicates = 8 runs of 12 months of the baseline.
TINY = {
    "name": "tiny",
    "base": {"scenario": "baseline"},
    "design": "grid",
    "parameters": {"clouds.price_markup": [0.8, 1.25], "market.demand_growth_multiplier": [1.0, 1.5]},
    "replicates": 2,
    "seed": 11,
    "outcomes": [
        {"metric": "tokens_served", "reduce": "final"},
        {"metric": "gpu_price_usd_per_hour", "reduce": "mean"},
        {"metric": "app_users", "reduce": "peak"},
        {"metric": "end_user_spend_usd", "reduce": "sum"},
    ],
    "options": {"months": 12},
}


def tiny(**changes) -> dict:
    spec = json.loads(json.dumps(TINY))
    for key, value in changes.items():
        if key == "options":
            spec["options"].update(value)
        else:
            spec[key] = value
    return spec


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


@pytest.fixture(scope="module")
def pool_sweep(tmp_path_factory) -> ResultsStore:
    """The tiny sweep on the local process pool (2 workers, automatic batch size)."""
    out = tmp_path_factory.mktemp("pool") / "sweep"
    summary = sweep.run_sweep(validate_spec(tiny()), out, workers=2)
    assert summary.status == "complete" and summary.new_runs == 8
    return ResultsStore(out)


# ---- spec validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, expected", [
    ({"colour": "red"}, ["colour: unknown field"]),
    ({"design": "random"}, ["design: value 'random' is not allowed", "'grid', 'lhs' or 'sobol'"]),
    ({"replicates": 0}, ["replicates: value 0 is not allowed", "greater than or equal to 1"]),
    ({"outcomes": []}, ["outcomes: value list is not allowed"]),
    ({"outcomes": [{"metric": "tokens_served", "reduce": "median"}]},
     ["outcomes.0.reduce: value 'median' is not allowed", "'final', 'mean', 'peak' or 'sum'"]),
    ({"parameters": {"clouds.price_markup": {"low": 2.0, "high": 1.0, "levels": 3}}},
     ["parameters.clouds.price_markup: range low=2.0 is not below high=1.0", "allowed: low < high"]),
    ({"parameters": {"clouds.price_markup": {"low": -1.0, "high": 1.0, "log": True, "levels": 2}}},
     ["parameters.clouds.price_markup: log range with low=-1.0", "allowed: low > 0"]),
    ({"parameters": {"clouds.price_markup": {"low": 0.5, "high": 2.0}}},
     ["parameters.clouds.price_markup: a range in a grid design needs 'levels'", "2..10000"]),
    ({"parameters": {"clouds.price_markup": [1.0, 1.0]}}, ["parameters.clouds.price_markup", "repeat",
                                                            "distinct"]),
    ({"design": "sobol", "samples": 100, "parameters": {"clouds.price_markup": {"low": 0.5, "high": 2.0}}},
     ["samples: value 100 is not allowed for a sobol design", "power of two"]),
    ({"design": "lhs", "parameters": {"clouds.price_markup": {"low": 0.5, "high": 2.0}}},
     ["samples: missing", "allowed"]),
    ({"samples": 10}, ["samples: value 10 is not allowed for a grid design"]),
    ({"second_order": True}, ["second_order: value True is not allowed for a grid design", "sobol"]),
    ({"outcomes": [{"metric": "co2_t"}, {"metric": "co2_t"}]}, ["outcomes: name 'co2_t_final' is used twice"]),
    ({"outcomes": [{"metric": "co2_t", "name": "seed"}]}, ["outcomes: name 'seed' is not allowed"]),
])
def test_bad_spec_shape_gets_one_clear_message(changes, expected):
    with pytest.raises(SweepSpecError) as info:
        validate_spec(tiny(**changes))
    text = "\n".join(info.value.problems)
    for piece in expected:
        assert piece in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("changes, expected", [
    ({"parameters": {"market.demand_growth_multplier": [1.0, 2.0]}},
     ["parameters.market.demand_growth_multplier: not a numeric field", "market.demand_growth_multiplier"]),
    ({"parameters": {"clouds.pue": [0.5, 1.2]}},
     ["parameters.clouds.pue.values: value [0.5] is not allowed", "allowed: 1.0 to 3.0"]),
    ({"parameters": {"trainers.count": [1.5, 3]}}, ["parameters.trainers.count", "whole numbers"]),
    ({"parameters": {"clouds.price_markup": [0.0, 1.0]}},
     ["parameters.clouds.price_markup: value 0.0 is not allowed by the scenario"]),
    ({"base": {"scenario": "no_such_preset"}}, ["base.scenario: value 'no_such_preset' is not allowed", "baseline"]),
    ({"base": {"scenario": "missing/file.yaml"}}, ["base.scenario: file 'missing/file.yaml' does not exist"]),
    ({"base": {"scenario": "baseline", "overrides": {"market.api_margin": -3}}},
     ["base.overrides: market.api_margin: value -3 is not allowed"]),
])
def test_bad_spec_against_the_scenario_is_reported_with_field_value_and_rule(changes, expected):
    spec = validate_spec(tiny(**changes))
    with pytest.raises(SweepSpecError) as info:
        resolve_sweep(spec)
    text = "\n".join(info.value.problems)
    for piece in expected:
        assert piece in text, text


def test_every_problem_is_reported_at_once():
    spec = validate_spec(tiny(parameters={"clouds.pue": [0.5, 1.2], "trainers.countt": [1, 2]}))
    with pytest.raises(SweepSpecError) as info:
        resolve_sweep(spec)
    assert len(info.value.problems) == 2


def test_cli_bad_spec_prints_problems_and_returns_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(tiny(outcomes=[{"metric": "tokens_servd"}])))
    code = _cli_sweep([str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "outcomes.0.metric: value 'tokens_servd' is not allowed" in err and "tokens_served" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written for a spec that cannot run


def test_cli_missing_file_and_bad_yaml(tmp_path, capsys):
    assert _cli_sweep([str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    assert _cli_sweep([str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "not valid YAML at line" in capsys.readouterr().err


def _cli_sweep(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    sweep.add_arguments(parser)
    return sweep.main(parser.parse_args(argv))


def test_bundled_sweeps_are_valid():
    names = sweep_names()
    assert {"gpu_price_vs_demand", "sobol_market_drivers", "baseline_replicates"} <= set(names)
    for name in names:
        resolved = resolve_sweep(load_spec(name))
        assert resolved.total_runs == resolved.spec.n_points * resolved.spec.replicates
        assert resolved.runs["run_id"].is_unique


# ---- designs and seeds -----------------------------------------------------------------------------------------


ranges = st.tuples(st.floats(0.01, 10.0), st.floats(0.01, 10.0)).filter(lambda t: abs(t[0] - t[1]) > 1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bounds=st.lists(ranges, min_size=1, max_size=4), logs=st.lists(st.booleans(), min_size=4, max_size=4),
       n=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
def test_lhs_design_is_stratified_inside_bounds_and_deterministic(bounds, logs, n, seed):
    params = {f"p{j}": {"low": min(b), "high": max(b), "log": logs[j]} for j, b in enumerate(bounds)}
    spec = validate_spec({"name": "x", "design": "lhs", "samples": n, "seed": seed, "parameters": params,
                          "outcomes": [{"metric": "y"}]})
    design = build_design(spec)
    assert len(design) == n and list(design["point_id"]) == list(range(n))
    pd.testing.assert_frame_equal(design, build_design(spec))
    for j, (name, p) in enumerate(spec.parameters.items()):
        x = design[name].to_numpy()
        assert (x >= p.low * (1 - 1e-12)).all() and (x <= p.high * (1 + 1e-12)).all()
        # Latin hypercube: exactly one point in each of the n equal-probability strata
        u = (np.log10(x) - math.log10(p.low)) / (math.log10(p.high) - math.log10(p.low)) if p.log \
            else (x - p.low) / (p.high - p.low)
        strata = np.clip(np.floor(u * n + 1e-9), 0, n - 1).astype(int)
        assert sorted(strata) == list(range(n))


@settings(max_examples=25, deadline=None)
@given(levels=st.lists(st.integers(1, 4), min_size=0, max_size=3), replicates=st.integers(1, 3))
def test_grid_design_is_the_full_product(levels, replicates):
    params = {f"p{j}": [float(v) for v in range(k)] for j, k in enumerate(levels)}
    spec = validate_spec({"name": "g", "parameters": params, "replicates": replicates,
                          "outcomes": [{"metric": "y"}]})
    design = build_design(spec)
    assert len(design) == math.prod(levels) == spec.n_points
    if params:
        assert not design.drop(columns="point_id").duplicated().any()


@pytest.mark.parametrize("d, second_order", [(1, False), (3, False), (3, True)])
def test_sobol_design_size_and_bounds(d, second_order):
    params = {f"p{j}": {"low": 1.0, "high": 100.0, "log": j == 0} for j in range(d)}
    params["choice"] = [3.0, 5.0, 7.0]
    spec = validate_spec({"name": "s", "design": "sobol", "samples": 32, "second_order": second_order,
                          "parameters": params, "outcomes": [{"metric": "y"}]})
    design = build_design(spec)
    dd = d + 1
    assert len(design) == 32 * ((2 * dd + 2) if second_order else (dd + 2))
    assert set(design["choice"]) == {3.0, 5.0, 7.0}
    for j in range(d):
        assert design[f"p{j}"].between(1.0, 100.0).all()


def test_replicate_seeds_are_deterministic_distinct_and_spec_dependent():
    a = replicate_seeds(123, 50)
    assert a == replicate_seeds(123, 50) and len(set(a)) == 50
    assert a[:10] == replicate_seeds(123, 10)  # adding replicates keeps the earlier ones
    assert set(a).isdisjoint(replicate_seeds(124, 50))
    assert all(0 <= s <= 2**32 - 1 for s in a)


def test_optional_integer_fields_are_rounded_in_sampled_designs():
    spec = validate_spec(tiny(design="lhs", samples=20, parameters={
        "policy.open_weights_release.month": {"low": 6, "high": 30},
        "clouds.fleet.H100-SXM": {"low": 1000, "high": 5000},
        "market.demand.chatbot.growth_per_month": {"low": 0.01, "high": 0.1}}))
    resolved = resolve_sweep(spec)
    assert resolved.integer_params == {"policy.open_weights_release.month", "clouds.fleet.H100-SXM"}
    for path in resolved.integer_params:
        assert resolved.runs[path].dtype == np.int64
    point = resolved.design.iloc[7]
    resolved.scenario.with_overrides({p: point[p].item() for p in spec.parameter_names})  # valid at interior points


def test_runs_common_and_independent_seeds_and_integer_parameters():
    common = resolve_sweep(validate_spec(tiny(parameters={"trainers.count": [2, 5]})))
    assert common.runs["trainers.count"].dtype == np.int64
    by_rep = common.runs.groupby("replicate")["seed"].nunique()
    assert (by_rep == 1).all()  # common random numbers: replicate r has one seed at every point
    indep = resolve_sweep(validate_spec(tiny(seeds="independent")))
    assert indep.runs["seed"].is_unique
    assert common.runs["run_id"].is_unique and indep.runs["run_id"].is_unique
    again = resolve_sweep(validate_spec(tiny(seeds="independent")))
    same_rows(indep.runs, again.runs)


# ---- outcome reductions ----------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(-1e9, 1e9), min_size=2, max_size=40))
def test_reductions_follow_their_definition(values):
    metrics = pd.DataFrame({"step": range(len(values)), "m": values})
    months = np.asarray(values[1:])
    assert reduce_metric(metrics, "m", "final") == values[-1]
    assert reduce_metric(metrics, "m", "peak") == months.max()
    assert math.isclose(reduce_metric(metrics, "m", "sum"), months.sum(), rel_tol=1e-9, abs_tol=1e-3)
    assert math.isclose(reduce_metric(metrics, "m", "mean"), months.mean(), rel_tol=1e-9, abs_tol=1e-3)


def test_rows_match_direct_runs_of_the_simulation(pool_sweep):
    runs = pool_sweep.runs()
    row = runs.iloc[3]
    scenario = load_scenario("baseline").with_overrides({
        "clouds.price_markup": float(row["clouds.price_markup"]),
        "market.demand_growth_multiplier": float(row["market.demand_growth_multiplier"]),
    })
    metrics = run(scenario, seed=int(row["seed"]), months=12, collect_agents=False).metrics
    months = metrics[metrics["step"] >= 1]
    assert row["tokens_served_final"] == metrics["tokens_served"].iloc[-1]
    assert row["gpu_price_usd_per_hour_mean"] == pytest.approx(months["gpu_price_usd_per_hour"].mean(), rel=1e-12)
    assert row["app_users_peak"] == months["app_users"].max()
    assert row["end_user_spend_usd_sum"] == pytest.approx(months["end_user_spend_usd"].sum(), rel=1e-12)
    series = pool_sweep.series(run_ids=[row["run_id"]])
    assert list(series["step"]) == list(metrics["step"])
    np.testing.assert_array_equal(series["tokens_served"].to_numpy(), metrics["tokens_served"].to_numpy(float))


# ---- runner and store ------------------------------------------------------------------------------------------


def test_pool_sweep_store_contents(pool_sweep):
    runs = pool_sweep.runs()
    assert len(runs) == 8 and runs["run_id"].is_unique and runs["run_id"].is_monotonic_increasing
    assert list(runs.columns[:4]) == ["run_id", "point_id", "replicate", "seed"]
    assert pool_sweep.progress() == (8, 8)
    series = pool_sweep.series()
    assert len(series) == 8 * 13 and set(series["run_id"]) == set(runs["run_id"])
    m = pool_sweep.manifest()
    assert m["total_runs"] == 8 and m["sessions"][0]["status"] == "complete"
    assert m["sessions"][0]["hosts"] and "packages" in m and m["seeds"]["base_seed"] == 11
    # timings and hosts never in rows
    assert not {"host", "wall_s", "run_s", "elapsed_s"} & set(runs.columns)
    q = pool_sweep.query('SELECT "clouds.price_markup" AS markup, count(*) AS n FROM runs GROUP BY 1 ORDER BY 1')
    assert list(q["n"]) == [4, 4]
    with pytest.raises(StoreError, match="query:"):
        pool_sweep.query("SELECT nope FROM runs")
    assert not list(pool_sweep.dir.rglob("*.tmp"))


def test_same_rows_whatever_the_workers_and_batches(pool_sweep, tmp_path):
    one = sweep.run_sweep(validate_spec(tiny()), tmp_path / "one", workers=1, batch_size=8)
    assert one.batches == 1
    other = ResultsStore(tmp_path / "one")
    same_rows(other.runs(), pool_sweep.runs())
    same_rows(other.series(), pool_sweep.series())


def test_dask_cluster_gives_the_same_rows_as_the_local_pool(pool_sweep, tmp_path, monkeypatch):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = sweep.run_sweep(validate_spec(tiny()), tmp_path / "dask", scheduler=cluster.scheduler_address)
        monkeypatch.setenv(sweep.ENV_SCHEDULER, cluster.scheduler_address)
        via_env = sweep.run_sweep(validate_spec(tiny()), tmp_path / "env", batch_size=3)
    assert summary.executor == "dask" and summary.workers == 2 and summary.status == "complete"
    assert via_env.executor == "dask"
    for out in ("dask", "env"):
        store = ResultsStore(tmp_path / out)
        same_rows(store.runs(), pool_sweep.runs())
        same_rows(store.series(), pool_sweep.series())
    assert ResultsStore(tmp_path / "dask").manifest()["sessions"][0]["scheduler"] == cluster.scheduler_address


def test_a_cluster_that_cannot_import_the_project_is_refused(tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(executors, "_IMPORT_CHECK", "import sim.no_such_module")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(sweep.SweepError, match="--scheduler: the scheduler of .* cannot import the project "
                                                   ".*ModuleNotFoundError.*PYTHONPATH"):
            sweep.run_sweep(validate_spec(tiny()), tmp_path / "x", scheduler=cluster.scheduler_address)
    assert not (tmp_path / "x").exists()


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(sweep.SweepError, match="--scheduler: cannot connect to 'tcp://127.0.0.1:1'"):
        sweep.run_sweep(validate_spec(tiny()), tmp_path / "x", scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "x").exists()  # a sweep that cannot start writes nothing


def test_killed_sweep_resumes_to_exactly_the_uninterrupted_runs(tmp_path):
    spec = tiny(replicates=4, options={"months": 24})  # 16 runs, one per batch, on one worker
    path = tmp_path / "kill.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "1",
                             "--batch-size", "1", "--quiet"], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:  # wait for the first finished batch (no deadline: a sweep that dies fails the poll below)
        while not list((out / "results").glob("part-*.parquet")) if (out / "results").exists() else True:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, mid-sweep
        proc.wait()
    store = ResultsStore(out)
    done, total = store.progress()
    assert 1 <= done < total == 16
    summary = sweep.run_sweep(path, out, workers=1, resume=True)
    assert summary.resumed_runs == done and summary.new_runs == 16 - done
    reference = sweep.run_sweep(path, tmp_path / "reference", workers=2)
    assert reference.new_runs == 16
    resumed = store.runs()
    assert resumed["run_id"].is_unique and len(resumed) == 16
    same_rows(resumed, ResultsStore(tmp_path / "reference").runs())
    same_rows(store.series(), ResultsStore(tmp_path / "reference").series())
    sessions = store.manifest()["sessions"]
    assert [s["status"] for s in sessions] == ["killed", "complete"]  # the killed one never closed
    # resuming a complete sweep runs nothing; a fresh run into it is refused
    assert sweep.run_sweep(path, out, resume=True).new_runs == 0
    with pytest.raises(sweep.SweepError, match="already holds a sweep .16 of 16 runs.*--resume"):
        sweep.run_sweep(path, out)


def test_a_failing_run_is_named_and_the_finished_batches_are_kept(pool_sweep, tmp_path, monkeypatch, capsys):
    """The runner loop, on an in-process thread pool (so the patched sim.runner.run is the one called)."""
    import concurrent.futures as cf

    import sim.runner

    real = sim.runner.run

    def flaky(scenario, seed=None, **kw):
        if scenario.clouds.price_markup == 1.25 and scenario.market.demand_growth_multiplier == 1.5:
            raise RuntimeError("boom")
        return real(scenario, seed=seed, **kw)

    def threads(workers, scheduler, *_):
        pool = cf.ThreadPoolExecutor(max_workers=1)
        return pool, 1, "threads", lambda: pool.shutdown(wait=True)

    monkeypatch.setattr(sim.runner, "run", flaky)
    monkeypatch.setattr(sweep, "open_executor", threads)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(tiny()))
    assert _cli_sweep([str(path), "--out", str(tmp_path / "f"), "--batch-size", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "failed: RuntimeError: boom" in err and "point 3, replicate" in err and "--resume" in err
    store = ResultsStore(tmp_path / "f")
    assert store.progress() == (6, 8)  # the last point's two runs failed; the six finished ones are kept
    assert store.manifest()["sessions"][-1]["status"] == "failed"
    monkeypatch.setattr(sim.runner, "run", real)
    assert sweep.run_sweep(path, tmp_path / "f", resume=True).new_runs == 2
    same_rows(store.runs(), pool_sweep.runs())


def test_resume_refuses_a_different_spec(pool_sweep):
    with pytest.raises(sweep.SweepError, match="--resume: .* holds a different sweep"):
        sweep.run_sweep(validate_spec(tiny(seed=12)), pool_sweep.dir, resume=True)


def test_clean_partial_removes_orphans_and_temporaries(tmp_path):
    store = ResultsStore(tmp_path)
    store.create({"total_runs": 2}, pd.DataFrame({"point_id": [0]}))
    rows = pd.DataFrame({"run_id": ["a", "b"], "point_id": [0, 0], "replicate": [0, 1], "seed": [1, 2]})
    name = store.write_batch(rows, pd.DataFrame({"run_id": ["a"], "step": [0]}))
    (store.series_dir / "part-0000000000000000.parquet").write_bytes(b"orphan")
    (store.results_dir / ".part-x.parquet.123.tmp").write_bytes(b"half")
    assert store.clean_partial() == 2
    assert [p.name for p in store.series_dir.iterdir()] == [name]
    assert store.progress() == (2, 2)


def test_progress_bar_line():
    stream = io.StringIO()
    bar = sweep.ProgressBar("demo", stream=stream)
    bar(0, 10)
    bar(5, 10)
    bar(10, 10)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("demo [") and "0/10 runs" in lines[0] and "ETA --:--" in lines[0]
    assert "10/10 runs 100.0%" in lines[-1] and "runs/s" in lines[-1]


def test_stop_event_stops_and_resume_completes(tmp_path):
    import threading

    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= 1:
            stop.set()

    spec = validate_spec(tiny())
    summary = sweep.run_sweep(spec, tmp_path / "s", workers=1, batch_size=1, progress=progress, stop=stop)
    assert summary.status == "stopped" and 1 <= summary.done_runs < 8
    assert sweep.run_sweep(spec, tmp_path / "s", workers=1, resume=True).done_runs == 8


# ---- analysis --------------------------------------------------------------------------------------------------


def _model_store(tmp_path, spec_data: dict, model) -> ResultsStore:
    """Write a model's outputs on a spec's design through the store API (no simulation involved)."""
    spec = validate_spec(spec_data)
    design = build_design(spec)
    runs = design.assign(run_id=[f"{i:016x}" for i in range(len(design))], replicate=0, seed=0)
    runs["y"] = model(*(design[p].to_numpy() for p in spec.parameter_names))
    store = ResultsStore(tmp_path)
    store.create({"spec": spec.model_dump(mode="json"), "total_runs": len(design),
                  "design": {"kind": spec.design, "points": len(design)}, "seeds": {"base_seed": spec.seed},
                  "parameters": spec.parameter_names, "outcome_columns": ["y"]}, design)
    cols = ["run_id", "point_id", "replicate", "seed", *spec.parameter_names, "y"]
    for i in range(0, len(runs), 3000):
        store.write_batch(runs.iloc[i:i + 3000][cols])
    return store


def test_sobol_indices_of_the_ishigami_function(tmp_path):
    a, b = 7.0, 0.1
    store = _model_store(tmp_path, {
        "name": "ishigami", "design": "sobol", "samples": 2048, "seed": 7,
        "parameters": {f"x{i}": {"low": -math.pi, "high": math.pi} for i in (1, 2, 3)},
        "outcomes": [{"name": "y", "metric": "y"}]},
        lambda x1, x2, x3: np.sin(x1) + a * np.sin(x2) ** 2 + b * x3 ** 4 * np.sin(x1))
    # analytic partial variances (Ishigami & Homma 1990; Sobol' & Levitan 1999)
    v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = {"x1": v1 / v, "x2": v2 / v, "x3": 0.0}
    st_ = {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}
    sens = analysis.sensitivity(store, "y").set_index("parameter")
    assert (sens["method"] == "sobol").all()
    for x in ("x1", "x2", "x3"):
        assert sens.loc[x, "S1"] == pytest.approx(s1[x], abs=0.04)
        assert sens.loc[x, "ST"] == pytest.approx(st_[x], abs=0.04)
        assert 0 < sens.loc[x, "S1_conf"] < 0.1 and 0 < sens.loc[x, "ST_conf"] < 0.1
    assert list(sens.sort_values("rank").index) == ["x1", "x2", "x3"]


def test_srrc_ranking_of_a_linear_model(tmp_path):
    coef = {"x1": 4.0, "x2": 2.0, "x3": 0.0}
    store = _model_store(tmp_path, {
        "name": "linear", "design": "lhs", "samples": 400, "seed": 3,
        "parameters": {x: {"low": 0.0, "high": 1.0} for x in coef},
        "outcomes": [{"name": "y", "metric": "y"}]},
        lambda x1, x2, x3: coef["x1"] * x1 + coef["x2"] * x2 + coef["x3"] * x3)
    sens = analysis.sensitivity(store, "y").set_index("parameter")
    sd_y = math.sqrt(sum(c ** 2 for c in coef.values()) / 12)
    for x, c in coef.items():  # SRC = b_i sd(x_i) / sd(y) for a linear model
        assert sens.loc[x, "src"] == pytest.approx(c / math.sqrt(12) / sd_y, abs=0.02)
    assert list(sens.sort_values("rank").index) == ["x1", "x2", "x3"]
    assert sens["r2"].iloc[0] == pytest.approx(1.0, abs=1e-9) and sens["r2_rank"].iloc[0] > 0.9


def test_summary_mean_and_interval_across_replicates(pool_sweep):
    runs = pool_sweep.runs()
    summary = analysis.summarize(pool_sweep, "tokens_served_final")
    assert len(summary) == 4 and (summary["n"] == 2).all()
    for row in summary.itertuples(index=False):
        y = runs.loc[runs["point_id"] == row.point_id, "tokens_served_final"].to_numpy()
        assert row.mean == pytest.approx(y.mean()) and row.p05 == pytest.approx(np.percentile(y, 5))
        assert row.p95 == pytest.approx(np.percentile(y, 95))
    assert len(analysis.summarize(pool_sweep)) == 4 * 4  # every outcome, long format
    with pytest.raises(analysis.AnalysisError, match="--outcome: value 'nope' is not allowed; allowed: "):
        analysis.summarize(pool_sweep, "nope")


def test_analyze_cli_json_is_one_object(pool_sweep, capsys):
    parser = argparse.ArgumentParser()
    analysis.add_arguments(parser)
    assert analysis.main(parser.parse_args([str(pool_sweep.dir), "--json"])) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["runs_done"] == 8 and set(result["outcomes"]) == set(pool_sweep.spec().outcome_columns)
    sens = result["outcomes"]["tokens_served_final"]["sensitivity"]
    assert {s["parameter"] for s in sens} == {"clouds.price_markup", "market.demand_growth_multiplier"}
    assert analysis.main(parser.parse_args([str(pool_sweep.dir)])) == 0
    assert "importance of inputs" in capsys.readouterr().out
    assert analysis.main(parser.parse_args([str(pool_sweep.dir / "nowhere")])) == 2
    assert "not a sweep directory" in capsys.readouterr().err


def test_sobol_analysis_of_an_incomplete_sweep_says_why(tmp_path):
    store = _model_store(tmp_path, {
        "name": "part", "design": "sobol", "samples": 8, "seed": 1,
        "parameters": {"x1": {"low": 0.0, "high": 1.0}, "x2": {"low": 0.0, "high": 1.0}},
        "outcomes": [{"name": "y", "metric": "y"}]}, lambda x1, x2: x1 + x2)
    first = sorted(store.results_dir.glob("part-*.parquet"))[0]
    kept = pd.read_parquet(first).iloc[:-3]
    first.unlink()
    store.write_batch(kept)
    with pytest.raises(analysis.AnalysisError, match="3 of 32 design points have no result"):
        analysis.sensitivity(store, "y")


def test_sweep_in_a_background_thread_while_the_store_is_browsed(pool_sweep, tmp_path):
    """The dashboard's way: run_sweep in a thread (worker processes from a fork server), reading as it writes."""
    import threading

    out = tmp_path / "bg"
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(
        summary=sweep.run_sweep(validate_spec(tiny()), out, workers=2, batch_size=1)))
    thread.start()
    store = ResultsStore(out)
    seen = []
    while thread.is_alive():
        if store.exists():
            done, total = store.progress()
            runs = store.runs()
            assert len(runs) >= done and runs["run_id"].is_unique  # whole batches only, never a partial file
            seen.append(done)
        time.sleep(0.01)
    thread.join()
    assert result["summary"].status == "complete"
    assert seen == sorted(seen)
    same_rows(store.runs(), pool_sweep.runs())


def test_fan_bands_match_pandas(pool_sweep):
    bands = analysis.fan(pool_sweep, "tokens_served")
    series = pool_sweep.series().merge(pool_sweep.runs()[["run_id", "point_id"]], on="run_id")
    g = series.groupby(["point_id", "step"])["tokens_served"]
    expected = pd.DataFrame({"mean": g.mean(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}).reset_index()
    assert len(bands) == len(expected) == 4 * 13 and (bands["n"] == 2).all()
    for col in ("mean", "p05", "p95"):
        np.testing.assert_allclose(bands[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-12)
    with pytest.raises(analysis.AnalysisError, match="column: value 'co2_t' is not allowed; allowed: the sweep's"):
        analysis.fan(pool_sweep, "co2_t")
