"""Calibrating the chain model: the screening runs through the sweep machinery, the rest is ``method.finish``.

``calibrate_chain(spec, out_dir, workers=None, scheduler=None, resume=False, progress=None, log=None)``:

1. loads the spec and its targets, turns the spec into a sweep (LHS, ``seeds`` common replicates, the target metrics
   kept month by month) and resolves it against the scenario (the sweep machinery checks every parameter path and
   range and the base scenario);
2. runs one month of the base scenario to learn the calendar: the date of step 0 from the metrics' ``date`` column
   (or the spec's ``start_date`` for a scenario without one) and that every target metric is a metrics column; the
   runs last just long enough for the last target unless ``options.months`` says otherwise;
3. runs the sweep into ``OUT/sweep`` (``sim.sweep.run_sweep``: local processes or a Dask scheduler, resumable, the
   same rows whatever the executor);
4. reads every stored run's series at the targets' dates, scores, accepts and (if asked) refines with
   ``ChainSimulator`` in this process, and writes the outputs (``report``) into ``OUT``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pandas as pd

from ecosystem.checks import check_output_dir
from sim.experiments.calibration.machinery import (ResultsStore, SweepSpecError, resolve_sweep, run_sweep,
                                                   validate_spec)
from sim.experiments.calibration.method import (READING_COLUMNS, CalibrationResult, Progress, check_targets, finish,
                                                readings_of_run, target_metrics)
from sim.experiments.calibration.spec import (CalibrationSpec, CalibrationSpecError, calibration_spec_path,
                                              load_calibration_spec, targets_path)
from sim.experiments.calibration.targets import Target, load_targets, month_index, with_dates

SWEEP_SUBDIR = "sweep"


class CalibrationError(ValueError):
    """A calibration that cannot start or finish (screening stopped, runs too short, output in the way)."""


class ChainSimulator:
    """``simulate(params, seed) -> metrics frame with date`` for the chain model: ``sim.runner.run`` of the base
    scenario with the parameters set (dotted paths). Picklable, so a process pool can hold it."""

    def __init__(self, scenario, start_date: str | None = None):
        self.scenario = scenario
        self.start_date = start_date

    def __call__(self, params: dict[str, float], seed: int) -> pd.DataFrame:
        from sim.runner import run

        scenario = self.scenario.with_overrides(params) if params else self.scenario
        metrics = run(scenario, seed=int(seed), collect_agents=False).metrics
        return metrics if "date" in metrics.columns else with_dates(metrics, self.start_date)


def calendar_start(scenario, seed: int, spec: CalibrationSpec, metrics: list[str]) -> str:
    """The date of step 0 (YYYY-MM), from a one-month run; also checks the target metrics are metrics columns."""
    from sim.runner import run

    probe = run(scenario, seed=seed, months=1, collect_agents=False).metrics
    problems = [f"targets: metric {m!r} is not a column of the model's metrics; allowed: "
                f"{', '.join(c for c in probe.columns if c not in ('step', 'date'))}"
                for m in metrics if m not in probe.columns]
    if problems:
        raise CalibrationSpecError(problems)
    if "date" in probe.columns:
        first = str(probe.loc[probe["step"] == probe["step"].min(), "date"].iloc[0])
        start = pd.Series([first]).str.slice(0, 7).iloc[0]
        if spec.start_date is not None and spec.start_date != start:
            raise CalibrationSpecError([f"start_date: value {spec.start_date!r} is not allowed; the base scenario "
                                        f"starts at {start} (omit start_date, or give {start})"])
        return start
    if spec.start_date is None:
        raise CalibrationSpecError(["start_date: required field is missing; the base scenario's metrics have no "
                                    "date column, so give the date of step 0 (YYYY-MM)"])
    return spec.start_date


def months_needed(targets: list[Target], start: str, months: int | None) -> int:
    first = min(month_index(t.date if not t.yearly else f"{t.date}-01") for t in targets)
    last = max(month_index(t.last_month) for t in targets)
    if first < month_index(start):
        early = [t.id for t in targets if month_index(t.date if not t.yearly else f"{t.date}-01") < month_index(start)]
        raise CalibrationSpecError([f"targets: {', '.join(early)} are dated before the base scenario's start "
                                    f"{start}; allowed: targets from {start} on"])
    needed = max(1, last - month_index(start))
    if months is not None and months < needed:
        raise CalibrationSpecError([f"options.months: value {months} is not allowed; the last target "
                                    f"({max(t.last_month for t in targets)}) needs {needed} months from {start}"])
    return months if months is not None else needed


def store_readings(store: ResultsStore, targets: list[Target], start: str) -> pd.DataFrame:
    """Every stored run of the screening sweep read at the targets' dates (``READING_COLUMNS``)."""
    runs = store.runs(columns=["run_id", "point_id", "replicate", "seed"])
    series = store.series(columns=target_metrics(targets))
    rows: list[tuple] = []
    by_run = dict(tuple(series.groupby("run_id", sort=False)))
    for rid, point_id, replicate, seed in runs.itertuples(index=False):
        frame = by_run.get(rid)
        if frame is None:
            raise CalibrationError(f"{store.dir}: run {rid} has no series; rerun with --resume in a new --out")
        frame = frame if "date" in frame.columns else with_dates(frame, start)
        rows += readings_of_run(point_id, replicate, seed, frame, targets)
    return pd.DataFrame(rows, columns=READING_COLUMNS)


