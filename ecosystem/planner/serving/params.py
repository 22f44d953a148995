"""Serving plans: the fleet that serves ``tokens_per_day`` generated tokens, its GPUs, USD per 1M tokens and energy.

``serve_plan`` sizes the fleet from the compute, memory-bandwidth and memory-capacity limits;
``usd_per_million_tokens`` is its cheap compute-bound scalar for the simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ecosystem import formulas, reference
from ecosystem.checks import check_int, check_number
from ecosystem.planner.hardware import catalogued_hardware, energy_kwh_per_gpu_hour, resolve_hardware, tdp_w
from ecosystem.planner.inputs import (HOURS_PER_DAY, MAX_CONTEXT_TOKENS, MAX_PARAMS, MAX_PRICE_USD_PER_GPU_HOUR,
                                      MAX_TOKENS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR, PlanRecord,
                                      check_params, given_or_default)
from ecosystem.planner.mfu.default import default_mfu, mfu_basis
from ecosystem.planner.pricing import default_price_usd_per_gpu_hour, pue_and_grid


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
    active = check_number("active_params", active_params, 0.0, MAX_PARAMS, low_open=True)
    hw = resolve_hardware(hardware_id)
    price = check_number("gpu_price_usd_per_hour", gpu_price_usd_per_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR)
    util = check_number("utilization", utilization, 0.0, 1.0, low_open=True)
    eff = (
        default_mfu(hardware_id, active)
        if serving_efficiency is None
        else check_number("serving_efficiency", serving_efficiency, 0.0, 1.0, low_open=True)
    )
    tokens_per_s_per_gpu = hw.peak_bf16_flops_per_s * eff / (2.0 * active)
    return price / (tokens_per_s_per_gpu * SECONDS_PER_HOUR * util) * 1e6


@dataclass(frozen=True)
class ServePlan(PlanRecord):
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
    weights (all ``params``, ``bytes_per_param`` each) plus a KV cache per sequence (``formulas.kv_cache_bytes`` at
    ``context_tokens``, shape from ``approx_shape_for_params(active)``, divided by ``query_heads_per_kv_head`` for
    grouped-query attention); the batch is the most sequences that fit (capped by ``serving_max_batch``) unless
    ``batch`` is given. A replica's tokens/s is the lower of the compute limit g x peak x efficiency /
    (2 N_active + 4 n_layer n_ctx d_model) and the bandwidth limit: a decode step reads the weights (for MoE at most
    active x batch of them) and every sequence's KV cache once, so tokens/s <= batch x g x bandwidth / bytes read.
    replicas = ceil(tokens_per_day / 86400 / utilization / replica tokens/s); the replica size giving the fewest GPUs is
    used (ties: more tokens/s per GPU, then fewer GPUs per replica). Cost per 1M tokens = fleet cost per day / tokens
    per day: it falls as the target utilization rises, in steps of whole replicas.
    """
    total, active = check_params(params, active_params)
    demand = check_number("tokens_per_day", tokens_per_day, 0.0, MAX_TOKENS_PER_DAY, low_open=True)
    hw = catalogued_hardware(hardware_id, "measured memory bandwidth or power for a serving plan")
    n_ctx = check_int("context_tokens", context_tokens, 1, MAX_CONTEXT_TOKENS)
    util = check_number("utilization", utilization, 0.0, 1.0, low_open=True)
    bpp = check_number("bytes_per_param", bytes_per_param, 0.0, 8.0, low_open=True)
    kv_bpe = check_number("kv_bytes_per_element", kv_bytes_per_element, 0.0, 8.0, low_open=True)
    gqa = check_int("query_heads_per_kv_head", query_heads_per_kv_head, 1, 1024)
    max_batch = int(reference.default("serving_max_batch"))
    max_gpus = int(reference.default("serving_max_gpus_per_replica"))
    fixed_batch = None if batch is None else check_int("batch", batch, 1, max_batch)
    assumptions: dict[str, str] = {}
    eff = given_or_default(assumptions, "serving_efficiency", serving_efficiency,
                           lambda v: check_number("serving_efficiency", v, 0.0, 1.0, low_open=True),
                           lambda: default_serving_efficiency(hardware_id, active),
                           lambda v: f"default {v:.3f} = calibrated training MFU: {mfu_basis(hardware_id)}")
    price = given_or_default(assumptions, "price_usd_per_gpu_hour", price_usd_per_gpu_hour,
                             lambda v: check_number("price_usd_per_gpu_hour", v, 0.0, MAX_PRICE_USD_PER_GPU_HOUR),
                             lambda: default_price_usd_per_gpu_hour(hardware_id),
                             lambda _: f"defaults.csv gpu_price_usd_per_hour.{hardware_id}")
    pue_value, grid = pue_and_grid(pue, grid_gco2_per_kwh, assumptions)

    n_layer, d_model = formulas.approx_shape_for_params(active)
    weights = formulas.weights_bytes(total, bpp)
    kv_per_seq = formulas.kv_cache_bytes(n_layer, n_ctx, d_model, kv_bpe) / gqa
    flops_per_token = formulas.forward_flops_per_token(active, n_layer, n_ctx, d_model)
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
