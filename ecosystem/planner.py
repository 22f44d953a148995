"""Cost planner: training and serving costs in GPU-hours, dollars, energy and CO2 (units in every name).

Pure, typed functions over the reference tables (``ecosystem.reference``) and the compute formulas
(``ecosystem.compute``):

* ``train_plan`` prices a training run of ``params`` (``active_params`` for mixture-of-experts) on ``tokens``.
  FLOPs = (6 N_active + 12 n_layer n_ctx d_model) D, with a shape from ``approx_shape_for_params`` and the default
  training context from ``defaults.csv``; GPU-hours = FLOPs / (peak x MFU x 3600); energy = GPU-hours x TDP x PUE;
  CO2 = energy x grid intensity.
* ``default_mfu`` is the MFU calibrated on the published training runs (``data/profiles/mfu_calibration.json``,
  written by ``python -m ecosystem.calibration``). It is an *effective* MFU: total model FLOPs over total reported
  GPU-hours, so restarts and downtime are folded in.
* ``budget_plan`` spends a dollar budget on the compute-optimal model of a Chinchilla fit.
* ``serve_plan`` sizes a serving fleet from the compute, memory-bandwidth and memory-capacity limits;
  ``usd_per_million_tokens`` is its cheap compute-bound scalar for the simulation.

Every error is a ``ValueError`` whose message names the argument, the value and what is allowed.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from ecosystem import compute, reference, scaling
from ecosystem.profiles import load_probe_profile

CALIBRATION_PATH = reference.REPO_ROOT / "data" / "profiles" / "mfu_calibration.json"

MAX_PARAMS = 1e14
MAX_TOKENS = 1e17
MAX_GPUS = 10_000_000
MAX_BUDGET_USD = 1e12
MAX_PRICE_USD_PER_GPU_HOUR = 1_000.0
PUE_RANGE = (1.0, 3.0)
GRID_GCO2_PER_KWH_RANGE = (0.0, 2_000.0)
MAX_CONTEXT_TOKENS = 10_000_000
MAX_TOKENS_PER_DAY = 1e16
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = 86_400.0

FITS = ("epoch", "hoffmann", "hoffmann-parametric")


# ---- validation -----------------------------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(name: str, value: object, low: float, high: float, *, low_open: bool = True) -> float:
    """``value`` as a float if ``low < value <= high`` (``low <= value`` unless ``low_open``); else ValueError."""
    lower = f"> {low:g}" if low_open else f">= {low:g}"
    allowed = f"allowed: a number {lower} and <= {high:g}"
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ValueError(f"{name}: {value!r} is not a finite number; {allowed}")
    number = float(value)  # type: ignore[arg-type]
    if (number <= low if low_open else number < low) or number > high:
        raise ValueError(f"{name}: {number:g} is out of range; {allowed}")
    return number


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name}: {value!r} is not allowed; allowed: a whole number from {low} to {high}")
    return int(value)


def _params(params: float, active_params: float | None) -> tuple[float, float]:
    total = _check("params", params, 0.0, MAX_PARAMS)
    if active_params is None:
        return total, total
    active = _check("active_params", active_params, 0.0, MAX_PARAMS)
    if active > total:
        raise ValueError(f"active_params: {active:g} exceeds params {total:g}; allowed: 0 < active_params <= params")
    return total, active


THIS_MACHINE = "this-machine"


def hardware_ids() -> list[str]:
    """Every hardware id the planner accepts: the catalogue's, and ``this-machine`` (training plans only)."""
    return sorted(reference.hardware_catalog()) + [THIS_MACHINE]


