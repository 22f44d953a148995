"""Intervals that cover both sources of an audit's uncertainty: which model training produced, and which test sentences.

A replicated audit trains K models, each on its own labeller draw and initialisation, and tests each on its own
held-out set. Its figure for a metric is the mean over the K replicates. The two-stage (hierarchical) bootstrap here
draws K replicates with replacement, then, for each drawn replicate, one resample of its held-out sentences, and
averages the metric over the drawn replicates; ``n_boot`` such draws give the percentile interval.

* ``resample_stats(arrays, n_boot, rng)``: every audited figure on ``n_boot`` resamples of one replicate's held-out set
  (plus the figures on the set itself), as arrays;
* ``two_stage_means(stats, n_boot, rng)``: the resampled means over replicates (``replicates=False``: keep the K
  models fixed and resample the test sentences only, which is the test-only interval of those K models);
* ``interval(samples, centre, k)``: the percentile interval with the small-sample correction below.

Small-sample correction. A mean of K replicate values follows a Student t with K - 1 degrees of freedom rather than
a normal, so the percentile interval is widened around the mean by ``t_{K-1} / z`` (1.15 for K = 10, 1.04 for
K = 30). The first stage alone would understate the variance of a mean of K values by (K - 1) / K; the test stage
adds the test-set noise once more on top of the between-replicate spread (which already contains it), which makes up
for that. Over simulated audits (``tests/ecosystem/test_fairness_replicates.py``) the coverage is close to 95% when
training noise dominates, as it does here (between-replicate sd several times the test-only sd), and conservative
(about 99%) when there is no training noise at all.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
from scipy import stats as _stats

from ecosystem.fairness.metrics import _rates, _resample_weights

LEVEL = 0.95
SCALARS: tuple[str, ...] = ("accuracy", "counterfactual_flip_rate", "demographic_parity_difference",
                            "demographic_parity_ratio", "equalized_odds_difference")
BY_GROUP: tuple[str, ...] = ("accuracy_by_group", "selection_rate_by_group", "tpr_by_group", "fpr_by_group")
# Which way is better, for comparisons: -1 = lower is better (gaps), +1 = higher is better.
BETTER: dict[str, int] = {"accuracy": 1, "counterfactual_flip_rate": -1, "demographic_parity_difference": -1,
                          "demographic_parity_ratio": 1, "equalized_odds_difference": -1}


def _spread(rates: np.ndarray) -> np.ndarray:
    """Largest minus smallest rate across groups (last axis), NaN-aware."""
    with _quiet():
        return np.nanmax(rates, axis=-1) - np.nanmin(rates, axis=-1)


@contextmanager
def _quiet():
    """Silence numpy's 'All-NaN slice' warnings: a rate that does not exist in a resample stays NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def stats_from_rates(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The audit's figures from per-resample rates (``metrics._rates``): fairlearn's definitions of the
    demographic-parity difference (max - min selection rate), ratio (min / max) and equalised-odds difference
    (the larger of the TPR and FPR spreads)."""
    sel = rates["selection_rate_by_group"]
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        ratio = np.nanmin(sel, axis=-1) / np.nanmax(sel, axis=-1)
        eo = np.fmax(_spread(rates["tpr_by_group"]), _spread(rates["fpr_by_group"]))
    return {"accuracy": rates["accuracy"], "counterfactual_flip_rate": rates["flip_rate"],
            "demographic_parity_difference": _spread(sel), "demographic_parity_ratio": ratio,
            "equalized_odds_difference": eo,
            **{key: rates[key] for key in BY_GROUP}}


def resample_stats(arrays, n_boot: int, rng: np.random.Generator) -> tuple[dict, dict]:
    """(resampled, point): each figure on ``n_boot`` resamples of the held-out set (``(n_boot,)`` or
    ``(n_boot, n_groups)`` arrays) and on the set itself. ``arrays``: an :class:`ecosystem.fairness.audit.AuditArrays`
    (or anything with ``y_true``, ``y_pred``, ``group``, ``flipped``, ``n_groups``)."""
    args = (arrays.y_true, arrays.y_pred, arrays.group, arrays.n_groups, arrays.flipped)
    chunks = [stats_from_rates(_rates(W, *args)) for W in _resample_weights(len(arrays.y_true), n_boot, rng)]
    boot = {k: np.concatenate([c[k] for c in chunks], axis=0) for k in chunks[0]}
    point = {k: v[0] for k, v in stats_from_rates(_rates(np.ones((1, len(arrays.y_true))), *args)).items()}
    return boot, point


def two_stage_means(stats: np.ndarray, n_boot: int, rng: np.random.Generator, replicates: bool = True) -> np.ndarray:
    """Resampled means over replicates. ``stats``: ``(K, B, ...)``, for each replicate ``B`` values of a figure on
    resamples of its held-out set. Each of the ``n_boot`` draws picks K replicates with replacement (all K, each once,
    when ``replicates`` is False) and one random test resample for each pick; returns ``(n_boot, ...)`` means."""
    stats = np.asarray(stats, dtype=float)
    k, b = stats.shape[:2]
    rows = rng.integers(0, b, (n_boot, k))
    reps = rng.integers(0, k, (n_boot, k)) if replicates else np.broadcast_to(np.arange(k), (n_boot, k))
    with _quiet():
        return np.nanmean(stats[reps, rows], axis=1)


def small_sample_factor(k: int, level: float = LEVEL) -> float:
    """``t_{K-1} / z``: how much the combined interval is widened for K replicates (1 for K = 1, where there is no
    replicate stage)."""
    if k < 2:
        return 1.0
    q = 0.5 + level / 2.0
    return float(_stats.t.ppf(q, k - 1) / _stats.norm.ppf(q))


def interval(samples: np.ndarray, centre, k: int = 1, level: float = LEVEL) -> np.ndarray:
    """Percentile interval of ``samples`` (first axis), widened around ``centre`` by ``small_sample_factor(k)``;
    returns ``(2, ...)``."""
    a = (1.0 - level) / 2.0
    with _quiet():
        lo, hi = np.nanquantile(samples, [a, 1.0 - a], axis=0)
    f = small_sample_factor(k, level)
    centre = np.asarray(centre, dtype=float)
    return np.stack([centre - f * (centre - lo), centre + f * (hi - centre)])
