"""Forecasts with bands: a scenario (default ``forecast_2031``) run over the accepted calibrated parameter sets x
several seeds, with what-if levers at calendar dates, summarised per metric and date by the median and the 50% and
90% bands; a lever setting is compared with the unmodified forecast run by run (paired by set and seed).

- **Parameter sets**: ``data/calibration/history_2020_accepted.csv`` (``python -m sim calibrate``): one row per
  accepted set, best first; every column whose name is a dotted scenario path (``market.api_margin``) is a parameter,
  the others (point_id, implausibility, ...) are the calibration's own notes.
- **Seeds**: ``replicate_seeds(scenario.seed, n)`` (the sweep machinery's common random numbers), so every set
  meets the same seeds and a what-if run is paired with the unmodified run of the same set and seed.
- **Levers** (``Levers``): dotted-path ``overrides`` applied to every run, and ``shocks`` appended to the scenario's
  own; a dated event is given ``at: YYYY-MM`` (a shock; ``policy.open_weights_release.at``;
  ``policy.bias_audit.start_at``), so a lever takes effect at a date and leaves every month before it unchanged.
- **Bands** (``bands``): per metric and date, over the runs whose value is defined there (``runs``): ``p5, p25,
  median, p75, p95`` (``numpy.nanquantile``, linear); the 50% band is p25-p75, the 90% band p5-p95.
- **Variants** in ``Forecast.bands``: ``forecast`` (unmodified), ``what_if`` (with the levers), ``difference``
  (what_if - forecast, run by run) and ``relative_change`` (what_if / forecast - 1, where the forecast is not 0).
- **Cache**: each run's metrics are stored under ``runs/forecast_cache/`` keyed by the run's scenario content
  (``Scenario.content_key`` after the set and the levers are applied), its seed, and a fingerprint of the code and
  reference data (``sim/``, ``ecosystem/``, ``data/reference/``, ``data/profiles/``), so a changed model never
  reads stale runs. Missing runs run in this process (``workers=1``) or in a process pool (``workers=N``, the sweep
  machinery's executor); the results do not depend on which. ``$LLM_CHAIN_FORECAST_CACHE`` moves the cache.

CLI: ``python -m sim forecast [SCENARIO] --out DIR [--seeds N] [--sets N] [--workers N] [--months N]
[--set PATH=VALUE ...] [--shock KIND:CHANGE@YYYY-MM ...] [--levers FILE] [--accepted CSV] [--cache DIR | --no-cache]``
writes ``bands.parquet``, ``runs.parquet`` and ``summary.json`` into DIR and prints the summary.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml
from pydantic import Field

from ecosystem.checks import check_int
from sim.experiments.resolve import replicate_seeds
from sim.scenario import Scenario, ScenarioError, Shock, load_scenario, validate_mapping
from sim.scenario.base import Strict
from sim.scenario.errors import format_error
from sim.scenario.presets import REPO_ROOT

DEFAULT_SCENARIO = "forecast_2031"
ACCEPTED_PATH = REPO_ROOT / "data" / "calibration" / "history_2020_accepted.csv"
CACHE_DIR = REPO_ROOT / "runs" / "forecast_cache"
CACHE_ENV = "LLM_CHAIN_FORECAST_CACHE"  # another cache directory (tests point it at a temporary one)
QUANTILES = {"p5": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
BAND_COLUMNS = ["variant", "metric", "date", "step", "runs", *QUANTILES]
VARIANTS = ("forecast", "what_if", "difference", "relative_change")
RUN_KEYS = ("set_id", "seed")
# the calibrated metrics (calibration_targets.csv), the summary's default
SUMMARY_METRICS = ("frontier_train_flops", "frontier_run_cost_usd", "price_at_gpt4_level_usd_per_mtok",
                   "price_at_gpt35_level_usd_per_mtok", "gpu_price_h100_equiv_usd_per_hour", "app_users",
                   "lab_revenue_max_usd", "label_spend_usd", "gpu_capex_usd", "tokens_served", "energy_kwh")
_FINGERPRINTED = (("sim", "*.py"), ("ecosystem", "*.py"), ("data/reference", "*.csv"), ("data/profiles", "*"))


class ForecastError(ValueError):
    """Input a forecast cannot use (parameter sets file, counts, lever text, output path): one message, or one per
    problem (``problems``)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class Levers(Strict):
    """A what-if setting: dotted-path overrides for every run, and shocks added to the scenario's own (give them
    ``at: YYYY-MM``). Empty levers leave the scenario as it is."""

    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted scenario paths and their values")
    shocks: list[Shock] = Field(default_factory=list, description="shocks added to the scenario's own")

    def is_empty(self) -> bool:
        return not self.overrides and not self.shocks

    def apply(self, scenario: Scenario) -> Scenario:
        if self.is_empty():
            return scenario
        ov = dict(self.overrides)
        if self.shocks:
            ov["shocks"] = ([s.model_dump(mode="json") for s in scenario.shocks]
                            + [s.model_dump(mode="json", exclude_none=True) for s in self.shocks])
        return scenario.with_overrides(ov)

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.overrides.items()]
        parts += [f"{s.kind} {s.change:+.0%} at {s.at if s.at is not None else f'month {s.month}'}"
                  for s in self.shocks]
        return ", ".join(parts) if parts else "none"


