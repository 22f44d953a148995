"""``python -m ecosystem serve``: price serving a model: GPUs needed, USD per 1M tokens, energy."""

from __future__ import annotations

import argparse

from ecosystem import planner
from ecosystem.planner.cli import add_common_arguments, flag_values, integer, number, print_table, run

SERVE_KEYS = [
    "hardware_id", "params", "active_params", "tokens_per_day", "context_tokens", "utilization", "gpus_needed",
    "gpus_per_replica", "replicas", "batch", "bound", "throughput_tokens_per_s_per_gpu", "average_utilization",
    "memory_per_gpu_gb", "usd_per_million_tokens", "fleet_usd_per_day", "energy_kwh_per_day", "co2_kg_per_day",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--params", required=True, metavar="P", help="parameters, e.g. 70B")
    parser.add_argument("--active-params", metavar="A", help="active parameters per token (mixture-of-experts)")
    parser.add_argument("--tokens-per-day", required=True, metavar="T", help="generated tokens per day, e.g. 1e9")
    parser.add_argument("--context", default="4096", metavar="C", help="context tokens per sequence (4096)")
    parser.add_argument("--utilization", default="0.6", metavar="U", help="target average utilisation (0.6)")
    parser.add_argument("--serving-efficiency", metavar="E", help="fraction of peak when compute-bound")
    parser.add_argument("--bytes-per-param", default="2", metavar="B", help="2 bf16, 1 int8 (2)")
    parser.add_argument("--batch", metavar="N", help="sequences per replica (default: as many as fit)")
    parser.add_argument("--query-heads-per-kv-head", default="1", metavar="G", help="grouped-query attention (1)")


def build(args: argparse.Namespace) -> dict:
    params, tokens_per_day = number(args, "params"), number(args, "tokens_per_day")
    flags = flag_values(args, [("active_params", number), ("context", integer), ("utilization", number),
                               ("serving_efficiency", number), ("price_usd_per_gpu_hour", number), ("pue", number),
                               ("grid_gco2_per_kwh", number), ("bytes_per_param", number), ("batch", integer),
                               ("query_heads_per_kv_head", integer)])
    flags["context_tokens"] = flags.pop("context")
    plan = planner.serve_plan(params, tokens_per_day, args.hardware, **flags)
    return plan.to_dict()


def show(result: dict) -> None:
    print_table(result, SERVE_KEYS)


def main(args: argparse.Namespace) -> int:
    return run("serve", args, build, show)
