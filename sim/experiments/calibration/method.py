"""The calibration method, for any simulator: screen a Latin hypercube, score every set, keep the plausible ones.

1. Screening: ``spec.samples`` Latin-hypercube points over the parameters' ranges (the sweep machinery's design, so
   the same spec gives the same points on every path), each run with ``spec.seeds`` common seeds.
2. Scoring: every run is read at every target's date (``targets``), each target's figure is the median over the
   seeds with its p5-p95 spread, and its implausibility is computed (``fit``).
3. Acceptance: the sets whose implausibility (after ``exclude_worst``) is at most the cut-off are kept; the best set
   is the one with the lowest.
4. Refinement (optional, ``refine``): a bounded local search from the best set; its result is scored like a screened
   set and may become the best.

``calibrate_function(simulate, spec, targets)`` runs it in process on a function ``simulate(params, seed) ->
metrics frame`` (with a ``date`` column); ``sim.experiments.calibration.chain`` runs the screening of the chain model
through the sweep runner and then calls ``finish`` like this module does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from sim.experiments.calibration.fit import AcceptanceRule, best_point, judge, score
from sim.experiments.calibration.machinery import build_design, replicate_seeds, validate_spec
from sim.experiments.calibration.spec import CalibrationSpec, CalibrationSpecError
from sim.experiments.calibration.targets import Target, read_targets

Simulator = Callable[[dict[str, float], int], pd.DataFrame]
Progress = Callable[[int, int], None]
READING_COLUMNS = ["point_id", "replicate", "seed", "target", "value", "reason"]


@dataclass
class CalibrationResult:
    """Everything a calibration found. ``points``: one row per parameter set (screened and refined) with its
    parameters, ``source`` (lhs or refine) and its judgement; ``fits``: one row per set and target."""

    spec: CalibrationSpec
    targets: list[Target]
    rule: AcceptanceRule
    seeds: list[int]
    points: pd.DataFrame
    fits: pd.DataFrame
    best_point_id: int
    refinement: object | None = None  # refine.RefineResult
    timings_s: dict[str, float] = field(default_factory=dict)
    sweep_dir: str | None = None

    @property
    def accepted(self) -> pd.DataFrame:
        return self.points[self.points["accepted"]].sort_values(["implausibility", "point_id"], kind="stable")

    @property
    def best(self) -> dict[str, float]:
        row = self.points.set_index("point_id").loc[self.best_point_id]
        return {name: _plain(row[name]) for name in self.spec.parameter_names}

    def best_fits(self) -> pd.DataFrame:
        return self.fits[self.fits["point_id"] == self.best_point_id]

    def write(self, out_dir: str | Path) -> Path:
        from sim.experiments.calibration.report import write_outputs

        return write_outputs(self, Path(out_dir))


def check_targets(spec: CalibrationSpec, targets: list[Target]) -> None:
    if spec.acceptance.exclude_worst >= len(targets):
        raise CalibrationSpecError([f"acceptance.exclude_worst: value {spec.acceptance.exclude_worst} is not "
                                    f"allowed; allowed: 0 to {len(targets) - 1} (fewer than the {len(targets)} "
                                    "targets)"])


def screening_design(spec: CalibrationSpec, targets: list[Target], base_seed: int = 0,
                     integer_params: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, list[int]]:
    """The screened points (``point_id`` and one column per parameter) and the seeds every point is run with: the
    sweep machinery's LHS design and common replicate seeds, from ``spec.seed`` (else ``base_seed``)."""
    sweep = validate_spec(spec.sweep_data(target_metrics(targets), spec.options.months))
    seed = int(spec.seed if spec.seed is not None else base_seed)
    return build_design(sweep, integer_params, seed), replicate_seeds(seed, spec.seeds)


def target_metrics(targets: list[Target]) -> list[str]:
    return list(dict.fromkeys(t.metric for t in targets))


def readings_of_run(point_id: int, replicate: int, seed: int, metrics: pd.DataFrame,
                    targets: list[Target]) -> list[tuple]:
    """One run read at every target's date: rows of ``READING_COLUMNS``."""
    return [(int(point_id), int(replicate), int(seed), t.id, r.value, r.reason)
            for t, r in zip(targets, read_targets(metrics, targets))]


