"""Analyse a sweep: ``python -m sim analyze DIR [--outcome NAME] [--json]``.

Two questions, for each outcome:

* **What happens at each design point?** ``summarize``: per design point, the mean across replicates, the standard
  deviation, the median and the 90% interval (the 5th and 95th percentiles across replicates, linear
  interpolation; with few replicates it is close to their min and max).
* **Which inputs matter?** ``sensitivity``:

  - ``sobol`` designs: Sobol' first-order (S1) and total (ST) indices with their 95% confidence half-widths,
    from ``SALib.analyze.sobol`` on the outcome averaged over replicates, in the design's (SALib's) row order.
    Importance = ST.
  - ``grid`` and ``lhs`` designs: standardized rank regression coefficients (SRRC): the outcome's ranks regressed on
    the inputs' ranks, all scaled to unit variance. SRRC measures an input's monotone effect holding the others
    fixed; its sign gives the direction; R^2 of the rank regression says how much of the outcome's variation the
    monotone model explains (low R^2: effects are non-monotone or interactions dominate, use a sobol design).
    Also given: the standardized regression coefficient on raw values (SRC; equals the analytic b_i s_i / s_y for
    a linear model) and Spearman's rank correlation. Importance = |SRRC|.

The analysis reads only the store (``sim.experiments.store.ResultsStore``): the spec, the design and the rows. It never runs or
imports the simulation, so any model's outputs written to a store go through the same code (the tests use the
Ishigami function, whose Sobol' indices are known analytically).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.samplers import sobol_problem
from sim.experiments.store import ResultsStore, StoreError, sql_quote
from sim.experiments.spec import SweepSpec

INTERVAL = 0.90
CONF_LEVEL = 0.95
NUM_RESAMPLES = 200


class AnalysisError(ValueError):
    """The analysis cannot be done (unknown outcome, incomplete sobol design, ...); the message says why."""


def _store(store: ResultsStore | str | Path) -> ResultsStore:
    return store if isinstance(store, ResultsStore) else ResultsStore(store)


def _check_outcome(spec: SweepSpec, outcome: str | None) -> list[str]:
    names = spec.outcome_columns
    if outcome is None:
        return names
    if outcome not in names:
        raise AnalysisError(f"--outcome: value {outcome!r} is not allowed; allowed: {', '.join(names)}")
    return [outcome]


# ---- per design point ------------------------------------------------------------------------------------------


def _interval_bounds(interval: float) -> tuple[float, float, str, str]:
    """The central ``interval``'s quantiles and their column names (0.90: 0.05, 0.95, p05, p95)."""
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
    return lo_q, hi_q, f"p{round(100 * lo_q):02d}", f"p{round(100 * hi_q):02d}"


def summarize_runs(runs: pd.DataFrame, parameters: list[str], outcomes: list[str],
                   interval: float = INTERVAL) -> pd.DataFrame:
    """Per design point and outcome: n, mean, std, median, and the central ``interval`` across replicates."""
    lo_q, hi_q, lo_name, hi_name = _interval_bounds(interval)
    cols = ["point_id", *parameters, "outcome", "n", "mean", "std", "median", lo_name, hi_name]
    if runs.empty:
        return pd.DataFrame(columns=cols)
    frames = []
    for outcome in outcomes:
        g = runs.groupby("point_id", sort=True)[outcome]
        stats = pd.DataFrame({
            "n": g.count(),
            "mean": g.mean(),
            "std": g.std(ddof=1),
            "median": g.median(),
            lo_name: g.quantile(lo_q),
            hi_name: g.quantile(hi_q),
        }).reset_index()
        stats.insert(1, "outcome", outcome)
        frames.append(stats)
    out = pd.concat(frames, ignore_index=True)
    points = runs.drop_duplicates("point_id")[["point_id", *parameters]]
    out = points.merge(out, on="point_id", how="right")
    return out[cols].sort_values(["outcome", "point_id"], kind="stable").reset_index(drop=True)


def summarize(store: ResultsStore | str | Path, outcome: str | None = None,
              interval: float = INTERVAL) -> pd.DataFrame:
    """Per design point: the parameters, ``outcome`` (one outcome, or every outcome when None, long format), n,
    mean, std, median, p05 and p95 (the 90% interval across replicates)."""
    store = _store(store)
    spec = store.spec()
    outcomes = _check_outcome(spec, outcome)
    return summarize_runs(store.runs(), spec.parameter_names, outcomes, interval)


