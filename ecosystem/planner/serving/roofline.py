"""The serving roofline of one model replica on ``g`` GPUs with tensor parallelism, for every batch at once (numpy).

A request has ``input_tokens`` (prefill) and ``output_tokens`` (decode). Per replica and decode step of ``batch``
sequences (ops run one after another; within an op, math and memory traffic are not assumed to overlap, a
conservative roofline: the time is the sum of the two):

* weight matmuls: batch x 2 N_active / peak + weights read / bandwidth; an MoE step reads every dense weight and
  each routed expert some token picked (``Architecture.weights_read_params``);
* attention: batch x attention FLOPs / peak + batch x context x KV bytes per token / bandwidth at the mean decode
  context ``input + output / 2``;
* tensor parallelism: 2 all-reduces per layer (after attention and after the MLP) of batch x d_model activations,
  ring cost 2 (g-1)/g x bytes / one-way link bandwidth + a fixed latency (``tp_allreduce_latency_s``);
* continuous batching: every step ``batch / output_tokens`` sequences finish and as many new ones are prefilled
  (compute-bound: input x (2 N_active + attention) FLOPs, the weights being streamed by the step anyway), so
  TPOT = step + batch / output x prefill time, replica output tokens/s = batch / TPOT; TTFT = one step + the
  request's prefill on its own (bound by its FLOPs or by one read of the weights).

Peaks and bandwidth are the datasheet's (``hardware.csv``, dense, at the weights' precision) times ``efficiency``:
one factor per accelerator family, fitted on measured rows (``serving.fit``). Memory holds the weights and, with a
paged KV cache, ``batch x (input + output / 2)`` tokens of KV cache; the largest batch is what fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosystem import reference
from ecosystem.checks import check_choice
from ecosystem.formulas import Architecture

PRECISIONS = ("bf16", "fp8", "fp4")
BYTES_PER_ELEMENT = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}
ACTIVATION_BYTES = 2.0  # the all-reduced activations stay bf16


def peak_flops_per_s(hw: reference.Hardware, precision: str) -> tuple[float, str]:
    """Dense peak for math at ``precision``; where the hardware has no such tensor cores, the next wider precision
    it has (weights are then up-cast): returns (peak, the precision the math runs in)."""
    check_choice("precision", precision, PRECISIONS)
    if precision == "fp4" and hw.peak_fp4_flops_per_s:
        return hw.peak_fp4_flops_per_s, "fp4"
    if precision in ("fp4", "fp8") and hw.peak_fp8_flops_per_s:
        return hw.peak_fp8_flops_per_s, "fp8"
    return hw.peak_bf16_flops_per_s, "bf16"


def default_kv_precision(precision: str) -> str:
    """The KV cache in the weights' precision, but not below fp8 (fp4 KV caches are not in the measured rows)."""
    return "fp8" if precision == "fp4" else precision


@dataclass(frozen=True)
class ReplicaCurve:
    """Per-replica figures for ``batch`` = 1 .. len (index b - 1). Seconds and tokens/s of the whole replica."""

    gpus: int
    batch: np.ndarray
    step_s: np.ndarray
    tpot_s: np.ndarray
    ttft_s: np.ndarray
    tokens_per_s: np.ndarray
    prefill_s: float
    compute_s: np.ndarray
    memory_s: np.ndarray
    interconnect_s: np.ndarray
    max_fit_batch: int
    weights_bytes: float
    kv_bytes_per_sequence: float
    usable_bytes: float


def _allreduce_s(tokens: np.ndarray | float, arch: Architecture, hw: reference.Hardware, gpus: int) -> np.ndarray:
    if gpus == 1:
        return np.zeros_like(np.asarray(tokens, dtype=float))
    if not hw.interconnect_bytes_per_s:
        raise ValueError(f"gpus_per_replica: {hw.id} has no interconnect bandwidth in hardware.csv; allowed: 1")
    one_way = hw.interconnect_bytes_per_s / 2.0
    message = np.asarray(tokens, dtype=float) * arch.d_model * ACTIVATION_BYTES
    per_allreduce = 2.0 * (gpus - 1) / gpus * message / one_way + reference.default("tp_allreduce_latency_s")
    return 2.0 * arch.n_layer * per_allreduce


