"""Fairness metrics of a classifier's predictions: point estimates with fairlearn, and bootstrap intervals.

``bootstrap_intervals`` attaches 95% intervals to every figure: the held-out set is resampled ``n_boot`` times, all
resamples computed at once as a weight matrix. Intervals of between-group differences (DP, EO) and of the
selection-rate ratio are the percentile intervals of the signed pairwise differences (of rates, or of log rates for the
ratio), folded at zero: a signed interval that straddles 0 becomes [0, max(|lo|, |hi|)]. This keeps the interval of an
absolute difference honest when the difference is near zero (the plain percentile interval of |d| can then exclude its
own point estimate).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

DEFAULT_N_BOOT = 1000


def _resample_weights(n: int, n_boot: int, rng: np.random.Generator, chunk: int = 250):
    """Yield (k, n) matrices of bootstrap counts (each row: how often each item was drawn), ``n_boot`` rows in all."""
    done = 0
    while done < n_boot:
        k = min(chunk, n_boot - done)
        idx = rng.integers(0, n, (k, n)) + (np.arange(k) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=k * n).reshape(k, n).astype(np.float64)
        done += k


def _rates(W: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, group: np.ndarray, n_groups: int,
           flipped: np.ndarray) -> dict[str, np.ndarray]:
    """Every audited rate for each row of the weight matrix ``W`` (rows: resamples; columns: held-out items)."""
    correct = (y_true == y_pred).astype(np.float64)
    pred = y_pred.astype(np.float64)
    pos = (y_true == 1).astype(np.float64)
    neg = 1.0 - pos
    G = np.stack([(group == g).astype(np.float64) for g in range(n_groups)], axis=1)  # (n, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_g = W @ G
        out = {
            "accuracy": (W @ correct) / W.sum(axis=1),
            "flip_rate": (W @ flipped.astype(np.float64)) / W.sum(axis=1),
            "accuracy_by_group": (W @ (G * correct[:, None])) / n_g,
            "selection_rate_by_group": (W @ (G * pred[:, None])) / n_g,
            "tpr_by_group": (W @ (G * (pred * pos)[:, None])) / (W @ (G * pos[:, None])),
            "fpr_by_group": (W @ (G * (pred * neg)[:, None])) / (W @ (G * neg[:, None])),
        }
    return out


def _pairs(n_groups: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_groups) for j in range(i + 1, n_groups)]


def _pair_diffs(by_group: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    return np.stack([by_group[:, i] - by_group[:, j] for i, j in pairs], axis=1)


def _log_ratio_diffs(sel: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    logs = np.log(np.clip(sel, 1e-12, None))
    return _pair_diffs(logs, pairs)


def _percentile(samples: np.ndarray, level: float = 0.95) -> np.ndarray:
    a = (1.0 - level) / 2.0
    return np.nanquantile(samples, [a, 1.0 - a], axis=0)


def _folded_max_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Interval for max_p |d_p| from the percentile intervals of the signed differences d_p (columns), folded at 0."""
    lo_hi = _percentile(diffs, level)  # (2, P)
    lows, highs = [], []
    for lo, hi in lo_hi.T:
        if lo <= 0.0 <= hi:
            lows.append(0.0)
            highs.append(max(abs(lo), abs(hi)))
        else:
            lows.append(min(abs(lo), abs(hi)))
            highs.append(max(abs(lo), abs(hi)))
    return float(max(lows)), float(max(highs))


def bootstrap_intervals(y_true: Sequence[int], y_pred: Sequence[int], group: Sequence[int], n_groups: int,
                        flipped: Sequence[bool] | None = None, n_boot: int = DEFAULT_N_BOOT, seed: int = 0,
                        level: float = 0.95) -> dict:
    """Bootstrap intervals of every audited figure (the held-out set resampled ``n_boot`` times).

    Returns a dict with, for ``accuracy`` and ``counterfactual_flip_rate``, ``[lo, hi]``; for the ``*_by_group`` rates,
    ``(2, n_groups)`` arrays; and ``[lo, hi]`` for ``demographic_parity_difference``, ``demographic_parity_ratio`` and
    ``equalized_odds_difference``. Also returns ``point``: the same rates on the held-out set itself (weights of 1)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    flipped = np.zeros(len(y_true), dtype=bool) if flipped is None else np.asarray(flipped, dtype=bool)
    n = len(y_true)
    rng = np.random.default_rng([seed, 0xB007])
    chunks = [_rates(W, y_true, y_pred, group, n_groups, flipped) for W in _resample_weights(n, n_boot, rng)]
    boot = {k: np.concatenate([c[k] for c in chunks], axis=0) for k in chunks[0]}
    point = _rates(np.ones((1, n)), y_true, y_pred, group, n_groups, flipped)
    pairs = _pairs(n_groups)
    out = {
        "accuracy": _percentile(boot["accuracy"], level).tolist(),
        "counterfactual_flip_rate": _percentile(boot["flip_rate"], level).tolist(),
    }
    for key in ("accuracy_by_group", "selection_rate_by_group", "tpr_by_group", "fpr_by_group"):
        out[key] = _percentile(boot[key], level)
    out["demographic_parity_difference"] = list(_folded_max_interval(
        _pair_diffs(boot["selection_rate_by_group"], pairs), level))
    lo, hi = _folded_max_interval(_log_ratio_diffs(boot["selection_rate_by_group"], pairs), level)
    # a zero selection rate is clipped at 1e-12 in the logs: a ratio that small is a zero ratio
    out["demographic_parity_ratio"] = [x if x > 1e-9 else 0.0 for x in (math.exp(-hi), math.exp(-lo))]
    eo = np.concatenate([_pair_diffs(boot["tpr_by_group"], pairs), _pair_diffs(boot["fpr_by_group"], pairs)], axis=1)
    out["equalized_odds_difference"] = list(_folded_max_interval(eo, level))
    out["point"] = {k: v[0] for k, v in point.items()}
    out["n_boot"] = int(n_boot)
    return out


def fairness_metrics(y_true: Sequence[int], y_pred: Sequence[int], sensitive: Sequence[str]) -> dict:
    """Point estimates with fairlearn: MetricFrame by group, DP difference and ratio, equalised-odds difference."""
    from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                                   equalized_odds_difference, false_positive_rate, selection_rate,
                                   true_positive_rate)
    from sklearn.metrics import accuracy_score

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    sensitive = np.asarray(sensitive)
    frame = MetricFrame(
        metrics={"accuracy": accuracy_score, "selection_rate": selection_rate,
                 "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    by = frame.by_group
    return {
        "accuracy": float(frame.overall["accuracy"]),
        "accuracy_by_group": {str(g): float(v) for g, v in by["accuracy"].items()},
        "selection_rate_by_group": {str(g): float(v) for g, v in by["selection_rate"].items()},
        "tpr_by_group": {str(g): float(v) for g, v in by["tpr"].items()},
        "fpr_by_group": {str(g): float(v) for g, v in by["fpr"].items()},
        "demographic_parity_difference": float(demographic_parity_difference(
            y_true, y_pred, sensitive_features=sensitive)),
        "demographic_parity_ratio": float(demographic_parity_ratio(y_true, y_pred, sensitive_features=sensitive)),
        "equalized_odds_difference": float(equalized_odds_difference(y_true, y_pred, sensitive_features=sensitive)),
    }