def fan(store: ResultsStore | str | Path, column: str, interval: float = INTERVAL) -> pd.DataFrame:
    """Fan-chart bands of a series column: per design point and month, n, mean, median and the central
    ``interval`` across replicates (computed in DuckDB, so it stays light for large sweeps)."""
    store = _store(store)
    manifest = store.manifest()
    allowed = list(manifest.get("series_columns", []))
    if column not in allowed:
        raise AnalysisError(f"column: value {column!r} is not allowed; allowed: the sweep's series columns "
                            f"({', '.join(allowed) or 'none were kept; set options.series'})")
    lo_q, hi_q, lo_name, hi_name = _interval_bounds(interval)
    col = sql_quote(column)
    return store.query(
        f"SELECT r.point_id, s.step, count(s.{col}) AS n, avg(s.{col}) AS mean, median(s.{col}) AS median, "
        f"quantile_cont(s.{col}, {lo_q}) AS {lo_name}, quantile_cont(s.{col}, {hi_q}) AS {hi_name} "
        "FROM series s JOIN runs r USING (run_id) GROUP BY r.point_id, s.step ORDER BY r.point_id, s.step")


# ---- importance ------------------------------------------------------------------------------------------------


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0, ddof=0)
    sd = np.where(sd > 0, sd, np.nan)
    return (x - x.mean(axis=0)) / sd


def _ranks(x: np.ndarray) -> np.ndarray:
    return np.column_stack([pd.Series(x[:, j]).rank(method="average").to_numpy() for j in range(x.shape[1])])


def _std_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coefficients of z(y) on z(x) (constant inputs get NaN) and the fit's R^2."""
    zx, zy = _zscore(x), _zscore(y[:, None])[:, 0]
    ok = ~np.isnan(zx).any(axis=0)
    coef = np.full(x.shape[1], np.nan)
    if not ok.any() or np.isnan(zy).any():
        return coef, math.nan
    beta, *_ = np.linalg.lstsq(zx[:, ok], zy, rcond=None)
    coef[ok] = beta
    resid = zy - zx[:, ok] @ beta
    r2 = 1.0 - float(resid @ resid) / float(zy @ zy)
    return coef, r2


def regression_importance(runs: pd.DataFrame, parameters: list[str], outcome: str) -> pd.DataFrame:
    """SRRC (importance), SRC and Spearman rank correlation of each input with the outcome, over all runs."""
    cols = ["parameter", "importance", "rank", "method", "srrc", "src", "spearman", "r2_rank", "r2", "n"]
    data = runs[[*parameters, outcome]].dropna()
    if len(data) < 3 or not parameters:
        return pd.DataFrame(columns=cols)
    x = data[parameters].to_numpy(dtype=float)
    y = data[outcome].to_numpy(dtype=float)
    rx, ry = _ranks(x), _ranks(y[:, None])[:, 0]
    src, r2 = _std_coefficients(x, y)
    srrc, r2_rank = _std_coefficients(rx, ry)
    spearman = [float(np.corrcoef(rx[:, j], ry)[0, 1]) if rx[:, j].std() > 0 and ry.std() > 0 else math.nan
                for j in range(x.shape[1])]
    out = pd.DataFrame({"parameter": parameters, "importance": np.abs(srrc), "method": "srrc", "srrc": srrc,
                        "src": src, "spearman": spearman, "r2_rank": r2_rank, "r2": r2, "n": len(data)})
    return _ranked(out)[cols]


