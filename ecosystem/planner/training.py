"""Training plans: the GPU-hours, dollars, energy and CO2 of training ``params`` (``active_params`` for MoE) on
``tokens`` tokens.

FLOPs = (6 N_active + 12 n_layer n_ctx d_model) D (``ecosystem.planner.flops``); GPU-hours = FLOPs / (peak x MFU x
3600), MFU by default from the calibration (``ecosystem.planner.mfu``); energy = GPU-hours x TDP x PUE; CO2 = energy x
grid intensity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecosystem import formulas
from ecosystem.checks import check_int, check_number
from ecosystem.planner.flops import default_train_context_tokens
from ecosystem.planner.hardware import THIS_MACHINE, resolve_hardware, tdp_w
from ecosystem.planner.inputs import (HOURS_PER_DAY, MAX_CONTEXT_TOKENS, MAX_GPUS, MAX_PRICE_USD_PER_GPU_HOUR,
                                      MAX_TOKENS, SECONDS_PER_HOUR, PlanRecord, check_params, given_or_default)
from ecosystem.planner.mfu.default import default_mfu, mfu_basis
from ecosystem.planner.pricing import default_entry, default_price_usd_per_gpu_hour, pue_and_grid


@dataclass(frozen=True)
class TrainPlan(PlanRecord):
    """Cost of one training run. ``wall_clock_days`` is None unless a GPU count was given."""

    hardware_id: str
    params: float
    active_params: float
    tokens: float
    context_tokens: int
    train_flops: float
    gpu_hours: float
    cost_usd: float
    energy_mwh: float
    co2_t: float
    mfu: float
    price_usd_per_gpu_hour: float
    pue: float
    grid_gco2_per_kwh: float
    tdp_w: float
    gpus: int | None
    wall_clock_days: float | None
    assumptions: dict[str, str] = field(default_factory=dict)


def train_plan(
    params: float,
    tokens: float,
    hardware_id: str,
    *,
    active_params: float | None = None,
    gpus: int | None = None,
    mfu: float | None = None,
    price_usd_per_gpu_hour: float | None = None,
    pue: float | None = None,
    grid_gco2_per_kwh: float | None = None,
    context_tokens: int | None = None,
) -> TrainPlan:
    """Price training ``params`` (``active_params`` for MoE) on ``tokens`` tokens on ``hardware_id``."""
    total, active = check_params(params, active_params)
    n_tokens = check_number("tokens", tokens, 0.0, MAX_TOKENS, low_open=True)
    hw = resolve_hardware(hardware_id)
    n_gpus = None if gpus is None else check_int("gpus", gpus, 1, MAX_GPUS)
    n_ctx = default_train_context_tokens() if context_tokens is None else check_int(
        "context_tokens", context_tokens, 1, MAX_CONTEXT_TOKENS
    )
    assumptions: dict[str, str] = {}

    n_layer, d_model = formulas.approx_shape_for_params(active)
    flops = formulas.train_flops(active, n_tokens, n_layer, n_ctx, d_model)
    assumptions["train_flops"] = (
        f"(6 N_active + 12 n_layer n_ctx d_model) x tokens with N_active={active:.4g}, shape n_layer={n_layer}, "
        f"d_model={d_model} from approx_shape_for_params, n_ctx={n_ctx}"
        + ("" if context_tokens is not None else " (defaults.csv train_context_tokens.default)")
    )
    mfu_value = given_or_default(assumptions, "mfu", mfu, lambda v: check_number("mfu", v, 0.0, 1.0, low_open=True),
                                 lambda: default_mfu(hardware_id, active),
                                 lambda v: f"default {v:.3f}: {mfu_basis(hardware_id)}")
    if price_usd_per_gpu_hour is None and hardware_id == THIS_MACHINE:
        price = 0.0
        assumptions["price_usd_per_gpu_hour"] = "0: your own machine (pass a price to cost its hours)"
    elif price_usd_per_gpu_hour is None:
        price = default_price_usd_per_gpu_hour(hardware_id)
        entry = default_entry(f"gpu_price_usd_per_hour.{hardware_id}")
        assumptions["price_usd_per_gpu_hour"] = (
            f"defaults.csv gpu_price_usd_per_hour.{hardware_id}: {entry.derived_from}"
        )
    else:
        price = check_number(
            "price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR)
        assumptions["price_usd_per_gpu_hour"] = "given"
    pue_value, grid = pue_and_grid(pue, grid_gco2_per_kwh, assumptions)
    if hardware_id == THIS_MACHINE:
        power_w = 0.0
        assumptions["energy"] = "not estimated: the probe does not measure this machine's power (energy and CO2 are 0)"
    else:
        power_w = tdp_w(hardware_id)
        assumptions["energy"] = f"GPU-hours x TDP {power_w:g} W x PUE (board power at TDP, not metered)"

    hours = flops / (hw.peak_bf16_flops_per_s * mfu_value * SECONDS_PER_HOUR)
    energy_mwh = hours * power_w * pue_value / 1e6
    return TrainPlan(
        hardware_id=hardware_id,
        params=total,
        active_params=active,
        tokens=n_tokens,
        context_tokens=n_ctx,
        train_flops=flops,
        gpu_hours=hours,
        cost_usd=hours * price,
        energy_mwh=energy_mwh,
        co2_t=energy_mwh * grid / 1000.0,  # MWh x g/kWh = kg; / 1000 -> t
        mfu=mfu_value,
        price_usd_per_gpu_hour=price,
        pue=pue_value,
        grid_gco2_per_kwh=grid,
        tdp_w=power_w,
        gpus=n_gpus,
        wall_clock_days=None if n_gpus is None else hours / n_gpus / HOURS_PER_DAY,
        assumptions=assumptions,
    )