def evaluate(simulate: Simulator, points: pd.DataFrame, names: list[str], seeds: list[int], targets: list[Target],
             progress: Progress | None = None) -> pd.DataFrame:
    """Run ``simulate`` for every point and seed and read the targets: a frame of ``READING_COLUMNS``."""
    rows: list[tuple] = []
    total, done = len(points) * len(seeds), 0
    if progress:
        progress(0, total)
    for point in points[["point_id", *names]].itertuples(index=False):
        params = {n: _plain(v) for n, v in zip(names, point[1:])}
        for r, seed in enumerate(seeds):
            rows += readings_of_run(point[0], r, seed, simulate(params, seed), targets)
            done += 1
            if progress:
                progress(done, total)
    return pd.DataFrame(rows, columns=READING_COLUMNS)


def assess(readings: pd.DataFrame, design: pd.DataFrame, names: list[str], targets: list[Target],
           rule: AcceptanceRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fits: one row per point and target; points: the design with each point's judgement)."""
    fits = score(readings, targets, rule)
    judged = judge(fits, targets, rule)
    points = design[["point_id", *names, *(["source"] if "source" in design else [])]].merge(
        judged, on="point_id", how="inner")
    if "source" not in points:
        points.insert(1, "source", "lhs")
    return fits, points


def finish(spec: CalibrationSpec, targets: list[Target], design: pd.DataFrame, readings: pd.DataFrame,
           seeds: list[int], simulate: Simulator | None, timings: dict[str, float],
           integer_params: frozenset[str] = frozenset(), log: Callable[[str], None] | None = None,
           ) -> CalibrationResult:
    """Score the screened runs, accept, refine (when the spec asks and ``simulate`` is given) and sum up."""
    rule = spec.acceptance.rule()
    names = spec.parameter_names
    t0 = time.perf_counter()
    fits, points = assess(readings, design, names, targets, rule)
    timings["score_s"] = round(time.perf_counter() - t0, 3)
    best = best_point(points)
    refinement = None
    if spec.refine is not None and simulate is not None:
        from sim.experiments.calibration.refine import refine

        t0 = time.perf_counter()
        start = {n: _plain(v) for n, v in points.set_index("point_id").loc[best, names].items()}
        refinement = refine(simulate, spec, targets, rule, start, seeds, integer_params, log=log)
        new_id = int(points["point_id"].max()) + 1
        extra = refinement.readings.assign(point_id=new_id)
        new_design = pd.DataFrame([{"point_id": new_id, **refinement.params, "source": "refine"}])
        new_fits, new_points = assess(extra, new_design, names, targets, rule)
        fits = pd.concat([fits, new_fits], ignore_index=True)
        points = pd.concat([points, new_points], ignore_index=True)
        best = best_point(points)
        timings["refine_s"] = round(time.perf_counter() - t0, 3)
    return CalibrationResult(spec=spec, targets=targets, rule=rule, seeds=list(seeds), points=points, fits=fits,
                             best_point_id=best, refinement=refinement, timings_s=timings)


def calibrate_function(simulate: Simulator, spec: CalibrationSpec, targets: list[Target],
                       progress: Progress | None = None, log: Callable[[str], None] | None = None,
                       ) -> CalibrationResult:
    """Calibrate any simulator ``simulate(params, seed) -> metrics frame with a date column`` on ``targets``.

    Runs in this process (no sweep store); ``result.write(out_dir)`` writes accepted.csv, fit.csv, summary.json.
    """
    check_targets(spec, targets)
    started = time.perf_counter()
    design, seeds = screening_design(spec, targets)
    readings = evaluate(simulate, design, spec.parameter_names, seeds, targets, progress)
    timings = {"screen_s": round(time.perf_counter() - started, 3)}
    result = finish(spec, targets, design, readings, seeds, simulate, timings, log=log)
    result.timings_s["total_s"] = round(time.perf_counter() - started, 3)
    return result


def _plain(v) -> float | int:
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    return float(v)
