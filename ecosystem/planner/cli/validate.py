"""``python -m ecosystem validate``: compare the planner with every published training run (FLOPs and GPU-hours,
in-sample and held out)."""

from __future__ import annotations

import argparse
import re

from ecosystem import planner
from ecosystem.planner.cli import add_common_arguments, run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, hardware=False)


def build(args: argparse.Namespace) -> dict:
    return planner.validation_report()


def show(report: dict) -> None:
    header = (
        f"{'model':15s} {'hardware':10s} {'FLOPs pred':>10s} {'reported':>9s} {'ratio':>6s}  "
        f"{'GPU-h pred':>10s} {'reported':>9s} {'ratio':>6s} {'held-out':>8s}  {'MFU':>5s} {'implied':>7s}"
    )
    print(header)

    def num(value, spec):
        width = int(re.match(r"\d*", spec).group(0) or 1)
        return format(value, spec) if value is not None else "-".rjust(width)

    for r in report["rows"]:
        print(
            f"{r['model']:15s} {r['hardware_id'] or '-':10s} {num(r['predicted_train_flops'], '10.3e')} "
            f"{num(r['reported_train_flops'], '9.2e')} {num(r['flops_ratio'], '6.3f')}  "
            f"{num(r['predicted_gpu_hours'], '10.3e')} {num(r['reported_gpu_hours'], '9.2e')} "
            f"{num(r['gpu_hours_ratio'], '6.3f')} {num(r['held_out_gpu_hours_ratio'], '8.3f')}  "
            f"{num(r['default_mfu'], '5.3f')} {num(r['implied_mfu'], '7.3f')}"
        )
    print(
        f"FLOPs: {report['flops_rows_within_10_percent']}/{report['flops_rows']} rows within 10%, median |log10 error| "
        f"{report['flops_median_abs_log10_error']:.3f}"
    )
    print(
        f"GPU-hours ({report['gpu_hours_rows']} runs, MFU method {report['method']!r}): median |log10 error| "
        f"in-sample {report['gpu_hours_median_abs_log10_error']:.3f} (worst {report['gpu_hours_max_ratio']:.2f}x), "
        f"held out {report['held_out_gpu_hours_median_abs_log10_error']:.3f} "
        f"(worst {report['held_out_gpu_hours_max_ratio']:.2f}x)"
    )
    for r in report["rows"]:
        if r["reported_mfu_gpu_hours_ratio"] is not None:
            print(
                f"{r['model']}: with its reported MFU {r['reported_mfu']:g} the planner gives "
                f"{r['reported_mfu_gpu_hours_ratio']:.3f} x the reported GPU-hours"
            )
    for r in report["rows"]:
        if r["flops_accounting"] != "model FLOPs (6ND + attention)":
            print(f"note {r['model']}: reported FLOPs are {r['flops_accounting']}")


def main(args: argparse.Namespace) -> int:
    return run("validate", args, build, show)