def load_levers(data: Any) -> Levers:
    """``Levers`` from plain data (a levers YAML), or a ``ForecastError`` naming each bad field."""
    return validate_mapping(Levers, data, ForecastError, "levers", lambda e: [f"levers.{format_error(e)}"])


# ---- parameter sets and seeds -----------------------------------------------------------------------------------


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


# ---- bands ------------------------------------------------------------------------------------------------------


def metric_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c not in (*RUN_KEYS, "step", "date", "variant")
            and pd.api.types.is_numeric_dtype(runs[c])]


def _cube(runs: pd.DataFrame, metrics: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """(runs x steps x metrics array, the steps' step/date frame); every run has the same steps."""
    ordered = runs.sort_values([*RUN_KEYS, "step"], kind="stable")
    steps = ordered.drop_duplicates("step")[["step", "date"]].sort_values("step").reset_index(drop=True)
    n_runs = len(ordered) // len(steps)
    if n_runs * len(steps) != len(ordered):
        raise ForecastError("runs: the runs do not all cover the same months; allowed: runs of one horizon")
    values = ordered[metrics].to_numpy(dtype=float).reshape(n_runs, len(steps), len(metrics))
    return values, steps


def nan_quantiles(values: np.ndarray, qs: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(quantiles x cells, count per cell) over axis 0, skipping NaN: numpy's default ('linear') quantile of the
    defined values of each cell, NaN where none is defined. Vectorised (``numpy.nanquantile`` loops per cell)."""
    values = np.where(np.isfinite(values), values, np.nan)
    ordered = np.sort(values, axis=0)  # NaNs last
    count = np.isfinite(values).sum(axis=0)
    out = np.full((len(qs), *values.shape[1:]), np.nan)
    last = np.maximum(count - 1, 0)
    for j, q in enumerate(qs):
        h = last * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, last)
        a = np.take_along_axis(ordered, lo[None], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None], axis=0)[0]
        value = np.clip(a + (h - lo) * (b - a), a, b)  # clipped: rounding never breaks p5 <= ... <= p95
        out[j] = np.where(count > 0, value, np.nan)
    return out, count


def _band_frame(values: np.ndarray, steps: pd.DataFrame, metrics: list[str], variant: str) -> pd.DataFrame:
    q, count = nan_quantiles(values, list(QUANTILES.values()))  # (quantiles, steps, metrics)
    n_steps, n_metrics = len(steps), len(metrics)
    frame = pd.DataFrame({
        "variant": variant,
        "metric": np.tile(np.asarray(metrics, dtype=object), n_steps),
        "date": np.repeat(steps["date"].astype(str).to_numpy(), n_metrics),
        "step": np.repeat(steps["step"].to_numpy(dtype=np.int64), n_metrics),
        "runs": count.reshape(-1).astype(np.int64),
    })
    for j, name in enumerate(QUANTILES):
        frame[name] = q[j].reshape(-1)
    return frame


def bands(runs: pd.DataFrame, metrics: list[str] | None = None, variant: str = "forecast") -> pd.DataFrame:
    """Per metric and date: the number of runs defined there and the p5, p25, median, p75, p95 across runs."""
    metrics = metrics or metric_columns(runs)
    values, steps = _cube(runs, metrics)
    return _band_frame(values, steps, metrics, variant)


def paired_bands(base: pd.DataFrame, what_if: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Bands of ``what_if - base`` (``difference``) and ``what_if / base - 1`` (``relative_change``), run by run:
    the runs are paired by set and seed."""
    metrics = metrics or metric_columns(base)
    b, steps = _cube(base, metrics)
    w, steps_w = _cube(what_if, metrics)
    if b.shape != w.shape or not steps["step"].equals(steps_w["step"]):
        raise ForecastError("what-if runs do not pair with the forecast runs; allowed: the same sets, seeds and "
                            "months")
    diff = w - b
    diff[np.isnan(w) & np.isnan(b)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(b != 0, w / b - 1.0, np.nan)
    rel[(w == b) & np.isfinite(b)] = 0.0  # unchanged, even where both are 0
    return pd.concat([_band_frame(diff, steps, metrics, "difference"),
                      _band_frame(rel, steps, metrics, "relative_change")], ignore_index=True)


# ---- the forecast -----------------------------------------------------------------------------------------------


@dataclass
class Forecast:
    scenario: Scenario
    levers: Levers
    sets: list[dict[str, Any]]
    seeds: list[int]
    bands: pd.DataFrame
    runs: pd.DataFrame  # variant, set_id, seed, step, date, metrics
    timings_s: dict = field(default_factory=dict)

    def band(self, metric: str, variant: str = "forecast") -> pd.DataFrame:
        b = self.bands
        return b[(b["variant"] == variant) & (b["metric"] == metric)].reset_index(drop=True)

    def summary(self, metrics: tuple[str, ...] = SUMMARY_METRICS) -> dict[str, Any]:
        """Each metric's forecast (median, 90% band) and the what-if's median difference, every December and at the
        horizon."""
        last = str(self.bands["date"].max())
        dates = sorted({d for d in self.bands["date"].unique() if str(d).endswith("-12")} | {last})
        keyed = self.bands.set_index(["variant", "metric", "date"])
        table = {}
        for m in metrics:
            if ("forecast", m, last) not in keyed.index:
                continue
            rows = {}
            for d in dates:
                f, w, dif = (keyed.loc[(v, m, d)] for v in ("forecast", "what_if", "difference"))
                rows[d] = {"median": _num(f["median"]), "p5": _num(f["p5"]), "p95": _num(f["p95"]),
                           "runs": int(f["runs"]), "what_if_median": _num(w["median"]),
                           "difference_median": _num(dif["median"])}
            table[m] = rows
        return {"scenario": self.scenario.name, "start_date": self.scenario.start_date,
                "horizon_months": self.scenario.horizon_months, "last_date": last, "sets": len(self.sets),
                "seeds": self.seeds, "runs_per_variant": len(self.sets) * len(self.seeds),
                "levers": self.levers.model_dump(mode="json", exclude_none=True), "levers_text": self.levers.describe(),
                "quantiles": QUANTILES, "bands": "50%: p25-p75, 90%: p5-p95 across sets x seeds",
                "metrics": table, "timings_s": self.timings_s}

    def write(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.bands.to_parquet(out / "bands.parquet", index=False)
        self.runs.to_parquet(out / "runs.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, allow_nan=True), encoding="utf-8")
        return out


def _num(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def forecast(scenario: Scenario | str = DEFAULT_SCENARIO, levers: Levers | None = None, sets: int | None = None,
             seeds: int = 3, workers: int = 1, months: int | None = None, accepted: str | Path | None = None,
             parameter_sets: list[dict[str, Any]] | None = None, cache_dir: str | Path | None = "default",
             progress: Callable[[int, int], None] | None = None) -> Forecast:
    """The forecast of ``scenario`` over the first ``sets`` accepted sets (all by default; or ``parameter_sets``
    given directly) x ``seeds`` seeds, unmodified and with ``levers``, with its bands (see the module docstring)."""
    started = time.perf_counter()
    seeds = check_int("seeds", seeds, 1, 1000)
    workers = check_int("workers", workers, 1, 256)
    base = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    if months is not None:
        base = base.with_overrides({"horizon_months": check_int("months", months, 1, 600)})
    if parameter_sets is None:
        limit = None if sets is None else check_int("sets", sets, 1, 100_000)
        parameter_sets = load_parameter_sets(accepted, limit)
    levers = levers or Levers()
    levers.apply(base)  # a lever the scenario refuses is reported as such, before any run
    seed_list = forecast_seeds(base, seeds)
    n = len(parameter_sets) * len(seed_list) * (1 if levers.is_empty() else 2)
    counter = _Counter(progress, n)
    runs = run_ensemble(base, parameter_sets, seed_list, None, workers, cache_dir, counter.part(0))
    what_if = runs if levers.is_empty() else run_ensemble(base, parameter_sets, seed_list, levers, workers,
                                                          cache_dir, counter.part(1))
    metrics = metric_columns(runs)
    frame = pd.concat([bands(runs, metrics, "forecast"), bands(what_if, metrics, "what_if"),
                       paired_bands(runs, what_if, metrics)], ignore_index=True)
    all_runs = pd.concat([runs.assign(variant="forecast"), what_if.assign(variant="what_if")], ignore_index=True)
    all_runs = all_runs[["variant", *[c for c in all_runs.columns if c != "variant"]]]
    return Forecast(base, levers, parameter_sets, seed_list, frame, all_runs,
                    {"total_s": round(time.perf_counter() - started, 3)})


class _Counter:
    """Progress over the forecast's two ensembles as one count."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int):
        self.progress, self.total, self.offsets = progress, total, [0, 0]

    def part(self, k: int) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None

        def report(done: int, n: int) -> None:
            self.offsets[k] = done
            self.progress(sum(self.offsets), self.total)
        return report


# ---- python -m sim forecast -------------------------------------------------------------------------------------


def parse_set(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` (the value read as YAML: 100, 0.5, true, null, '2027-01')."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ForecastError(f"--set: {text!r} is not allowed; allowed: PATH=VALUE, e.g. "
                            "policy.carbon_price_usd_per_tco2=100")
    return path.strip(), yaml.safe_load(value)


def parse_shock(text: str) -> Shock:
    """``KIND:CHANGE@YYYY-MM``, e.g. ``gpu_price:-0.5@2027-01`` (the GPU price halves in January 2027)."""
    kind, _, rest = text.partition(":")
    change, _, at = rest.partition("@")
    allowed = "allowed: KIND:CHANGE@YYYY-MM with KIND gpu_price or demand, e.g. gpu_price:-0.5@2027-01"
    try:
        change_value = float(change)
    except ValueError:
        raise ForecastError(f"--shock: {text!r} has change {change!r}, not a number; {allowed}") from None
    return validate_mapping(Shock, {"kind": kind, "change": change_value, "at": at or None}, ForecastError,
                            "--shock", lambda e: [f"--shock {text!r}: {format_error(e)}; {allowed}"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help=f"preset name or scenario YAML (default {DEFAULT_SCENARIO})")
    parser.add_argument("--out", required=True, help="output directory (bands.parquet, runs.parquet, summary.json)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per parameter set (default 3)")
    parser.add_argument("--sets", type=int, default=None, help="first N accepted sets (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="processes for the runs (default 1)")
    parser.add_argument("--months", type=int, default=None, help="horizon in months (default: the scenario's)")
    parser.add_argument("--accepted", default=None, help="accepted sets CSV (default "
                        "data/calibration/history_2020_accepted.csv)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="what-if: a dotted scenario path set in every run, e.g. "
                        "policy.open_weights_release.at=2027-06 (repeatable)")
    parser.add_argument("--shock", action="append", default=[], metavar="KIND:CHANGE@YYYY-MM",
                        help="what-if: a dated shock, e.g. gpu_price:-0.5@2027-01 (repeatable)")
    parser.add_argument("--levers", default=None, help="what-if levers YAML {overrides: {...}, shocks: [...]}")
    parser.add_argument("--cache", default="default", help="run cache directory (default runs/forecast_cache, or "
                        f"${CACHE_ENV})")
    parser.add_argument("--no-cache", action="store_true", help="run everything, store nothing in the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def levers_from_args(args: argparse.Namespace) -> Levers:
    data: dict[str, Any] = {"overrides": {}, "shocks": []}
    if args.levers:
        path = Path(args.levers)
        if not path.exists():
            raise ForecastError(f"--levers: file {str(path)!r} does not exist")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ForecastError(f"--levers: {path} is not a mapping; allowed: {{overrides: {{...}}, shocks: [...]}}")
        data.update(loaded)
    data["overrides"] = {**data.get("overrides", {}), **dict(parse_set(t) for t in args.overrides)}
    shocks = [s.model_dump(mode="json", exclude_none=True) for s in map(parse_shock, args.shock)]
    data["shocks"] = list(data.get("shocks", [])) + shocks
    return load_levers(data)


def summary_lines(fc: Forecast, metrics: tuple[str, ...] = SUMMARY_METRICS) -> list[str]:
    s = fc.summary(metrics)
    lines = [f"{s['scenario']}: {s['sets']} sets x {len(s['seeds'])} seeds = {s['runs_per_variant']} runs per "
             f"variant, {s['start_date']} to {s['last_date']}; levers: {s['levers_text']}",
             "  metric: median [90% band] at the horizon" + ("" if fc.levers.is_empty() else
                                                             "; what-if median difference")]
    for m, rows in s["metrics"].items():
        r = rows[s["last_date"]]
        text = f"  {m}: {_g(r['median'])} [{_g(r['p5'])}, {_g(r['p95'])}]"
        if not fc.levers.is_empty():
            text += f"; what-if {_g(r['what_if_median'])} (difference {_g(r['difference_median'])})"
        lines.append(text)
    return lines


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ForecastError(f"--out: {str(out)!r} is a file; allowed: a directory")
    levers = levers_from_args(args)
    progress = None
    if not args.quiet:
        from sim.experiments.progress import ProgressBar

        progress = ProgressBar("forecast", stream=sys.stderr)
    fc = forecast(args.scenario, levers, sets=args.sets, seeds=args.seeds, workers=args.workers, months=args.months,
                  accepted=args.accepted, cache_dir=None if args.no_cache else args.cache, progress=progress)
    fc.write(out)
    print("\n".join(summary_lines(fc)))
    print(f"  wrote bands.parquet, runs.parquet and summary.json to {out} in {fc.timings_s['total_s']:.1f} s")
    return 0
