"""How well a parameter set fits the targets: log10 error, tolerance, history-matching implausibility, acceptance.

For a target with published value ``z`` and tolerance band ``[low, high]`` and a simulated figure ``f`` (the median
over a parameter set's seeds):

- log10 error ``e = log10(f) - log10(z)``;
- inside tolerance: ``low <= f <= high``;
- implausibility ``I = |e| / sqrt(s_obs^2 + s_md^2 [+ s_seed^2])`` where
  - ``s_obs`` reads the band as +-2 standard deviations in log10 on the side the simulation falls:
    ``s_obs = (log10(high) - log10(z)) / 2`` when ``f >= z``, ``(log10(z) - log10(low)) / 2`` when ``f < z``, so that
    with no other term ``I <= 2`` exactly when ``f`` is inside the band (an asymmetric band keeps its asymmetry);
  - ``s_md`` is an optional model-discrepancy term in log10 (the spec's ``discrepancy_log10``, per metric if given);
  - ``s_seed`` (only with ``seed_variance: true``) is the standard deviation of ``log10 f`` across the seeds, the
    stochastic model's own spread; off by default, so that a set does not become plausible by being unstable.
- undefined: a NaN reading in a majority of the seeds (at least half), or a median <= 0, gives ``I = inf`` with
  the reason; the median is taken over the seeds whose reading is defined.

A parameter set is accepted when its implausibility, after leaving out its ``exclude_worst`` worst targets, is at
most ``cutoff`` (``exclude_worst = 0``: the maximum over all targets, the usual history-matching rule with the
3-sigma cut-off of Pukelsheim's rule; ``1``: the second-largest, as in Vernon et al. 2010).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.calibration.targets import Target

QUANTILES = (0.05, 0.95)
FORMULAS = ("e = log10(f) - log10(z), f the median over seeds; inside: low <= f <= high; "
            "I = |e| / sqrt(s_obs^2 + s_md^2 [+ s_seed^2]), s_obs = half the log10 distance from z to the band edge "
            "on the side of f (band = +-2 sd); undefined (NaN in at least half the seeds, or f <= 0): I = inf; "
            "accepted: the (exclude_worst+1)-th largest I over the targets <= cutoff")


@dataclass(frozen=True)
class AcceptanceRule:
    """The acceptance rule and the variance terms of the implausibility (see the module docstring)."""

    cutoff: float = 3.0
    exclude_worst: int = 0
    discrepancy_log10: float = 0.0
    discrepancy_by_metric: tuple[tuple[str, float], ...] = ()
    seed_variance: bool = False

    def discrepancy(self, metric: str) -> float:
        return dict(self.discrepancy_by_metric).get(metric, self.discrepancy_log10)


def log10_error(sim: float, target: Target) -> float:
    """``log10(sim / published)``; NaN when ``sim`` is undefined or not positive."""
    if not (math.isfinite(sim) and sim > 0):
        return math.nan
    return math.log10(sim) - math.log10(target.value)


def sigma_obs(target: Target, above: bool) -> float:
    """The observation's standard deviation in log10 on one side: half the distance to that band edge."""
    if above:
        return (math.log10(target.high) - math.log10(target.value)) / 2.0
    return (math.log10(target.value) - math.log10(target.low)) / 2.0


def implausibility(sim: float, target: Target, discrepancy_log10: float = 0.0, seed_sd_log10: float = 0.0) -> float:
    """History-matching implausibility of a simulated figure against a target; ``inf`` when it is undefined."""
    err = log10_error(sim, target)
    if not math.isfinite(err):
        return math.inf
    var = sigma_obs(target, err >= 0) ** 2 + discrepancy_log10 ** 2 + seed_sd_log10 ** 2
    if var <= 0:  # a band edge equal to the value and no other term: only an exact hit is plausible
        return 0.0 if err == 0 else math.inf
    return abs(err) / math.sqrt(var)


def inside_tolerance(sim: float, target: Target) -> bool:
    return bool(math.isfinite(sim) and target.low <= sim <= target.high)


