"""How the labels a lab buys become its model's bias, and what mitigation costs in labels.

Both come from the measured transfer table ``data/profiles/bias_transfer.csv``: the real small Transformer trained on
labels of a given bias, noise and aggregation, then audited (``scripts/make_bias_transfer.py``, read by
``ecosystem.bias_transfer``). A model's bias is the demographic-parity difference the audit measured for labels like
the ones the lab bought; the label-cost multiplier is what each aggregation paid in labels in those runs
(majority of three: 3 labels per example; gold-question screening: the gold questions and the excluded work).
"""

from __future__ import annotations

from functools import lru_cache

from ecosystem.fairness import transfer as bias_transfer


@lru_cache(maxsize=65536)
def _model_bias(label_bias: float, label_noise: float, aggregation: str) -> float:
    return float(bias_transfer.model_bias(label_bias, label_noise, aggregation))


def model_bias(label_bias: float, label_noise: float, aggregation: str) -> float:
    """Model bias (demographic-parity difference, 0-1) from the bought labels' bias and noise (both clamped to the
    table's domain: bias 0-1, noise 0-0.5)."""
    b = min(max(float(label_bias), 0.0), 1.0)
    e = min(max(float(label_noise), 0.0), 0.5)
    return _model_bias(round(b, 4), round(e, 4), aggregation)


@lru_cache(maxsize=8)
def label_cost_multiplier(aggregation: str) -> float:
    """Labels paid for per labelled example under an aggregation strategy (single = 1)."""
    return float(bias_transfer.label_cost_multiplier(aggregation))