def replica_curve(arch: Architecture, hw: reference.Hardware, precision: str, kv_precision: str, gpus: int,
                  input_tokens: float, output_tokens: float, efficiency: float, max_batch: int) -> ReplicaCurve:
    """The roofline of one replica for every batch 1 .. ``max_batch`` (the module docstring gives the model)."""
    peak_one, _ = peak_flops_per_s(hw, precision)
    peak = gpus * peak_one * efficiency
    bandwidth = gpus * hw.memory_bw_bytes_per_s * efficiency
    w_bytes, kv_elem = BYTES_PER_ELEMENT[precision], BYTES_PER_ELEMENT[check_choice("kv_precision", kv_precision,
                                                                                     PRECISIONS)]
    kv_token = arch.kv_bytes_per_token(kv_elem)
    context = input_tokens + output_tokens / 2.0
    b = np.arange(1, max_batch + 1, dtype=float)
    routed = arch.routed_expert_params()
    touched = 1.0 - (1.0 - arch.n_experts_active / arch.n_experts) ** b if routed else np.ones_like(b)
    weights_read = (arch.total_params - routed + routed * touched) * w_bytes
    matmul_s = b * arch.matmul_flops_per_token() / peak
    attention_flop_s = b * arch.attention_flops_per_token(context) / peak
    weights_s = weights_read / bandwidth
    kv_s = b * context * kv_token / bandwidth
    comm_s = _allreduce_s(b, arch, hw, gpus)
    step_s = matmul_s + weights_s + attention_flop_s + kv_s + comm_s  # no overlap of math and memory traffic
    prefill_flops = input_tokens * (arch.matmul_flops_per_token() + arch.attention_flops_per_token(input_tokens / 2))
    prefill_comm_s = float(_allreduce_s(input_tokens, arch, hw, gpus))
    prefill_s = prefill_flops / peak + prefill_comm_s  # in a running batch the step streams the weights already
    alone_prefill_s = max(prefill_flops / peak, arch.weights_read_params(input_tokens) * w_bytes / bandwidth)
    tpot_s = step_s + b / output_tokens * prefill_s
    usable = gpus * hw.memory_bytes * reference.default("serving_usable_memory_fraction")
    weights = arch.total_params * w_bytes
    kv_seq = kv_token * context
    fit = int((usable - weights) // kv_seq) if usable > weights else 0
    return ReplicaCurve(
        gpus=gpus, batch=b, step_s=step_s, tpot_s=tpot_s, ttft_s=alone_prefill_s + prefill_comm_s + step_s,
        tokens_per_s=b / tpot_s,
        prefill_s=prefill_s, compute_s=matmul_s + attention_flop_s + b / output_tokens * prefill_s,
        memory_s=weights_s + kv_s, interconnect_s=comm_s, max_fit_batch=fit, weights_bytes=weights,
        kv_bytes_per_sequence=kv_seq, usable_bytes=usable)


def pick_batch(curve: ReplicaCurve, max_tpot_s: float | None, max_ttft_s: float | None,
               fixed_batch: int | None = None) -> tuple[int, str] | None:
    """The batch a replica runs and what stops it growing: the given ``fixed_batch`` if it fits; else with latency
    limits the largest fitting batch that meets them; else the fitting batch of the most tokens/s. None if none."""
    top = min(curve.max_fit_batch, len(curve.batch))
    if top < 1:
        return None
    if fixed_batch is not None:
        return (fixed_batch, "given") if fixed_batch <= top else None
    ok = np.ones(top, dtype=bool)
    if max_tpot_s is not None:
        ok &= curve.tpot_s[:top] <= max_tpot_s
    if max_ttft_s is not None:
        ok &= curve.ttft_s[:top] <= max_ttft_s
    if not ok.any():
        return None
    if max_tpot_s is not None or max_ttft_s is not None:
        b = int(np.nonzero(ok)[0][-1]) + 1
        limit = "latency limit" if b < top else ("memory capacity" if top == curve.max_fit_batch else "max batch")
        return b, limit
    b = int(np.argmax(curve.tokens_per_s[:top])) + 1
    return b, ("memory capacity" if b == curve.max_fit_batch else "max batch" if b == top else "throughput peak")


def bound_at(curve: ReplicaCurve, batch: int) -> str:
    """What takes the most time in a step at this batch: compute, memory bandwidth or the interconnect."""
    i = batch - 1
    parts = {"compute": curve.compute_s[i], "memory bandwidth": curve.memory_s[i],
             "interconnect": curve.interconnect_s[i]}
    return max(parts, key=parts.get)


def best_replica(arch: Architecture, hw: reference.Hardware, precision: str, kv_precision: str, input_tokens: int,
                 output_tokens: int, efficiency: float, max_batch: int, gpus_per_replica: int | None,
                 gpus_per_node: int, max_tpot_s: float | None, max_ttft_s: float | None,
                 fixed_batch: int | None = None) -> tuple[ReplicaCurve, int, str, str]:
    """The replica size (the given one, or 1, 2, 4 ... up to the node) and batch of the most output tokens/s per GPU
    under the limits: (curve, batch, what limits the batch, what binds the step). ValueError naming the field when
    nothing fits in memory or meets the latency limits."""
    sizes = [gpus_per_replica] if gpus_per_replica is not None else \
        [g for g in (1, 2, 4, 8, 16, 32, 64) if g <= gpus_per_node]
    best = None
    fitting = []
    for g in sizes:
        curve = replica_curve(arch, hw, precision, kv_precision, g, input_tokens, output_tokens, efficiency,
                              max_batch)
        if curve.max_fit_batch >= (fixed_batch or 1):
            fitting.append(curve)
        choice = pick_batch(curve, max_tpot_s, max_ttft_s, fixed_batch)
        if choice is None:
            continue
        b, limit = choice
        per_gpu = curve.tokens_per_s[b - 1] / g
        if best is None or per_gpu > best[0]:
            best = (per_gpu, curve, b, limit)
    if best is not None:
        _, curve, b, limit = best
        return curve, b, limit, bound_at(curve, b)
    if not fitting:
        last = curve
        field = "gpus_per_replica" if gpus_per_replica is not None else "model"
        need = f" and a batch of {fixed_batch}" if fixed_batch else ""
        raise ValueError(
            f"{field}: {arch.id} needs {last.weights_bytes / 1e9:.1f} GB of {precision} weights plus "
            f"{last.kv_bytes_per_sequence / 1e9:.3f} GB of {kv_precision} KV cache per sequence{need}; {last.gpus} x "
            f"{hw.id} hold {last.usable_bytes / 1e9:.1f} GB usable; allowed: up to {gpus_per_node} GPUs per replica "
            "(one node), a smaller precision, shorter requests or hardware with more memory")
    fastest = min(fitting, key=lambda c: c.tpot_s[0])
    field, limit_s, achieved = ("max_tpot_ms", max_tpot_s, fastest.tpot_s[0]) if max_tpot_s is not None and \
        fastest.tpot_s[0] > max_tpot_s else ("max_ttft_ms", max_ttft_s, min(c.ttft_s[0] for c in fitting))
    raise ValueError(f"{field}: no batch of {arch.id} on {hw.id} meets {limit_s * 1e3:g} ms; the fastest is "
                     f"{achieved * 1e3:.1f} ms (batch 1); allowed: a limit above it, a faster precision or hardware")
