"""Algorithmic progress over calendar time and the capability thresholds read against it.

With ``scenario.progress`` on, a FLOP buys more each year: the compute needed for a fixed quality halves every
``pretraining_halving_months`` (Ho et al. 2024, ``trends.csv``), so a run of physical compute C at date d has the
effective compute C x k(d), k(d) = 2 ^ (months from ``base_date`` to d / halving); the model's loss is the scaling
law's at (N sqrt k, D sqrt k). Serving compute per token at fixed quality falls by ``inference_gain_per_year`` a year
(Gundlach et al. 2025) for every hosted model, the planner's serving formula being the state of
``serving_reference_date`` (2024-01). Off, k = 1 and serving is as computed by the planner.

Capability thresholds (``capability_thresholds.csv``): a model is at GPT-4 level when its quality index reaches that
of a compute-optimal model trained with GPT-4's compute at GPT-4's date, both read with the same k, so the price at
fixed capability can be followed over time (``price_at_gpt4_level_usd_per_mtok``).
"""

from __future__ import annotations

import math
from functools import lru_cache

from ecosystem.formulas import scaling
from ecosystem.reference import read_table
from sim.scenario.calendar import month_number


def effective_multiplier(scenario, date: str) -> float:
    """k(date): effective compute per physical FLOP relative to ``progress.base_date`` (1 with progress off)."""
    p = scenario.progress
    if not p.enabled:
        return 1.0
    return 2.0 ** ((month_number(date) - month_number(p.base_date)) / p.pretraining_halving_months)


def serving_divisor(scenario, date: str) -> float:
    """Serving compute per token relative to the planner's (``serving_reference_date``): below 1 before that date,
    above after it (1 with progress off)."""
    p = scenario.progress
    if not p.enabled:
        return 1.0
    return p.inference_gain_per_year ** ((month_number(date) - month_number(p.serving_reference_date)) / 12.0)


def effective_loss(params: float, tokens: float, multiplier: float, fit: str) -> float:
    """The scaling-law loss of (params, tokens) trained at effective-compute multiplier ``multiplier``."""
    root = math.sqrt(multiplier)
    return scaling.loss(params * root, tokens * root, fit)


@lru_cache(maxsize=8)
def _threshold_rows() -> dict[str, tuple[float, str]]:
    return {row["id"]: (float(row["train_flops"]), row["date"]) for row in read_table("capability_thresholds")}


def capability_ids() -> tuple[str, ...]:
    return tuple(_threshold_rows())


def threshold_quality(scenario, capability: str, fit: str) -> float:
    """Quality index of the reference model of ``capability`` (``capability_thresholds.csv``)."""
    flops, date = _threshold_rows()[capability]
    alloc = scaling.optimal_allocation(flops, fit)
    return scaling.quality_from_loss(effective_loss(alloc.params, alloc.tokens, effective_multiplier(scenario, date),
                                                    fit), fit)
