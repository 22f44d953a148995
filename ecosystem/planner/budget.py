"""Budget plans: the compute-optimal model a dollar budget buys under a Chinchilla fit, and its training plan."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from ecosystem import reference
from ecosystem.checks import check_number
from ecosystem.formulas import scaling
from ecosystem.planner.flops import training_flops
from ecosystem.planner.hardware import resolve_hardware
from ecosystem.planner.inputs import (MAX_BUDGET_USD, MAX_PARAMS, MAX_PRICE_USD_PER_GPU_HOUR, MAX_TOKENS,
                                      SECONDS_PER_HOUR, PlanRecord, parse_quantity)
from ecosystem.planner.mfu.default import default_mfu, mfu_basis
from ecosystem.planner.pricing import default_price_usd_per_gpu_hour
from ecosystem.planner.training import train_plan


FITS = ("epoch", "hoffmann", "hoffmann-parametric")


def _fit_name(fit: str) -> str:
    if fit not in FITS:
        raise ValueError(f"fit: unknown {fit!r}; allowed: {', '.join(FITS)}")
    return fit


@lru_cache(maxsize=1)
def hoffmann_approach1_allocation() -> tuple[float, float]:
    """(log10 k, a) of N_opt = k C^a fitted (least squares in log-log) to Hoffmann et al. 2022 Table 3 (Approach 1).

    Table 3 is in ``scaling_laws.csv`` ("Chinchilla compute-optimal sizes (Approach 1)"); it gives ~20 tokens per
    parameter, which the rounded parametric fit of Eq. 10 does not reproduce (see ``budget_plan``).
    """
    law = "Chinchilla compute-optimal sizes (Approach 1)"
    rows = [r for r in reference.read_table("scaling_laws") if r["law"] == law]
    if not rows:
        raise ValueError("scaling_laws.csv lacks the 'Chinchilla compute-optimal sizes (Approach 1)' row")
    points = []
    for item in rows[0]["value"].split(";"):
        size, _, rest = item.partition("->")
        flops_text = rest.split(",")[0]
        points.append((math.log10(float(flops_text)), math.log10(parse_quantity(size))))
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return mean_y - slope * mean_x, slope


def _allocate(flops_6nd: float, fit: str) -> tuple[float, float, float]:
    """(params, tokens, predicted loss) compute-optimal for C = 6 N D under ``fit``."""
    if fit == "epoch":
        alloc = scaling.optimal_allocation(flops_6nd, "epoch")
        return alloc.params, alloc.tokens, alloc.predicted_loss
    if fit == "hoffmann-parametric":
        alloc = scaling.optimal_allocation(flops_6nd, "hoffmann")
        return alloc.params, alloc.tokens, alloc.predicted_loss
    log10_k, a = hoffmann_approach1_allocation()
    n_opt = 10.0 ** (log10_k + a * math.log10(flops_6nd))
    d_opt = flops_6nd / (6.0 * n_opt)
    return n_opt, d_opt, scaling.loss(n_opt, d_opt, "hoffmann")


_FIT_NOTES = {
    "epoch": "Besiroglu et al. 2024 (Epoch AI) refit of L(N,D); closed-form optimum (scaling.optimal_allocation)",
    "hoffmann": (
        "Hoffmann et al. 2022 Approach 1: N_opt = k C^a fitted to Table 3 (scaling_laws.csv), ~20 tokens/param; "
        "loss from the rounded Eq. 10 fit. The closed-form optimum of the rounded Eq. 10 fit gives ~90 tokens/param "
        "(use fit 'hoffmann-parametric'), an inconsistency of the printed coefficients noted by Besiroglu et al. 2024"
    ),
    "hoffmann-parametric": (
        "closed-form optimum of Hoffmann et al. 2022 Eq. 10 as printed (rounded): ~90 tokens/param, inconsistent "
        "with the paper's own Approaches 1-2 (Besiroglu et al. 2024)"
    ),
}


@dataclass(frozen=True)
class BudgetPlan(PlanRecord):
    """The compute-optimal model a dollar budget buys, and its training plan's figures."""

    budget_usd: float
    hardware_id: str
    fit: str
    params: float
    tokens: float
    tokens_per_param: float
    train_flops: float
    predicted_loss: float
    gpu_hours: float
    cost_usd: float
    mfu: float
    price_usd_per_gpu_hour: float
    energy_mwh: float
    co2_t: float
    assumptions: dict[str, str] = field(default_factory=dict)


def budget_plan(
    budget_usd: float,
    hardware_id: str,
    *,
    fit: str = "epoch",
    mfu: float | None = None,
    price_usd_per_gpu_hour: float | None = None,
) -> BudgetPlan:
    """Spend ``budget_usd`` on GPU-hours and train the compute-optimal model of ``fit`` with them.

    The scaling laws allocate C = 6 N D; the plan's FLOPs also count attention, so C is scaled until the full
    training plan costs the budget. With the default MFU (which depends on model size) the two steps alternate
    until they agree.
    """
    budget = check_number("budget_usd", budget_usd, 0.0, MAX_BUDGET_USD, low_open=True)
    peak = resolve_hardware(hardware_id).peak_bf16_flops_per_s
    fit = _fit_name(fit)
    mfu_given = None if mfu is None else check_number("mfu", mfu, 0.0, 1.0, low_open=True)
    price = (
        default_price_usd_per_gpu_hour(hardware_id)
        if price_usd_per_gpu_hour is None
        else check_number("price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR,
                          low_open=True)
    )
    gpu_hours = budget / price
    mfu_value = mfu_given if mfu_given is not None else default_mfu(hardware_id, 1e10)
    params = tokens = predicted = 0.0
    for _ in range(50):
        flops_budget = gpu_hours * SECONDS_PER_HOUR * peak * mfu_value
        c6 = flops_budget
        for _ in range(50):
            params, tokens, _ = _allocate(c6, fit)
            full = training_flops(params, tokens)
            c6 *= flops_budget / full
            if abs(full / flops_budget - 1.0) < 1e-12:
                break
        params, tokens, predicted = _allocate(c6, fit)
        if mfu_given is not None or params > MAX_PARAMS:
            break
        new_mfu = default_mfu(hardware_id, params)
        if abs(new_mfu / mfu_value - 1.0) < 1e-12:
            break
        mfu_value = new_mfu
    if params > MAX_PARAMS or tokens > MAX_TOKENS:
        raise ValueError(
            f"budget_usd: {budget:g} buys a model beyond the planner's range (params {params:.3g} > {MAX_PARAMS:g} "
            f"or tokens {tokens:.3g} > {MAX_TOKENS:g}); allowed: a smaller budget"
        )
    plan = train_plan(params, tokens, hardware_id, mfu=mfu_value, price_usd_per_gpu_hour=price_usd_per_gpu_hour)
    assumptions = dict(plan.assumptions)
    assumptions["fit"] = _FIT_NOTES[fit]
    if mfu_given is None:
        assumptions["mfu"] = f"default {mfu_value:.3f} for the chosen size: {mfu_basis(hardware_id)}"
    return BudgetPlan(budget_usd=budget, hardware_id=hardware_id, fit=fit, params=params, tokens=tokens,
                      tokens_per_param=tokens / params, train_flops=plan.train_flops, predicted_loss=predicted,
                      gpu_hours=plan.gpu_hours, cost_usd=plan.cost_usd, mfu=mfu_value, price_usd_per_gpu_hour=price,
                      energy_mwh=plan.energy_mwh, co2_t=plan.co2_t, assumptions=assumptions)