def sobol_indices(runs: pd.DataFrame, spec: SweepSpec, outcome: str, n_points: int,
                  seed: int = 0) -> pd.DataFrame:
    """Sobol' S1 and ST (with 95% confidence half-widths) from a complete sobol design, the outcome averaged over
    replicates per design point."""
    from SALib.analyze import sobol as sobol_analyze

    cols = ["parameter", "importance", "rank", "method", "S1", "S1_conf", "ST", "ST_conf", "n"]
    means = runs.groupby("point_id", sort=True)[outcome].mean()
    missing = n_points - int(means.notna().sum())
    if missing:
        raise AnalysisError(f"{outcome}: {missing} of {n_points} design points have no result yet (or NaN); "
                            "allowed: Sobol' indices need every point of a sobol design (finish with --resume)")
    if not np.array_equal(means.index.to_numpy(), np.arange(n_points)):
        raise AnalysisError(f"{outcome}: design point ids are not 0..{n_points - 1}; the store is not a sobol design")
    y = means.to_numpy(dtype=float)
    if np.ptp(y) == 0:
        res = {k: np.zeros(len(spec.parameters)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    else:
        res = sobol_analyze.analyze(sobol_problem(spec), y, calc_second_order=spec.second_order,
                                    num_resamples=NUM_RESAMPLES, conf_level=CONF_LEVEL, seed=seed)
    out = pd.DataFrame({"parameter": spec.parameter_names, "importance": np.asarray(res["ST"], dtype=float),
                        "method": "sobol", "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                        "ST_conf": res["ST_conf"], "n": n_points})
    return _ranked(out)[cols]


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["rank"] = frame["importance"].rank(ascending=False, method="min", na_option="bottom").astype(int)
    return frame.sort_values(["rank", "parameter"], kind="stable").reset_index(drop=True)


def _importance(runs: pd.DataFrame, spec: SweepSpec, manifest: dict[str, Any], outcome: str) -> pd.DataFrame:
    if spec.design == "sobol":
        n_points = int(manifest.get("design", {}).get("points", spec.n_points))
        seed = int(manifest.get("seeds", {}).get("base_seed", spec.seed or 0))
        return sobol_indices(runs, spec, outcome, n_points, seed=seed)
    return regression_importance(runs, spec.parameter_names, outcome)


def sensitivity(store: ResultsStore | str | Path, outcome: str) -> pd.DataFrame:
    """Importance of each input for ``outcome``: Sobol' indices for a sobol design, SRRC otherwise (see module
    docstring). Columns: parameter, importance, rank, method, and the method's own figures."""
    store = _store(store)
    spec = store.spec()
    (outcome,) = _check_outcome(spec, outcome)
    return _importance(store.runs(), spec, store.manifest(), outcome)


# ---- command line ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a sweep directory (the --out of `python -m sim sweep`)")
    parser.add_argument("--outcome", default=None, help="one outcome column (default: every outcome)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--max-rows", type=int, default=20, help="design points shown per outcome in the tables")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (float, np.floating)):
                v = None if not math.isfinite(float(v)) else float(v)
            clean[k] = v
        out.append(clean)
    return out


def analyze(store: ResultsStore | str | Path, outcome: str | None = None) -> dict[str, Any]:
    """Everything ``python -m sim analyze --json`` prints, as one dict."""
    store = _store(store)
    manifest = store.manifest()
    spec = store.spec()
    outcomes = _check_outcome(spec, outcome)
    store.check_unique()  # duplicates would be averaged twice: refuse, and say how to repair
    done, total = store.progress()
    runs = store.runs()
    failures = store.failures()
    result: dict[str, Any] = {
        "sweep": spec.name, "dir": str(store.dir), "design": spec.design, "parameters": spec.parameter_names,
        "replicates": spec.replicates, "runs_done": done, "runs_total": total,
        "runs_failed": len(failures), "failures": _records(failures),
        "interval": INTERVAL, "outcomes": {},
    }
    for name in outcomes:
        entry: dict[str, Any] = {"summary": _records(summarize_runs(runs, spec.parameter_names, [name])
                                                     .drop(columns="outcome"))}
        try:
            entry["sensitivity"] = _records(_importance(runs, spec, manifest, name))
        except AnalysisError as exc:
            entry["sensitivity"] = []
            entry["sensitivity_error"] = str(exc)
        result["outcomes"][name] = entry
    return result


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _table(records: list[dict[str, Any]], columns: list[str]) -> str:
    rows = [[_fmt(r.get(c)) for c in columns] for r in records]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    try:
        result = analyze(args.dir, args.outcome)
    except (StoreError, AnalysisError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, allow_nan=False))
        return 0
    print(f"sweep {result['sweep']} ({result['design']} design, {result['replicates']} replicate(s)): "
          f"{result['runs_done']}/{result['runs_total']} runs in {result['dir']}")
    if result["runs_failed"]:  # reported apart: failed runs are in no summary below
        print(f"\n{result['runs_failed']} runs failed (not in the figures below; rerun them with --resume):")
        for f in result["failures"][: max(0, args.max_rows)]:
            print(f"  {f['error']}")
    for name, entry in result["outcomes"].items():
        summary = entry["summary"]
        print(f"\n== {name}: mean and 90% interval across replicates, per design point")
        shown = summary[: max(0, args.max_rows)]
        cols = ["point_id", *result["parameters"], "n", "mean", "p05", "p95"]
        print(_table(shown, cols))
        if len(summary) > len(shown):
            print(f"... {len(summary) - len(shown)} more points (--max-rows, or --json for all)")
        sens = entry["sensitivity"]
        if entry.get("sensitivity_error"):
            print(f"\nimportance of inputs: not available: {entry['sensitivity_error']}")
        elif sens:
            method = sens[0]["method"]
            print(f"\nimportance of inputs ({'Sobol total index ST' if method == 'sobol' else '|SRRC|'}):")
            cols = ["rank", "parameter", "S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else \
                ["rank", "parameter", "srrc", "src", "spearman", "r2_rank"]
            print(_table(sens, cols))
    return 0