@lru_cache(maxsize=1)
def this_machine() -> reference.Hardware:
    """The machine the probe ran on, as a training device: its measured dense-matmul peak (``probe_cpu.json``).

    The probe measures neither power nor memory bandwidth, so plans on it have no energy figure and no serving plan.
    """
    profile = load_probe_profile()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else float("nan")
    return reference.Hardware(
        id=THIS_MACHINE, name=f"this machine ({profile['machine'].get('cpu_model', 'CPU')}, measured by the probe)",
        peak_bf16_flops_per_s=float(profile["gemm_peak_flops_per_s"]), peak_fp8_flops_per_s=None,
        memory_bytes=float(mem), memory_bw_bytes_per_s=float("nan"), tdp_w=None,
        source="data/profiles/probe_cpu.json: python -m ecosystem probe (GEMM peak and training MFU measured here)")


def this_machine_mfu() -> float:
    """Median-step training MFU of the probe's largest model on this machine (``probe_cpu.json``)."""
    profile = load_probe_profile()
    largest = profile["sizes"][-1]
    return float(largest.get("mfu_median", largest["mfu"]))


def _hardware(hardware_id: str) -> reference.Hardware:
    if not isinstance(hardware_id, str):
        raise ValueError(f"hardware: {hardware_id!r} is not an id; allowed: {', '.join(hardware_ids())}")
    if hardware_id == THIS_MACHINE:
        return this_machine()
    if hardware_id not in reference.hardware_catalog():
        raise ValueError(f"hardware: unknown id {hardware_id!r}; allowed: {', '.join(hardware_ids())}")
    return reference.hardware(hardware_id)


def _catalogued(hardware_id: str, what: str) -> reference.Hardware:
    """The hardware, refusing ``this-machine`` where a figure the probe does not measure is needed."""
    if hardware_id == THIS_MACHINE:
        raise ValueError(f"hardware: {THIS_MACHINE!r} has no {what} (the probe does not measure it); allowed: "
                         f"{', '.join(sorted(reference.hardware_catalog()))}")
    return _hardware(hardware_id)


def _fit_name(fit: str) -> str:
    if fit not in FITS:
        raise ValueError(f"fit: unknown {fit!r}; allowed: {', '.join(FITS)}")
    return fit


# ---- defaults from data/reference/defaults.csv -----------------------------------------------------------------------


def _default_entry(key: str) -> reference.Default | None:
    return reference.defaults().get(key)


def tdp_w(hardware_id: str) -> float:
    """Board power (W) of one accelerator: hardware.csv, else the ``tdp_w.<id>`` row of defaults.csv (TPUs, H800)."""
    hw = _catalogued(hardware_id, "TDP")
    if hw.tdp_w is not None:
        return hw.tdp_w
    entry = _default_entry(f"tdp_w.{hardware_id}")
    if entry is None:
        raise ValueError(f"hardware: no TDP for {hardware_id!r} in hardware.csv or defaults.csv (tdp_w.{hardware_id})")
    return entry.value


def default_price_usd_per_gpu_hour(hardware_id: str) -> float:
    """The ``gpu_price_usd_per_hour.<id>`` default; ValueError when the table has none for this hardware."""
    _hardware(hardware_id)
    entry = _default_entry(f"gpu_price_usd_per_hour.{hardware_id}")
    if entry is None:
        raise ValueError(
            f"price_usd_per_gpu_hour: no default for hardware {hardware_id!r} in defaults.csv; pass a price > 0"
        )
    return entry.value


def default_pue() -> float:
    return reference.default("pue.hyperscale")


def default_grid_gco2_per_kwh() -> float:
    return reference.default("grid_gco2_per_kwh.us_average")


def default_train_context_tokens() -> int:
    return int(reference.default("train_context_tokens.default"))


def _pue_and_grid(
    pue: float | None, grid_gco2_per_kwh: float | None, assumptions: dict[str, str]
) -> tuple[float, float]:
    """The PUE and grid intensity given (checked) or the defaults.csv ones, noting which in ``assumptions``."""
    if pue is None:
        pue_value = default_pue()
        assumptions["pue"] = "defaults.csv pue.hyperscale"
    else:
        pue_value = _check("pue", pue, PUE_RANGE[0], PUE_RANGE[1], low_open=False)
        assumptions["pue"] = "given"
    if grid_gco2_per_kwh is None:
        grid = default_grid_gco2_per_kwh()
        assumptions["grid_gco2_per_kwh"] = "defaults.csv grid_gco2_per_kwh.us_average"
    else:
        grid = _check("grid_gco2_per_kwh", grid_gco2_per_kwh, *GRID_GCO2_PER_KWH_RANGE, low_open=False)
        assumptions["grid_gco2_per_kwh"] = "given"
    return pue_value, grid


