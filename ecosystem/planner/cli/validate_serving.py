"""``python -m ecosystem validate-serving``: the serving planner against measured inference throughput (MLPerf
Inference v4.0/v4.1, engine benchmarks with stated lengths), one efficiency factor per accelerator family fitted
leave-one-out, and the planner's cost per 1M tokens beside serverless list prices (a sanity band, not a fit)."""

from __future__ import annotations

import argparse

from ecosystem import planner
from ecosystem.planner.cli import add_common_arguments, run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, hardware=False)


def build(args: argparse.Namespace) -> dict:
    return planner.serving_validation_report()


def show(report: dict) -> None:
    print(f"{'model':14s} {'hardware':9s} {'setting':42s} {'G':>2s} {'batch':>5s} {'measured':>8s} {'predicted':>9s} "
          f"{'ratio':>6s} {'held-out':>8s}")
    for r in report["rows"]:
        print(f"{r['model_id']:14s} {r['hardware_id']:9s} {r['setting'][:42]:42s} {r['gpus_per_replica']:2d} "
              f"{r['batch']:5d} {r['measured_tokens_per_s_per_gpu']:8.0f} {r['predicted_tokens_per_s_per_gpu']:9.0f} "
              f"{r['ratio']:6.3f} {r['held_out_ratio']:8.3f}")
    print("output tokens/s per GPU; ratio = predicted / measured")
    factors = ", ".join(f"{k} {v:.3f}" for k, v in report["efficiency_by_family"].items())
    print(f"efficiency factor per family (fraction of datasheet peak and bandwidth): {factors}")
    print(f"median |log10 error|: in-sample {report['median_abs_log10_error']:.3f} (worst {report['max_ratio']:.2f}x), "
          f"held out {report['held_out_median_abs_log10_error']:.3f} (worst {report['held_out_max_ratio']:.2f}x)")
    print("rows not used:")
    for r in report["excluded"]:
        print(f"  {r['model']} on {r['hardware']} ({r['setting'][:40]}): {r['reason']}")
    print("sanity band (not a fit): planner USD per 1M output / input tokens at fp8, defaults, beside list prices")
    for model_id, band in report["price_band"].items():
        p = band["planner"]
        mine = "does not fit one node" if p is None else (
            f"{p['usd_per_million_output_tokens']:.3f} / {p['usd_per_million_input_tokens']:.3f} on "
            f"{p['hardware_id']} x{p['gpus_per_replica']}")
        prices = ", ".join(f"{x['provider']} {x['usd_per_million_output_tokens']:g}" for x in band["list_prices"])
        print(f"  {model_id:14s} planner {mine}; list (output): {prices}")


def main(args: argparse.Namespace) -> int:
    return run("validate-serving", args, build, show)
