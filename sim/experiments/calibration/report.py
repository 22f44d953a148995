"""What a calibration writes: ``accepted.csv``, ``points.csv``, ``fit.csv``, ``summary.json`` (and ``refine.csv``).

- ``accepted.csv``: the accepted parameter sets, best first: point_id, source (lhs / refine), the parameters,
  implausibility (the judged one, after exclude_worst), max_implausibility, worst_target, targets_inside,
  targets_undefined, rms_implausibility (over the defined targets) and ``I[metric@date]`` per target.
- ``points.csv``: the same columns for every set, accepted or not, with ``accepted``.
- ``fit.csv``: one row per target: how it is read, published value and band, and for the best set the median over
  its seeds, the seeds' p5-p95, the log10 error, inside tolerance, implausibility and the reason when undefined; then
  across the accepted sets: how many, the p5 / median / p95 of their medians, the median and largest implausibility,
  and the share inside tolerance.
- ``summary.json``: counts, rule, the best set with its median |log10 error| and targets inside tolerance, the prior
  and accepted (posterior) range of each parameter, the refinement and timings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.calibration.fit import FORMULAS
from sim.experiments.calibration.targets import targets_frame

BEST_COLUMNS = ["sim_median", "sim_p5", "sim_p95", "seed_sd_log10", "undefined_seeds", "log10_error",
                "inside_tolerance", "implausibility", "reason"]


def fit_table(result) -> pd.DataFrame:
    table = targets_frame(result.targets)
    best = result.best_fits().set_index("target")[BEST_COLUMNS]
    table = table.join(best, on="target")
    accepted_ids = set(result.accepted["point_id"])
    acc = result.fits[result.fits["point_id"].isin(accepted_ids)]
    stats = []
    for tid in table["target"]:
        rows = acc[acc["target"] == tid]
        med = rows["sim_median"].to_numpy(dtype=float)
        med = med[np.isfinite(med)]
        q = np.quantile(med, [0.05, 0.5, 0.95]) if len(med) else [math.nan] * 3
        imp = rows["implausibility"].to_numpy(dtype=float)
        stats.append({"target": tid, "accepted_sets": len(rows), "accepted_sim_p5": q[0],
                      "accepted_sim_median": q[1], "accepted_sim_p95": q[2],
                      "accepted_implausibility_median": float(np.median(imp)) if len(imp) else math.nan,
                      "accepted_implausibility_max": float(np.max(imp)) if len(imp) else math.nan,
                      "accepted_inside_share": float(rows["inside_tolerance"].mean()) if len(rows) else math.nan})
    return table.merge(pd.DataFrame(stats), on="target", how="left")


def parameter_ranges(result) -> dict[str, dict]:
    accepted = result.accepted
    best = result.best
    out = {}
    for name, p in result.spec.parameters.items():
        vals = accepted[name].to_numpy(dtype=float)
        out[name] = {"low": p.low, "high": p.high, "log": p.log, "best": best[name],
                     "accepted_min": float(vals.min()) if len(vals) else None,
                     "accepted_max": float(vals.max()) if len(vals) else None,
                     "accepted_median": float(np.median(vals)) if len(vals) else None}
    return out


def summary(result, fit: pd.DataFrame) -> dict:
    spec = result.spec
    points = result.points
    best_row = points.set_index("point_id").loc[result.best_point_id]
    errors = fit["log10_error"].to_numpy(dtype=float)
    defined = errors[np.isfinite(errors)]
    n_screened = int((points["source"] == "lhs").sum())
    return {
        "name": spec.name,
        "targets": {"file": spec.targets, "count": len(result.targets), "metrics": sorted({t.metric for t in
                                                                                          result.targets})},
        "samples": n_screened, "seeds_per_sample": len(result.seeds), "seeds": result.seeds,
        "runs": n_screened * len(result.seeds),
        "refinement_runs": (result.refinement.evaluations * len(result.seeds)) if result.refinement else 0,
        "accepted": int(points["accepted"].sum()), "accepted_share": round(float(points["accepted"].mean()), 6),
        "rule": {"cutoff": result.rule.cutoff, "exclude_worst": result.rule.exclude_worst,
                 "discrepancy_log10": result.rule.discrepancy_log10,
                 "discrepancy_by_metric": dict(result.rule.discrepancy_by_metric),
                 "seed_variance": result.rule.seed_variance,
                 "formulas": FORMULAS},
        "best": {"point_id": int(result.best_point_id), "source": str(best_row["source"]), "params": result.best,
                 "implausibility": _num(best_row["implausibility"]),
                 "max_implausibility": _num(best_row["max_implausibility"]),
                 "worst_target": str(best_row["worst_target"]), "accepted": bool(best_row["accepted"]),
                 "targets_inside_tolerance": int(fit["inside_tolerance"].fillna(False).astype(bool).sum()),
                 "targets_undefined": int(best_row["targets_undefined"]),
                 "median_abs_log10_error": _num(np.median(np.abs(defined))) if len(defined) else None},
        "parameters": parameter_ranges(result),
        "refinement": result.refinement.as_dict() if result.refinement else None,
        "sweep_dir": result.sweep_dir,
        "timings_s": result.timings_s,
    }


def write_outputs(result, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    points = result.points.sort_values(["implausibility", "point_id"], kind="stable")
    result.accepted.drop(columns=["accepted"]).to_csv(out / "accepted.csv", index=False)
    points.to_csv(out / "points.csv", index=False)
    fit = fit_table(result)
    fit.to_csv(out / "fit.csv", index=False)
    if result.refinement is not None:
        result.refinement.history.to_csv(out / "refine.csv", index=False)
    text = json.dumps(summary(result, fit), indent=2, default=_json_default, allow_nan=False)
    (out / "summary.json").write_text(text + "\n", encoding="utf-8")
    return out


def _num(x) -> float | None:
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return _num(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")