def energy_kwh_per_gpu_hour(hardware_id: str, pue: float) -> float:
    """Facility energy of one accelerator-hour at TDP: TDP (kW) x PUE. Model cards use the same convention."""
    pue_value = _check("pue", pue, PUE_RANGE[0], PUE_RANGE[1], low_open=False)
    return tdp_w(hardware_id) / 1000.0 * pue_value


# ---- FLOPs and GPU-hours --------------------------------------------------------------------------------------------


def training_flops(active_params: float, tokens: float, context_tokens: int | None = None) -> float:
    """Model FLOPs of training: (6 N_active + 12 n_layer n_ctx d_model) x tokens (PaLM's MFU convention).

    The shape comes from ``compute.approx_shape_for_params``; ``context_tokens`` defaults to defaults.csv's
    ``train_context_tokens.default``.
    """
    n_ctx = default_train_context_tokens() if context_tokens is None else context_tokens
    n_layer, d_model = compute.approx_shape_for_params(active_params)
    return compute.train_flops(active_params, tokens, n_layer, n_ctx, d_model)


def gpu_hours_for_flops(train_flops: float, hardware_id: str, mfu: float) -> float:
    """GPU-hours to execute ``train_flops`` model FLOPs at ``mfu`` of the hardware's dense bf16 peak."""
    if not (_is_number(train_flops) and train_flops >= 0 and math.isfinite(train_flops)):
        raise ValueError(f"train_flops: {train_flops!r} is not allowed; allowed: a finite number >= 0")
    if not (_is_number(mfu) and 0 < mfu <= 1):
        raise ValueError(f"mfu: {mfu!r} is out of range; allowed: a number > 0 and <= 1")
    return train_flops / (_hardware(hardware_id).peak_bf16_flops_per_s * mfu * SECONDS_PER_HOUR)


# ---- MFU calibration ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def calibration() -> dict:
    """The committed MFU calibration (``data/profiles/mfu_calibration.json``); recomputed if the file is absent."""
    path = Path(CALIBRATION_PATH)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    from ecosystem import calibration as calib  # noqa: PLC0415 - only when the committed file is missing

    return calib.calibrate()


def _predict_mfu(model: dict, hardware_id: str, params: float) -> float:
    family = model["hardware_family"].get(hardware_id)
    log10_mfu = model["family_log10_mfu"].get(family, model["fallback_log10_mfu"])
    log10_mfu += model["slope_per_decade_params"] * (math.log10(params) - model["reference_log10_params"])
    low, high = model["mfu_bounds"]
    return min(high, max(low, 10.0**log10_mfu))


@lru_cache(maxsize=4096)
def _default_mfu_cached(hardware_id: str, params: float) -> float:
    return _predict_mfu(calibration()["model"], hardware_id, params)


def default_mfu(hardware_id: str, params: float) -> float:
    """The calibrated default MFU for training a model of ``params`` (active) parameters on this hardware;
    on ``this-machine``, the MFU the probe measured here."""
    _hardware(hardware_id)
    _check("params", params, 0.0, MAX_PARAMS)
    if hardware_id == THIS_MACHINE:
        return this_machine_mfu()
    return _default_mfu_cached(hardware_id, float(params))


