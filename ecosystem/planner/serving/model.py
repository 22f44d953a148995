"""Serving a real architecture (``models.csv``, or a GQA shape for a parameter count): the replica size, batch,
latency, throughput per GPU, GPUs for a daily volume and USD per 1M output and input tokens.

``serve_model_plan`` is the planner's answer (``python -m ecosystem serve --model``); ``serving_cost_usd_per_mtok``
is the same computation as a small cached call for the simulation (no torch, no pandas).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from ecosystem import reference
from ecosystem.checks import check_choice, check_int, check_number
from ecosystem.formulas import Architecture, gqa_architecture_for_params
from ecosystem.planner.hardware import catalogued_hardware, energy_kwh_per_gpu_hour
from ecosystem.planner.inputs import (HOURS_PER_DAY, MAX_CONTEXT_TOKENS, MAX_PARAMS, MAX_PRICE_USD_PER_GPU_HOUR,
                                      MAX_TOKENS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR, PlanRecord,
                                      given_or_default)
from ecosystem.planner.pricing import default_price_usd_per_gpu_hour, pue_and_grid
from ecosystem.planner.serving.fit import family_efficiency
from ecosystem.planner.serving.roofline import (BYTES_PER_ELEMENT, PRECISIONS, best_replica, default_kv_precision,
                                                peak_flops_per_s)


@dataclass(frozen=True)
class ModelServePlan(PlanRecord):
    """A fleet of ``replicas`` copies of ``model_id`` on ``gpus_per_replica`` GPUs each, decoding ``batch``
    sequences at once. Throughput counts output tokens; costs are at the target average ``utilization``."""

    model_id: str
    hardware_id: str
    precision: str
    kv_precision: str
    compute_precision: str
    input_tokens: int
    output_tokens: int
    gpus_per_replica: int
    batch: int
    batch_limit: str
    bound: str
    throughput_tokens_per_s_per_gpu: float
    ttft_s: float
    tpot_s: float
    utilization: float
    usd_per_million_output_tokens: float
    usd_per_million_input_tokens: float
    usd_per_million_tokens_blended: float
    price_usd_per_gpu_hour: float
    serving_efficiency: float
    weights_gb: float
    kv_bytes_per_token: float
    kv_cache_gb_per_sequence: float
    memory_per_gpu_gb: float
    tokens_per_day: float | None = None
    gpus_needed: int | None = None
    replicas: int | None = None
    energy_kwh_per_day: float | None = None
    co2_kg_per_day: float | None = None
    assumptions: dict[str, str] = field(default_factory=dict)


def _architecture(model: str | Architecture) -> Architecture:
    return model if isinstance(model, Architecture) else reference.model_architecture(model)


def _lengths(input_tokens: int | None, output_tokens: int | None) -> tuple[int, int]:
    i = int(reference.default("serving_input_tokens")) if input_tokens is None else input_tokens
    o = int(reference.default("serving_output_tokens")) if output_tokens is None else output_tokens
    return check_int("input_tokens", i, 1, MAX_CONTEXT_TOKENS), check_int("output_tokens", o, 1, MAX_CONTEXT_TOKENS)


def serve_model_plan(
    model: str | Architecture,
    hardware_id: str,
    *,
    precision: str = "fp8",
    kv_precision: str | None = None,
    gpus_per_replica: int | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    tokens_per_day: float | None = None,
    max_tpot_ms: float | None = None,
    max_ttft_ms: float | None = None,
    batch: int | None = None,
    utilization: float = 0.6,
    serving_efficiency: float | None = None,
    price_usd_per_gpu_hour: float | None = None,
    pue: float | None = None,
    grid_gco2_per_kwh: float | None = None,
) -> ModelServePlan:
    """Plan serving ``model`` (a ``models.csv`` id or an ``Architecture``) on ``hardware_id``.

    The roofline of ``serving.roofline`` gives each replica size (1, 2, 4 ... GPUs up to the node, or the given
    ``gpus_per_replica``) and batch its TPOT, TTFT and output tokens/s. With ``max_tpot_ms`` / ``max_ttft_ms`` the
    largest batch meeting them is run; without, the batch of the most tokens/s (an MLPerf-Offline-like setting). The
    replica size of the most tokens/s per GPU is kept. ``tokens_per_day`` (output tokens) sizes the fleet: replicas =
    ceil(demand / 86400 / utilization / replica tokens/s). Cost per 1M output tokens = price x GPU-seconds of decode
    per output token / utilization; per 1M input tokens the same for the prefill; blended over the request's tokens.
    """
    arch = _architecture(model)
    hw = catalogued_hardware(hardware_id, "measured memory bandwidth for a serving plan")
    check_choice("precision", precision, PRECISIONS)
    kv = default_kv_precision(precision) if kv_precision is None else check_choice("kv_precision", kv_precision,
                                                                                    PRECISIONS)
    n_in, n_out = _lengths(input_tokens, output_tokens)
    util = check_number("utilization", utilization, 0.0, 1.0, low_open=True)
    tpot_limit = None if max_tpot_ms is None else check_number("max_tpot_ms", max_tpot_ms, 0.0, 1e7, low_open=True)
    ttft_limit = None if max_ttft_ms is None else check_number("max_ttft_ms", max_ttft_ms, 0.0, 1e8, low_open=True)
    max_batch = int(reference.default("serving_continuous_max_batch"))
    fixed = None if batch is None else check_int("batch", batch, 1, max_batch)
    per_node = hw.gpus_per_node or 1
    if gpus_per_replica is not None:
        check_int("gpus_per_replica", gpus_per_replica, 1, per_node)
    assumptions: dict[str, str] = {}
    eff = given_or_default(assumptions, "serving_efficiency", serving_efficiency,
                           lambda v: check_number("serving_efficiency", v, 0.0, 1.0, low_open=True),
                           lambda: family_efficiency(hw.family),
                           lambda v: f"default {v:.3f}: the one factor of the {hw.family} family, fitted on the "
                                     "measured rows of serving_benchmarks.csv (python -m ecosystem validate-serving)")
    price = given_or_default(assumptions, "price_usd_per_gpu_hour", price_usd_per_gpu_hour,
                             lambda v: check_number("price_usd_per_gpu_hour", v, 0.0, MAX_PRICE_USD_PER_GPU_HOUR),
                             lambda: default_price_usd_per_gpu_hour(hardware_id),
                             lambda _: f"defaults.csv gpu_price_usd_per_hour.{hardware_id}")
    best = best_replica(arch, hw, precision, kv, n_in, n_out, eff, max_batch, gpus_per_replica, per_node,
                        None if tpot_limit is None else tpot_limit / 1e3,
                        None if ttft_limit is None else ttft_limit / 1e3, fixed)
    curve, b, limit, bound = best
    i = b - 1
    g = curve.gpus
    tps_gpu = float(curve.tokens_per_s[i]) / g
    gpu_s_per_output = g * float(curve.step_s[i]) / b
    gpu_s_per_input = g * curve.prefill_s / n_in
    usd_per_gpu_s = price / SECONDS_PER_HOUR / util
    out_cost = usd_per_gpu_s * gpu_s_per_output * 1e6
    in_cost = usd_per_gpu_s * gpu_s_per_input * 1e6
    _, compute_precision = peak_flops_per_s(hw, precision)
    assumptions["lengths"] = (f"{n_in} input and {n_out} output tokens per request"
                              + (" (defaults.csv serving_input_tokens / serving_output_tokens: the ShareGPT workload)"
                                 if input_tokens is None or output_tokens is None else ""))
    assumptions["precision"] = (f"weights {precision}, KV cache {kv}, math at the {compute_precision} dense peak"
                                + ("" if compute_precision == precision else
                                   f" ({hardware_id} has no {precision} tensor cores in hardware.csv)"))
    assumptions["memory"] = (f"{reference.default('serving_usable_memory_fraction'):g} of {hw.memory_gb:g} GB usable "
                             "per GPU; paged KV cache: each running sequence holds input + output/2 tokens on average")
    assumptions["batching"] = (f"continuous batching, batch {b} ({limit}); every step batch/output sequences are "
                               "prefilled (compute-bound); TTFT = one prefill + one decode step, no queueing")
    assumptions["parallelism"] = (f"tensor parallelism over {g} GPU(s) of a {per_node}-GPU node: 2 all-reduces per "
                                  f"layer at half the {((hw.interconnect_bytes_per_s or 0) / 1e9):g} GB/s aggregate "
                                  "link (one way) + tp_allreduce_latency_s" if g > 1 else "one GPU per replica")
    gpus_needed = replicas = energy = co2 = None
    demand = None
    if tokens_per_day is not None:
        demand = check_number("tokens_per_day", tokens_per_day, 0.0, MAX_TOKENS_PER_DAY, low_open=True)
        replicas = max(1, math.ceil(demand / SECONDS_PER_DAY / util / float(curve.tokens_per_s[i])))
        gpus_needed = replicas * g
        pue_value, grid = pue_and_grid(pue, grid_gco2_per_kwh, assumptions)
        energy = gpus_needed * HOURS_PER_DAY * energy_kwh_per_gpu_hour(hardware_id, pue_value)
        co2 = energy * grid / 1000.0
    return ModelServePlan(
        model_id=arch.id, hardware_id=hardware_id, precision=precision, kv_precision=kv,
        compute_precision=compute_precision, input_tokens=n_in, output_tokens=n_out, gpus_per_replica=g, batch=b,
        batch_limit=limit, bound=bound, throughput_tokens_per_s_per_gpu=tps_gpu, ttft_s=float(curve.ttft_s[i]),
        tpot_s=float(curve.tpot_s[i]), utilization=util, usd_per_million_output_tokens=out_cost,
        usd_per_million_input_tokens=in_cost,
        usd_per_million_tokens_blended=(out_cost * n_out + in_cost * n_in) / (n_in + n_out),
        price_usd_per_gpu_hour=price, serving_efficiency=eff, weights_gb=curve.weights_bytes / 1e9,
        kv_bytes_per_token=arch.kv_bytes_per_token(BYTES_PER_ELEMENT[kv]),
        kv_cache_gb_per_sequence=curve.kv_bytes_per_sequence / 1e9,
        memory_per_gpu_gb=(curve.weights_bytes + b * curve.kv_bytes_per_sequence) / g / 1e9,
        tokens_per_day=demand, gpus_needed=gpus_needed, replicas=replicas, energy_kwh_per_day=energy,
        co2_kg_per_day=co2, assumptions=assumptions)


# ---- the simulation's call ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingCost:
    """What serving one architecture costs: USD per 1M output / input tokens (and blended over a request) at the
    given GPU price and utilisation, and the output tokens/s per GPU behind it."""

    usd_per_million_output_tokens: float
    usd_per_million_input_tokens: float
    usd_per_million_tokens_blended: float
    throughput_tokens_per_s_per_gpu: float
    gpus_per_replica: int
    batch: int


@lru_cache(maxsize=4096)
def _performance(arch: Architecture, hardware_id: str, precision: str, input_tokens: int, output_tokens: int,
                 efficiency: float | None) -> tuple[float, float, float, int, int]:
    """(GPU-s per output token, GPU-s per input token, output tokens/s per GPU, GPUs per replica, batch)."""
    plan = serve_model_plan(arch, hardware_id, precision=precision, input_tokens=input_tokens,
                            output_tokens=output_tokens, serving_efficiency=efficiency, price_usd_per_gpu_hour=1.0,
                            utilization=1.0)
    per_s = SECONDS_PER_HOUR / 1e6  # USD per 1M tokens at 1 USD/GPU-h and full use -> GPU-seconds per token
    return (plan.usd_per_million_output_tokens * per_s, plan.usd_per_million_input_tokens * per_s,
            plan.throughput_tokens_per_s_per_gpu, plan.gpus_per_replica, plan.batch)


def serving_cost_usd_per_mtok(
    architecture: Architecture | str | float,
    hardware_id: str,
    precision: str = "fp8",
    *,
    price_usd_per_gpu_hour: float,
    utilization: float,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    serving_efficiency: float | None = None,
) -> ServingCost:
    """USD per 1M tokens and output tokens/s per GPU of serving ``architecture`` on ``hardware_id``.

    ``architecture`` is an ``Architecture``, a ``models.csv`` id, or a parameter count (a model trained in the
    simulation): a dense GQA shape (``formulas.gqa_architecture_for_params``) of that size rounded to 3 significant
    figures, so that nearby sizes share the cache. The roofline part is cached per (architecture, hardware, precision,
    lengths, efficiency); price and utilisation scale the result linearly. Errors as ``serve_model_plan``.
    """
    if isinstance(architecture, (int, float)):
        n = check_number("architecture", float(architecture), 0.0, MAX_PARAMS, low_open=True)
        architecture = gqa_architecture_for_params(float(f"{n:.3g}"))
    arch = _architecture(architecture)
    price = check_number("price_usd_per_gpu_hour", price_usd_per_gpu_hour, 0.0, MAX_PRICE_USD_PER_GPU_HOUR)
    util = check_number("utilization", utilization, 0.0, 1.0, low_open=True)
    n_in, n_out = _lengths(input_tokens, output_tokens)
    out_s, in_s, tps, g, b = _performance(arch, hardware_id, precision, n_in, n_out, serving_efficiency)
    usd_per_gpu_s = price / SECONDS_PER_HOUR / util
    out_cost, in_cost = usd_per_gpu_s * out_s * 1e6, usd_per_gpu_s * in_s * 1e6
    return ServingCost(out_cost, in_cost, (out_cost * n_out + in_cost * n_in) / (n_in + n_out), tps, g, b)
