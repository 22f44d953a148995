"""Running a forecast's ensemble: the accepted parameter sets, the common seeds, and every (set, seed) run with the
levers applied, read from or written to the per-run disk cache, in this process or a process pool."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim.experiments.forecast.levers import ForecastError, Levers
from sim.experiments.resolve import replicate_seeds
from sim.scenario import Scenario, ScenarioError
from sim.scenario.presets import REPO_ROOT

ACCEPTED_PATH = REPO_ROOT / "data" / "calibration" / "history_2020_accepted.csv"
CACHE_DIR = REPO_ROOT / "runs" / "forecast_cache"
CACHE_ENV = "LLM_CHAIN_FORECAST_CACHE"  # another cache directory (tests point it at a temporary one)
_FINGERPRINTED = (("sim", "*.py"), ("ecosystem", "*.py"), ("data/reference", "*.csv"), ("data/profiles", "*"))


def load_parameter_sets(path: str | Path | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The accepted sets (best first), each ``{dotted path: value}``; at most ``limit`` of them."""
    path = Path(path) if path is not None else ACCEPTED_PATH
    if not path.exists():
        raise ForecastError(f"--accepted: file {str(path)!r} does not exist; allowed: an accepted.csv written by "
                            "`python -m sim calibrate` (default data/calibration/history_2020_accepted.csv)")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ForecastError(f"--accepted: {path} is not a readable CSV ({str(exc).splitlines()[0]})") from None
    params = [c for c in frame.columns if "." in c]
    if not params or frame.empty:
        raise ForecastError(f"--accepted: {path} has no parameter columns or no rows; allowed: one column per "
                            "dotted scenario path (e.g. market.api_margin), one row per accepted set")
    if limit is not None:
        frame = frame.head(int(limit))
    return [{p: _plain(row[p]) for p in params if pd.notna(row[p])} for _, row in frame.iterrows()]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def forecast_seeds(scenario: Scenario, n: int) -> list[int]:
    """The seeds every set is run with: common random numbers from the scenario's own seed."""
    return replicate_seeds(int(scenario.seed), int(n))


# ---- running the ensemble ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the model's code and reference data: a cached run is reused only by the same model."""
    h = hashlib.sha256()
    for folder, pattern in _FINGERPRINTED:
        for p in sorted((REPO_ROOT / folder).rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(REPO_ROOT)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    """``$LLM_CHAIN_FORECAST_CACHE`` if set, else ``runs/forecast_cache`` in the repository."""
    return Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else CACHE_DIR


def run_key(scenario: Scenario, seed: int) -> str:
    return hashlib.sha256(f"{scenario.content_key()}:{int(seed)}:{code_fingerprint()}".encode()).hexdigest()[:24]


def simulate(scenario: Scenario, seed: int) -> pd.DataFrame:
    """One run's metrics frame (picklable for a process pool)."""
    from sim.runner import run

    return run(scenario, seed=int(seed), collect_agents=False).metrics


def run_ensemble(scenario: Scenario, sets: list[dict[str, Any]], seeds: list[int], levers: Levers | None = None,
                 workers: int = 1, cache_dir: str | Path | None = "default",
                 progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every (set, seed) run of ``scenario`` with the set's parameters and the levers applied: one frame with
    ``set_id, seed`` and the metrics columns, ordered by set, seed and step. ``cache_dir``: ``"default"``
    (``default_cache_dir()``), a directory, or None for no disk cache."""
    levers = levers or Levers()
    cache_dir = default_cache_dir() if cache_dir == "default" else cache_dir
    jobs: list[tuple[int, int, Scenario]] = []
    for set_id, params in enumerate(sets):
        try:
            s = levers.apply(scenario.with_overrides(params) if params else scenario)
        except ScenarioError as exc:
            raise ScenarioError([f"parameter set {set_id}: {p}" for p in exc.problems]) from None
        jobs += [(set_id, int(seed), s) for seed in seeds]
    cache = Path(cache_dir) if cache_dir is not None else None
    frames: dict[int, pd.DataFrame] = {}
    todo: list[int] = []
    for i, (_, seed, s) in enumerate(jobs):
        path = cache / f"{run_key(s, seed)}.parquet" if cache else None
        if path is not None and path.exists():
            frames[i] = pd.read_parquet(path)
        else:
            todo.append(i)
    done = len(frames)
    if progress:
        progress(done, len(jobs))
    for i, metrics in _execute([(jobs[i][2], jobs[i][1]) for i in todo], todo, workers):
        frames[i] = metrics
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            tmp = cache / f".{run_key(jobs[i][2], jobs[i][1])}.tmp"
            metrics.to_parquet(tmp, index=False)
            tmp.replace(cache / f"{run_key(jobs[i][2], jobs[i][1])}.parquet")
        done += 1
        if progress:
            progress(done, len(jobs))
    out = []
    for i, (set_id, seed, _) in enumerate(jobs):
        f = frames[i].copy()
        f.insert(0, "seed", seed)
        f.insert(0, "set_id", set_id)
        out.append(f)
    return pd.concat(out, ignore_index=True)


def _execute(runs: list[tuple[Scenario, int]], ids: list[int], workers: int):
    """(id, metrics) for each run, in this process or a pool of ``workers`` processes."""
    if workers <= 1 or len(runs) <= 1:
        for i, (s, seed) in zip(ids, runs):
            yield i, simulate(s, seed)
        return
    from sim.experiments.executors import open_executor

    executor, _, _, close = open_executor(min(int(workers), len(runs)), None)
    try:
        futures = [executor.submit(simulate, s, seed) for s, seed in runs]
        for i, fut in zip(ids, futures):
            yield i, fut.result()
    finally:
        close()
