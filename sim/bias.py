"""How the labels a lab buys become its model's bias, and what mitigation costs in labels.

The measured transfer table (``data/profiles/bias_transfer.csv``, made by ``scripts/make_bias_transfer.py`` from real
training runs of the small Transformer, see ``ecosystem.labelling``) is used when present. Without it, the documented
interim function below applies:

* majority of three independent labellers flips a label only if two or three of them flip:
  ``b3 = 3 b^2 - 2 b^3``; gold-question screening removes half of the biased labellers' work: ``b_gold = b / 2``;
* the model inherits the aggregated label bias, amplified by label noise (a noisier signal lets the group shortcut win):
  ``model_bias = b_agg x (1 + noise)``.
Label cost multipliers: single 1, majority3 3 (three labels per example), gold 1.25 (gold questions and rejected work).
"""

from __future__ import annotations

from functools import lru_cache

_INTERIM_COST = {"single": 1.0, "gold": 1.25, "majority3": 3.0}


@lru_cache(maxsize=1)
def _measured():
    try:
        from ecosystem import bias_transfer as labelling  # the measured table (light module: numpy only)
    except ImportError:
        return None
    if not hasattr(labelling, "model_bias"):
        return None
    try:
        labelling.model_bias(0.1, 0.05, "single")
    except (FileNotFoundError, OSError, ValueError):
        return None
    return labelling


def interim_model_bias(label_bias: float, label_noise: float, aggregation: str) -> float:
    b = min(max(label_bias, 0.0), 1.0)
    if aggregation == "majority3":
        b = 3 * b**2 - 2 * b**3
    elif aggregation == "gold":
        b = b / 2
    return min(1.0, b * (1.0 + min(max(label_noise, 0.0), 0.5)))


@lru_cache(maxsize=65536)
def _cached_bias(label_bias: float, label_noise: float, aggregation: str) -> float:
    measured = _measured()
    if measured is not None:
        return float(measured.model_bias(label_bias, label_noise, aggregation))
    return interim_model_bias(label_bias, label_noise, aggregation)


def model_bias(label_bias: float, label_noise: float, aggregation: str) -> float:
    """Model bias (demographic-parity difference of the trained model) from the labels' bias and noise."""
    if aggregation not in _INTERIM_COST:
        raise ValueError(f"aggregation: unknown {aggregation!r}; allowed: {', '.join(_INTERIM_COST)}")
    return _cached_bias(round(float(label_bias), 4), round(float(label_noise), 4), aggregation)


def label_cost_multiplier(aggregation: str) -> float:
    """Labels bought per labelled example under an aggregation strategy."""
    measured = _measured()
    if measured is not None and hasattr(measured, "label_cost_multiplier"):
        return float(measured.label_cost_multiplier(aggregation))
    if aggregation not in _INTERIM_COST:
        raise ValueError(f"aggregation: unknown {aggregation!r}; allowed: {', '.join(_INTERIM_COST)}")
    return _INTERIM_COST[aggregation]