@dataclass(frozen=True)
class TargetFit:
    """One target's fit for one parameter set, over its seeds."""

    sim_median: float
    sim_p5: float
    sim_p95: float
    seed_sd_log10: float
    n_seeds: int
    undefined_seeds: int
    log10_error: float
    inside_tolerance: bool
    implausibility: float
    reason: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def fit_over_seeds(values: np.ndarray, reasons: list[str], target: Target, rule: AcceptanceRule) -> TargetFit:
    """The fit of one target from the readings of one parameter set's seeds (``reasons[i]`` when ``values[i]`` is
    undefined)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    ok = np.isfinite(values)
    defined = values[ok]
    undefined = int(n - ok.sum())
    if n == 0 or 2 * len(defined) <= n:
        why = Counter(r for r, good in zip(reasons, ok) if not good and r).most_common(1)
        reason = f"{why[0][0] if why else 'undefined'} (in {undefined} of {n} seeds)"
        return TargetFit(math.nan, math.nan, math.nan, math.nan, n, undefined, math.nan, False, math.inf, reason)
    median = float(np.median(defined))
    p5, p95 = (float(q) for q in np.quantile(defined, QUANTILES))
    positive = defined[defined > 0]
    sd = float(np.std(np.log10(positive), ddof=1)) if len(positive) >= 2 else 0.0
    err = log10_error(median, target)
    reason = ""
    if not math.isfinite(err):
        reason = f"median {median:g} is not positive; a log10 fit needs a value > 0"
    elif undefined:
        reason = f"undefined in {undefined} of {n} seeds; median of the others"
    value = implausibility(median, target, rule.discrepancy(target.metric), sd if rule.seed_variance else 0.0)
    return TargetFit(median, p5, p95, sd, n, undefined, err, inside_tolerance(median, target), value, reason)


def cut_implausibility(values: np.ndarray, exclude_worst: int) -> float:
    """The implausibility a set is judged by: the largest after leaving out the ``exclude_worst`` largest."""
    ordered = np.sort(np.asarray(values, dtype=float))[::-1]
    return float(ordered[min(exclude_worst, len(ordered) - 1)])


def score(readings: pd.DataFrame, targets: list[Target], rule: AcceptanceRule) -> pd.DataFrame:
    """Fit every target for every parameter set.

    ``readings``: one row per run and target, columns ``point_id, target, value, reason`` (a target's id is
    ``metric@date``). Returns one row per point and target: ``point_id, target`` and the ``TargetFit`` fields.
    """
    by_id = {t.id: t for t in targets}
    rows = []
    for (point_id, target_id), group in readings.groupby(["point_id", "target"], sort=True):
        fit = fit_over_seeds(group["value"].to_numpy(), list(group["reason"]), by_id[target_id], rule)
        rows.append({"point_id": int(point_id), "target": target_id, **fit.as_dict()})
    return pd.DataFrame(rows)


def judge(fits: pd.DataFrame, targets: list[Target], rule: AcceptanceRule) -> pd.DataFrame:
    """One row per point: ``max_implausibility``, ``implausibility`` (after ``exclude_worst``), ``worst_target``,
    ``targets_inside``, ``targets_undefined``, ``accepted``, and ``I[<target>]`` per target (targets' order)."""
    order = [t.id for t in targets]
    wide = fits.pivot(index="point_id", columns="target", values="implausibility").reindex(columns=order)
    inside = fits.pivot(index="point_id", columns="target", values="inside_tolerance").reindex(columns=order)
    matrix = wide.to_numpy(dtype=float)
    out = pd.DataFrame({"point_id": wide.index.to_numpy(dtype=np.int64)})
    out["max_implausibility"] = matrix.max(axis=1)
    out["implausibility"] = [cut_implausibility(r, rule.exclude_worst) for r in matrix]
    out["worst_target"] = [order[int(np.argmax(r))] for r in matrix]
    out["targets_inside"] = inside.fillna(False).astype(bool).sum(axis=1).to_numpy()
    out["targets_undefined"] = np.isinf(matrix).sum(axis=1)
    out["accepted"] = out["implausibility"] <= rule.cutoff
    finite = np.isfinite(matrix)
    squares = np.where(finite, matrix, 0.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):  # a set with no defined target has no RMS (NaN)
        out["rms_implausibility"] = np.sqrt(squares.sum(axis=1) / finite.sum(axis=1))
    for j, tid in enumerate(order):
        out[f"I[{tid}]"] = matrix[:, j]
    return out


def best_point(points: pd.DataFrame) -> int:
    """The best set: lowest judged implausibility, then fewest undefined targets, then lowest RMS implausibility."""
    ranked = points.sort_values(["implausibility", "targets_undefined", "rms_implausibility", "point_id"],
                                kind="stable")
    return int(ranked["point_id"].iloc[0])
