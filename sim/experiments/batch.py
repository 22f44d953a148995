"""The worker side of a sweep: a batch of runs is one task; ``run_batch`` runs each, reduces its outcomes and returns
tidy rows (and the monthly series of the chosen columns), plus the host and timings for the manifest only."""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Batch:
    """One task: the base scenario and the runs to make from it (pickled to a worker process or a dask worker)."""

    scenario: Any
    parameters: list[str]
    runs: list[tuple[str, int, int, int, tuple]]  # run_id, point_id, replicate, seed, parameter values
    outcomes: list[tuple[str, str, str]]  # column, metric, reduction
    series: list[str] = field(default_factory=list)


def reduce_metric(metrics: pd.DataFrame, metric: str, how: str) -> float:
    """One number from a metrics column: ``final`` (last month), or ``mean``/``peak``/``sum`` over months 1..H
    (step 0 is the initial state, before any trade). NaN months are skipped; NaN if none is left."""
    col = metrics[metric]
    if how == "final":
        return float(col.iloc[-1])
    months = col[metrics["step"] >= 1] if "step" in metrics and len(metrics) > 1 else col
    values = pd.to_numeric(months, errors="coerce").astype(float).dropna()
    if values.empty:
        return math.nan
    if how == "mean":
        return float(values.mean())
    if how == "peak":
        return float(values.max())
    if how == "sum":
        return float(values.sum())
    raise ValueError(f"reduce: value {how!r} is not allowed; allowed: final, mean, peak, sum")


def run_batch(batch: Batch) -> dict[str, Any]:
    """Run every run of a batch; return its rows (and series), the runs that failed (their inputs and a one-line
    error naming the month and stage), plus the host and timings (for the manifest only). A failing run does not
    stop the batch."""
    from sim.runner import RunFailed, run
    from sim.scenario import ScenarioError

    started = time.perf_counter()
    records: list[tuple] = []
    failures: list[tuple] = []
    series_frames: list[pd.DataFrame] = []
    run_s: list[float] = []
    cache: tuple[tuple, Any] | None = None
    for rid, point_id, replicate, seed, values in batch.runs:
        overrides = dict(zip(batch.parameters, values))
        try:
            if cache is None or cache[0] != values:
                cache = (values, batch.scenario.with_overrides(overrides) if overrides else batch.scenario)
            t0 = time.perf_counter()
            result = run(cache[1], seed=int(seed), collect_agents=False)
            run_s.append(time.perf_counter() - t0)
            metrics = result.metrics
            outs = tuple(reduce_metric(metrics, metric, how) for _, metric, how in batch.outcomes)
        except Exception as exc:  # recorded with its inputs; the batch and the sweep go on
            if isinstance(exc, ScenarioError):
                why = f"invalid scenario: {'; '.join(exc.problems)}"
            elif isinstance(exc, RunFailed):
                why = str(exc)
            else:
                why = f"{type(exc).__name__}: {exc}"
            cache = None if isinstance(exc, ScenarioError) else cache
            failures.append((rid, point_id, replicate, seed, *values,
                             f"run {rid} (point {point_id}, replicate {replicate}, seed {seed}, {overrides}) failed: "
                             f"{why}".splitlines()[0]))
            continue
        records.append((rid, point_id, replicate, seed, *values, *outs))
        if batch.series:
            frame = metrics[["step", *batch.series]].copy()
            frame.insert(0, "run_id", rid)
            series_frames.append(frame)
    keys = ["run_id", "point_id", "replicate", "seed", *batch.parameters]
    rows = pd.DataFrame.from_records(records, columns=keys + [c for c, _, _ in batch.outcomes])
    failed = pd.DataFrame.from_records(failures, columns=keys + ["error"])
    series = pd.concat(series_frames, ignore_index=True) if series_frames else None
    return {"runs": rows, "series": series, "failures": failed, "host": socket.gethostname(), "pid": os.getpid(),
            "wall_s": time.perf_counter() - started, "run_s": run_s}