def mfu_basis(hardware_id: str) -> str:
    """One line saying where the default MFU for this hardware comes from."""
    if hardware_id == THIS_MACHINE:
        return "measured by the probe on this machine: median-step MFU of its largest model (probe_cpu.json)"
    cal = calibration()
    model = cal["model"]
    family = model["hardware_family"].get(hardware_id, hardware_id)
    n_runs = len(cal["rows"])
    if not model["family_log10_mfu"]:
        basis = f"one law for all hardware fitted on {n_runs} published runs"
    elif family in model["family_log10_mfu"]:
        basis = f"calibrated on the published {family} runs"
    else:
        basis = f"no published run on {family} hardware: the all-runs value"
    if model["slope_per_decade_params"]:
        basis += f", MFU x{10 ** model['slope_per_decade_params']:.3f} per 10x params"
    return f"{basis} (data/profiles/mfu_calibration.json, method {cal['method']!r})"


# ---- training -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainPlan:
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

    def to_dict(self) -> dict:
        return asdict(self)


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
    total, active = _params(params, active_params)
    n_tokens = _check("tokens", tokens, 0.0, MAX_TOKENS)
    hw = _hardware(hardware_id)
    n_gpus = None if gpus is None else _check_int("gpus", gpus, 1, MAX_GPUS)
    n_ctx = default_train_context_tokens() if context_tokens is None else _check_int(
        "context_tokens", context_tokens, 1, MAX_CONTEXT_TOKENS
    )
    assumptions: dict[str, str] = {}

    n_layer, d_model = compute.approx_shape_for_params(active)
    flops = compute.train_flops(active, n_tokens, n_layer, n_ctx, d_model)
    assumptions["train_flops"] = (
        f"(6 N_active + 12 n_layer n_ctx d_model) x tokens with N_active={active:.4g}, shape n_layer={n_layer}, "
        f"d_model={d_model} from approx_shape_for_params, n_ctx={n_ctx}"
        + ("" if context_tokens is not None else " (defaults.csv train_context_tokens.default)")
    )
    if mfu is None:
        mfu_value = default_mfu(hardware_id, active)
        assumptions["mfu"] = f"default {mfu_value:.3f}: {mfu_basis(hardware_id)}"
    else:
        mfu_value = _check("mfu", mfu, 0.0, 1.0)
        assumptions["mfu"] = "given"
    if price_usd_per_gpu_hour is None and hardware_id == THIS_MACHINE:
        price = 0.0
        assumptions["price_usd_per_gpu_hour"] = "0: your own machine (pass a price to cost its hours)"
    elif price_usd_per_gpu_hour is None:
        price = default_price_usd_per_gpu_hour(hardware_id)
        entry = _default_entry(f"gpu_price_usd_per_hour.{hardware_id}")
        assumptions["price_usd_per_gpu_hour"] = (
            f"defaults.csv gpu_price_usd_per_hour.{hardware_id}: {entry.derived_from}"
        )
    else:
        price = _check(
            "price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR, low_open=False
        )
        assumptions["price_usd_per_gpu_hour"] = "given"
    pue_value, grid = _pue_and_grid(pue, grid_gco2_per_kwh, assumptions)
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


# ---- budget -> compute-optimal model --------------------------------------------------------------------------------