def _as_spec(spec: CalibrationSpec | str | Path) -> tuple[CalibrationSpec, Path | None]:
    if isinstance(spec, CalibrationSpec):
        return spec, None
    path = calibration_spec_path(spec)
    return load_calibration_spec(path), path.resolve().parent


def _sweep(spec: CalibrationSpec, metrics: list[str], months: int | None, spec_dir: Path | None):
    try:
        sweep = validate_spec(spec.sweep_data(metrics, months))
        return sweep, resolve_sweep(sweep, spec_dir)
    except SweepSpecError as exc:  # the sweep's fields are the spec's, but for replicates (here: seeds)
        raise CalibrationSpecError([p.replace("replicates", "seeds") for p in exc.problems]) from None


def calibrate_chain(spec: CalibrationSpec | str | Path, out_dir: str | Path, workers: int | None = None,
                    scheduler: str | None = None, resume: bool = False, progress: Progress | None = None,
                    log: Callable[[str], None] | None = None, spec_dir: str | Path | None = None,
                    ) -> CalibrationResult:
    """Calibrate the chain model (see the module docstring); writes the outputs into ``out_dir`` and returns them.

    Raises ``CalibrationSpecError`` / ``TargetsError`` (bad spec or targets), ``CalibrationError``, and the sweep's
    ``SweepError`` (directory in the way, no scheduler) or ``SweepRunError`` (a run failed; resume after the fix).
    """
    started = time.perf_counter()
    spec, found_dir = _as_spec(spec)
    spec_dir = Path(spec_dir) if spec_dir else found_dir
    targets = load_targets(targets_path(spec, spec_dir), spec.metrics)
    check_targets(spec, targets)
    metrics = target_metrics(targets)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CalibrationError(f"--out: {str(out)!r} is a file; allowed: a directory")
    if out.exists() and not resume and any(out.iterdir()):
        raise CalibrationError(f"--out: {str(out)!r} is not empty; allowed: a new directory, or --resume to "
                               "continue the calibration stored there")
    _, resolved = _sweep(spec, metrics, spec.options.months, spec_dir)
    start = calendar_start(resolved.scenario, resolved.base_seed, spec, metrics)
    months = months_needed(targets, start, spec.options.months)
    sweep, resolved = _sweep(spec, metrics, months, spec_dir)
    try:
        check_output_dir("--out", out)  # created and written to once the spec is valid, before any run
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
    if log:
        log(f"calibrate {spec.name}: {spec.samples} samples x {spec.seeds} seeds = {resolved.total_runs} runs of "
            f"{months} months from {start}, {len(targets)} targets")
    sweep_dir = out / SWEEP_SUBDIR
    screen = run_sweep(sweep, sweep_dir, workers=workers, scheduler=scheduler, resume=resume, progress=progress,
                       spec_dir=spec_dir)
    if screen.status != "complete":
        raise CalibrationError(f"screening {screen.status}: {screen.done_runs} of {screen.total_runs} runs stored in "
                               f"{sweep_dir}; continue with --resume")
    timings = {"screen_s": round(time.perf_counter() - started, 3)}
    store = ResultsStore(sweep_dir)
    readings = store_readings(store, targets, start)
    design = store.design()
    simulate = ChainSimulator(resolved.scenario, start)
    result = finish(spec, targets, design, readings, resolved.common_seeds, simulate, timings,
                    resolved.integer_params, log=log)
    result.sweep_dir = str(sweep_dir)
    result.timings_s["total_s"] = round(time.perf_counter() - started, 3)
    (out / "spec.yaml").write_text(_spec_yaml(spec), encoding="utf-8")
    result.write(out)
    return result


def _spec_yaml(spec: CalibrationSpec) -> str:
    import yaml

    return yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True), sort_keys=False)
