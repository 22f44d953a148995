"""``python -m ecosystem serve``: price serving a model: GPUs needed, USD per 1M tokens, latency, energy.

``--model ID`` serves a catalogued architecture (``models.csv``: GQA/MLA, MoE, exact shapes) with precision, request
lengths, tensor parallelism and latency limits; ``--params P`` sizes a fleet from a parameter count as before.
"""

from __future__ import annotations

import argparse

from ecosystem import planner, reference
from ecosystem.planner.cli import BadInput, add_common_arguments, flag, flag_values, integer, number, print_table, run
from ecosystem.planner.serving.roofline import PRECISIONS

SERVE_KEYS = [
    "hardware_id", "params", "active_params", "tokens_per_day", "context_tokens", "utilization", "gpus_needed",
    "gpus_per_replica", "replicas", "batch", "bound", "throughput_tokens_per_s_per_gpu", "average_utilization",
    "memory_per_gpu_gb", "usd_per_million_tokens", "fleet_usd_per_day", "energy_kwh_per_day", "co2_kg_per_day",
]
MODEL_KEYS = [
    "model_id", "hardware_id", "precision", "kv_precision", "input_tokens", "output_tokens", "gpus_per_replica",
    "batch", "batch_limit", "bound", "throughput_tokens_per_s_per_gpu", "ttft_s", "tpot_s", "tokens_per_day",
    "gpus_needed", "replicas", "utilization", "usd_per_million_output_tokens", "usd_per_million_input_tokens",
    "usd_per_million_tokens_blended", "weights_gb", "kv_bytes_per_token", "memory_per_gpu_gb", "energy_kwh_per_day",
    "co2_kg_per_day",
]
PARAMS_ONLY = ("params", "active_params", "context", "serving_efficiency_params", "bytes_per_param",
               "query_heads_per_kv_head")
MODEL_ONLY = ("precision", "kv_precision", "gpus_per_replica", "input_tokens", "output_tokens", "max_tpot_ms",
              "max_ttft_ms")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--model", metavar="ID", help=f"a catalogued model: {', '.join(reference.model_ids())}")
    parser.add_argument("--params", metavar="P", help="parameters, e.g. 70B (instead of --model)")
    parser.add_argument("--active-params", metavar="A", help="with --params: active parameters per token (MoE)")
    parser.add_argument("--tokens-per-day", metavar="T", help="generated tokens per day, e.g. 1e9")
    parser.add_argument("--utilization", default="0.6", metavar="U", help="target average utilisation (0.6)")
    parser.add_argument("--serving-efficiency", metavar="E",
                        help="fraction of peak reached (default: --model the family's fitted factor; --params the "
                             "calibrated training MFU)")
    parser.add_argument("--batch", metavar="N", help="sequences per replica (default: as many as fit)")
    parser.add_argument("--precision", metavar="P", help=f"with --model: weights {'|'.join(PRECISIONS)} (fp8)")
    parser.add_argument("--kv-precision", metavar="P", help="with --model: KV cache precision (weights', >= fp8)")
    parser.add_argument("--gpus-per-replica", metavar="G", help="with --model: tensor-parallel GPUs (default: best)")
    parser.add_argument("--input-tokens", metavar="I", help="with --model: input tokens per request (ShareGPT 202)")
    parser.add_argument("--output-tokens", metavar="O", help="with --model: output tokens per request (ShareGPT 179)")
    parser.add_argument("--max-tpot-ms", metavar="X", help="with --model: time-per-output-token limit (ms)")
    parser.add_argument("--max-ttft-ms", metavar="X", help="with --model: time-to-first-token limit (ms)")
    parser.add_argument("--context", default=None, metavar="C", help="with --params: context tokens (4096)")
    parser.add_argument("--bytes-per-param", default=None, metavar="B", help="with --params: 2 bf16, 1 int8 (2)")
    parser.add_argument("--query-heads-per-kv-head", default=None, metavar="G",
                        help="with --params: grouped-query attention (1)")


def _reject(args: argparse.Namespace, names: tuple[str, ...], mode: str) -> None:
    for name in names:
        if getattr(args, name, None) is not None:
            raise BadInput(f"{flag(name)}: not used with {mode}")


def _build_model(args: argparse.Namespace) -> dict:
    _reject(args, ("params", "active_params", "context", "bytes_per_param", "query_heads_per_kv_head"), "--model")
    flags = flag_values(args, [("gpus_per_replica", integer), ("input_tokens", integer), ("output_tokens", integer),
                               ("tokens_per_day", number), ("max_tpot_ms", number), ("max_ttft_ms", number),
                               ("batch", integer), ("utilization", number), ("serving_efficiency", number),
                               ("price_usd_per_gpu_hour", number), ("pue", number), ("grid_gco2_per_kwh", number)])
    plan = planner.serve_model_plan(args.model, args.hardware, precision=args.precision or "fp8",
                                    kv_precision=args.kv_precision, **flags)
    out = plan.to_dict()
    return {k: v for k, v in out.items() if v is not None}


def _build_params(args: argparse.Namespace) -> dict:
    _reject(args, MODEL_ONLY, "--params (use --model ID)")
    if args.tokens_per_day is None:
        raise BadInput("--tokens-per-day: required with --params")
    params, tokens_per_day = number(args, "params"), number(args, "tokens_per_day")
    args.context = args.context or "4096"
    args.bytes_per_param = args.bytes_per_param or "2"
    args.query_heads_per_kv_head = args.query_heads_per_kv_head or "1"
    flags = flag_values(args, [("active_params", number), ("context", integer), ("utilization", number),
                               ("serving_efficiency", number), ("price_usd_per_gpu_hour", number), ("pue", number),
                               ("grid_gco2_per_kwh", number), ("bytes_per_param", number), ("batch", integer),
                               ("query_heads_per_kv_head", integer)])
    flags["context_tokens"] = flags.pop("context")
    plan = planner.serve_plan(params, tokens_per_day, args.hardware, **flags)
    return plan.to_dict()


def build(args: argparse.Namespace) -> dict:
    if (args.model is None) == (args.params is None):
        raise BadInput(f"--model: give exactly one of --model ID or --params P; allowed ids: "
                       f"{', '.join(reference.model_ids())}")
    return _build_model(args) if args.model is not None else _build_params(args)


def show(result: dict) -> None:
    print_table(result, MODEL_KEYS if "model_id" in result else SERVE_KEYS)


def main(args: argparse.Namespace) -> int:
    return run("serve", args, build, show)