_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


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
class BudgetPlan:
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

    def to_dict(self) -> dict:
        return asdict(self)


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
    budget = _check("budget_usd", budget_usd, 0.0, MAX_BUDGET_USD)
    peak = _hardware(hardware_id).peak_bf16_flops_per_s
    fit = _fit_name(fit)
    mfu_given = None if mfu is None else _check("mfu", mfu, 0.0, 1.0)
    price = (
        default_price_usd_per_gpu_hour(hardware_id)
        if price_usd_per_gpu_hour is None
        else _check("price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR)
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
    return BudgetPlan(
        budget_usd=budget,
        hardware_id=hardware_id,
        fit=fit,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        train_flops=plan.train_flops,
        predicted_loss=predicted,
        gpu_hours=plan.gpu_hours,
        cost_usd=plan.cost_usd,
        mfu=mfu_value,
        price_usd_per_gpu_hour=price,
        energy_mwh=plan.energy_mwh,
        co2_t=plan.co2_t,
        assumptions=assumptions,
    )


# ---- serving --------------------------------------------------------------------------------------------------------


def default_serving_efficiency(hardware_id: str, active_params: float) -> float:
    """Fraction of peak reached by compute-bound serving: the calibrated training MFU (an assumption)."""
    return default_mfu(hardware_id, active_params)


def usd_per_million_tokens(
    active_params: float,
    hardware_id: str,
    gpu_price_usd_per_hour: float,
    utilization: float,
    serving_efficiency: float | None = None,
) -> float:
    """Compute-bound serving cost: price / (tokens/s per GPU x 3600 x utilization) x 1e6, with
    tokens/s per GPU = peak x efficiency / (2 N_active). A lower bound: ``serve_plan`` adds the memory limits."""
    active = _check("active_params", active_params, 0.0, MAX_PARAMS)
    hw = _hardware(hardware_id)
    price = _check("gpu_price_usd_per_hour", gpu_price_usd_per_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR, low_open=False)
    util = _check("utilization", utilization, 0.0, 1.0)
    eff = (
        default_mfu(hardware_id, active)
        if serving_efficiency is None
        else _check("serving_efficiency", serving_efficiency, 0.0, 1.0)
    )
    tokens_per_s_per_gpu = hw.peak_bf16_flops_per_s * eff / (2.0 * active)
    return price / (tokens_per_s_per_gpu * SECONDS_PER_HOUR * util) * 1e6


@dataclass(frozen=True)
class ServePlan:
    """A serving fleet: ``replicas`` copies of the model on ``gpus_per_replica`` GPUs, each decoding ``batch``
    sequences at once. ``usd_per_million_tokens`` is the fleet's cost over the tokens it serves."""

    hardware_id: str
    params: float
    active_params: float
    tokens_per_day: float
    context_tokens: int
    utilization: float
    gpus_needed: int
    gpus_per_replica: int
    replicas: int
    batch: int
    bound: str
    throughput_tokens_per_s_per_gpu: float
    average_utilization: float
    usd_per_million_tokens: float
    fleet_usd_per_day: float
    energy_kwh_per_day: float
    co2_kg_per_day: float
    memory_per_gpu_gb: float
    weights_gb: float
    kv_cache_gb_per_sequence: float
    serving_efficiency: float
    price_usd_per_gpu_hour: float
    pue: float
    grid_gco2_per_kwh: float
    assumptions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _replica_tokens_per_s(
    gpus: int,
    batch: int,
    *,
    weights_read_bytes: float,
    kv_bytes: float,
    flops_per_token: float,
    peak_flops_per_s: float,
    efficiency: float,
    bw_bytes_per_s: float,
) -> tuple[float, str]:
    compute_limit = gpus * peak_flops_per_s * efficiency / flops_per_token
    step_s = (weights_read_bytes + batch * kv_bytes) / (gpus * bw_bytes_per_s)  # one decode step reads it all once
    bandwidth_limit = batch / step_s
    if compute_limit <= bandwidth_limit:
        return compute_limit, "compute"
    return bandwidth_limit, "memory bandwidth"


def serve_plan(
    params: float,
    tokens_per_day: float,
    hardware_id: str,
    *,
    active_params: float | None = None,
    context_tokens: int = 4096,
    utilization: float = 0.6,
    serving_efficiency: float | None = None,
    price_usd_per_gpu_hour: float | None = None,
    pue: float | None = None,
    grid_gco2_per_kwh: float | None = None,
    bytes_per_param: float = 2.0,
    batch: int | None = None,
    kv_bytes_per_element: float = 2.0,
    query_heads_per_kv_head: int = 1,
) -> ServePlan:
    """Size and price a fleet serving ``tokens_per_day`` generated tokens at a target average ``utilization``.

    Per replica of g GPUs (g = 1, 2, 4, ... up to defaults.csv ``serving_max_gpus_per_replica``): memory holds the
    weights (all ``params``, ``bytes_per_param`` each) plus a KV cache per sequence (``compute.kv_cache_bytes`` at
    ``context_tokens``, shape from ``approx_shape_for_params(active)``, divided by ``query_heads_per_kv_head`` for
    grouped-query attention); the batch is the most sequences that fit (capped by ``serving_max_batch``) unless
    ``batch`` is given. A replica's tokens/s is the lower of the compute limit g x peak x efficiency /
    (2 N_active + 4 n_layer n_ctx d_model) and the bandwidth limit: a decode step reads the weights (for MoE at most
    active x batch of them) and every sequence's KV cache once, so tokens/s <= batch x g x bandwidth / bytes read.
    replicas = ceil(tokens_per_day / 86400 / utilization / replica tokens/s); the replica size giving the fewest GPUs is
    used (ties: more tokens/s per GPU, then fewer GPUs per replica). Cost per 1M tokens = fleet cost per day / tokens
    per day: it falls as the target utilization rises, in steps of whole replicas.
    """
    total, active = _params(params, active_params)
    demand = _check("tokens_per_day", tokens_per_day, 0.0, MAX_TOKENS_PER_DAY)
    hw = _catalogued(hardware_id, "measured memory bandwidth or power for a serving plan")
    n_ctx = _check_int("context_tokens", context_tokens, 1, MAX_CONTEXT_TOKENS)
    util = _check("utilization", utilization, 0.0, 1.0)
    bpp = _check("bytes_per_param", bytes_per_param, 0.0, 8.0)
    kv_bpe = _check("kv_bytes_per_element", kv_bytes_per_element, 0.0, 8.0)
    gqa = _check_int("query_heads_per_kv_head", query_heads_per_kv_head, 1, 1024)
    max_batch = int(reference.default("serving_max_batch"))
    max_gpus = int(reference.default("serving_max_gpus_per_replica"))
    fixed_batch = None if batch is None else _check_int("batch", batch, 1, max_batch)
    assumptions: dict[str, str] = {}
    if serving_efficiency is None:
        eff = default_serving_efficiency(hardware_id, active)
        assumptions["serving_efficiency"] = f"default {eff:.3f} = calibrated training MFU: {mfu_basis(hardware_id)}"
    else:
        eff = _check("serving_efficiency", serving_efficiency, 0.0, 1.0)
        assumptions["serving_efficiency"] = "given"
    if price_usd_per_gpu_hour is None:
        price = default_price_usd_per_gpu_hour(hardware_id)
        assumptions["price_usd_per_gpu_hour"] = f"defaults.csv gpu_price_usd_per_hour.{hardware_id}"
    else:
        price = _check(
            "price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR, low_open=False
        )
        assumptions["price_usd_per_gpu_hour"] = "given"
    pue_value, grid = _pue_and_grid(pue, grid_gco2_per_kwh, assumptions)

    n_layer, d_model = compute.approx_shape_for_params(active)
    weights = compute.weights_bytes(total, bpp)
    kv_per_seq = compute.kv_cache_bytes(n_layer, n_ctx, d_model, kv_bpe) / gqa
    flops_per_token = compute.forward_flops_per_token(active, n_layer, n_ctx, d_model)
    usable_fraction = reference.default("serving_usable_memory_fraction")
    usable = hw.memory_bytes * usable_fraction
    needed_tokens_per_s = demand / SECONDS_PER_DAY / util
    assumptions["shape"] = (
        f"n_layer={n_layer}, d_model={d_model} from approx_shape_for_params(active); KV cache "
        + ("of full multi-head attention" if gqa == 1 else f"shared by {gqa} query heads per KV head")
        + f"; attention over the full {n_ctx}-token context for every token (an upper bound)"
    )
    assumptions["memory"] = (
        f"{usable_fraction:g} of {hw.memory_gb:g} GB usable per GPU (defaults.csv serving_usable_memory_fraction); "
        "weights of all params resident on every replica"
    )

    best: tuple | None = None  # (gpus_needed, -tokens/s per GPU, g, batch, replica tokens/s, bound, replicas)
    g = 1
    while g <= max_gpus:
        free = g * usable - weights
        fit_batch = int(free // kv_per_seq) if free > 0 else 0
        b = min(fit_batch, max_batch) if fixed_batch is None else (fixed_batch if fixed_batch <= fit_batch else 0)
        if b >= 1:
            weights_read = min(total, active * b) * bpp  # MoE: at small batch only the active experts are read
            tps, bound = _replica_tokens_per_s(
                g,
                b,
                weights_read_bytes=weights_read,
                kv_bytes=kv_per_seq,
                flops_per_token=flops_per_token,
                peak_flops_per_s=hw.peak_bf16_flops_per_s,
                efficiency=eff,
                bw_bytes_per_s=hw.memory_bw_bytes_per_s,
            )
            replicas = max(1, math.ceil(needed_tokens_per_s / tps))
            candidate = (replicas * g, -tps / g, g, b, tps, bound, replicas)
            if best is None or candidate[:3] < best[:3]:
                best = candidate
        g *= 2
    if best is None:
        need = f" and a batch of {fixed_batch}" if fixed_batch is not None else ""
        raise ValueError(
            f"params: a model of {total:.3g} parameters ({weights / 1e9:.1f} GB of weights at {bpp:g} bytes/param) "
            f"plus a {kv_per_seq / 1e9:.2f} GB KV cache per {n_ctx}-token sequence{need} does not fit on "
            f"{hardware_id} ({usable / 1e9:.1f} GB usable per GPU) with up to {max_gpus} GPUs per replica; allowed: "
            f"weights + KV cache <= {max_gpus} x {usable / 1e9:.1f} GB (fewer params, fewer bytes_per_param, a "
            "shorter context or hardware with more memory)"
        )
    gpus_needed, _, g, b, replica_tps, bound, replicas = best
    fleet_usd_per_day = gpus_needed * HOURS_PER_DAY * price
    kwh_per_gpu_hour = energy_kwh_per_gpu_hour(hardware_id, pue_value)
    energy_kwh_per_day = gpus_needed * HOURS_PER_DAY * kwh_per_gpu_hour
    assumptions["energy"] = f"every provisioned GPU at TDP {tdp_w(hardware_id):g} W x PUE, 24 h a day"
    return ServePlan(
        hardware_id=hardware_id,
        params=total,
        active_params=active,
        tokens_per_day=demand,
        context_tokens=n_ctx,
        utilization=util,
        gpus_needed=gpus_needed,
        gpus_per_replica=g,
        replicas=replicas,
        batch=b,
        bound=bound,
        throughput_tokens_per_s_per_gpu=replica_tps / g,
        average_utilization=demand / SECONDS_PER_DAY / (replicas * replica_tps),
        usd_per_million_tokens=fleet_usd_per_day / (demand / 1e6),
        fleet_usd_per_day=fleet_usd_per_day,
        energy_kwh_per_day=energy_kwh_per_day,
        co2_kg_per_day=energy_kwh_per_day * grid / 1000.0,
        memory_per_gpu_gb=(weights + b * kv_per_seq) / g / 1e9,
        weights_gb=weights / 1e9,
        kv_cache_gb_per_sequence=kv_per_seq / 1e9,
        serving_efficiency=eff,
        price_usd_per_gpu_hour=price,
        pue=pue_value,
        grid_gco2_per_kwh=grid,
        assumptions=assumptions,
    )


# ---- number parsing for the CLI and the dashboard --------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([kKmMbBtT]?)\s*$")


def parse_quantity(text: str) -> float:
    """``"7e9"``, ``"70B"``, ``"1.4T"``, ``"500M"``, ``"2k"`` -> float; ValueError otherwise."""
    match = _NUMBER.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a number (examples: 7e9, 70B, 1.4T, 500M)")
    value = float(match.group(1))
    suffix = match.group(2).upper()
    return value * _SUFFIX[suffix] if suffix else value
