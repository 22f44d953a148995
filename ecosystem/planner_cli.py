"""``python -m ecosystem plan | serve | validate``: the cost planner on the command line.

``--json`` prints one JSON object; otherwise a small table. Bad input prints one line to stderr naming the argument
and what is allowed, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

from ecosystem import planner, reference

EXIT_BAD_INPUT = 2


class BadInput(ValueError):
    """A command-line value the planner cannot use; the message names the argument."""


def _one_line_error(prog: str):
    def error(message: str):  # replaces argparse's multi-line usage dump
        sys.stderr.write(f"{prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)

    return error


def add_arguments(parser: argparse.ArgumentParser, command: str = "plan") -> None:
    parser.error = _one_line_error(parser.prog)  # type: ignore[method-assign]
    hardware_ids = ", ".join(planner.hardware_ids())
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    if command == "validate":
        return
    parser.add_argument("--hardware", required=True, metavar="ID", help=f"accelerator id: {hardware_ids}")
    parser.add_argument("--price-usd-per-gpu-hour", metavar="X", help="default: defaults.csv for the hardware")
    parser.add_argument("--pue", metavar="U", help="power usage effectiveness (default: pue.hyperscale)")
    parser.add_argument("--grid-gco2-per-kwh", metavar="C", help="grid intensity (default: US average)")
    if command == "plan":
        parser.add_argument("--params", metavar="P", help="parameters, e.g. 7e9, 70B")
        parser.add_argument("--active-params", metavar="A", help="active parameters per token (mixture-of-experts)")
        parser.add_argument("--tokens", metavar="D", help="training tokens, e.g. 2e12, 1.4T")
        parser.add_argument("--gpus", metavar="G", help="GPU count (gives wall-clock days)")
        parser.add_argument("--mfu", metavar="M", help="model FLOPs utilisation, 0-1 (default: calibrated)")
        parser.add_argument("--budget-usd", metavar="B", help="price the compute-optimal model this budget buys")
        fits = "|".join(planner.FITS)
        parser.add_argument("--fit", default="epoch", metavar="FIT", help=f"with --budget-usd: {fits}")
    elif command == "serve":
        parser.add_argument("--params", required=True, metavar="P", help="parameters, e.g. 70B")
        parser.add_argument("--active-params", metavar="A", help="active parameters per token (mixture-of-experts)")
        parser.add_argument("--tokens-per-day", required=True, metavar="T", help="generated tokens per day, e.g. 1e9")
        parser.add_argument("--context", default="4096", metavar="C", help="context tokens per sequence (4096)")
        parser.add_argument("--utilization", default="0.6", metavar="U", help="target average utilisation (0.6)")
        parser.add_argument("--serving-efficiency", metavar="E", help="fraction of peak when compute-bound")
        parser.add_argument("--bytes-per-param", default="2", metavar="B", help="2 bf16, 1 int8 (2)")
        parser.add_argument("--batch", metavar="N", help="sequences per replica (default: as many as fit)")
        parser.add_argument("--query-heads-per-kv-head", default="1", metavar="G", help="grouped-query attention (1)")


# ---- argument parsing -----------------------------------------------------------------------------------------------


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _number(args: argparse.Namespace, name: str) -> float | None:
    text = getattr(args, name)
    if text is None:
        return None
    try:
        value = planner.parse_quantity(text)
    except ValueError:
        raise BadInput(f"{_flag(name)}: {text!r} is not a number; allowed: e.g. 7e9, 70B, 1.4T, 0.4") from None
    if not math.isfinite(value):
        raise BadInput(f"{_flag(name)}: {text!r} is not a finite number")
    return value


def _integer(args: argparse.Namespace, name: str) -> int | None:
    value = _number(args, name)
    if value is None:
        return None
    if value != int(value):
        raise BadInput(f"{_flag(name)}: {getattr(args, name)!r} is not a whole number")
    return int(value)


_ARG_NAMES = {"context_tokens": "context", "gpu_price_usd_per_hour": "price_usd_per_gpu_hour", "hardware": "hardware"}


def _cli_message(error: ValueError) -> str:
    """The planner names Python arguments ("tokens_per_day: ..."); the CLI user typed flags (--tokens-per-day)."""
    message = str(error)
    match = re.match(r"^([a-z_]+):", message)
    if match:
        name = _ARG_NAMES.get(match.group(1), match.group(1))
        message = _flag(name) + message[match.end() - 1 :]
    return message


# ---- commands -------------------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def _print_table(data: dict, keys: list[str]) -> None:
    width = max(len(k) for k in keys)
    for key in keys:
        if data.get(key) is not None:
            print(f"{key:<{width}}  {_fmt(data[key])}")
    assumptions = data.get("assumptions") or {}
    if assumptions:
        print("assumptions:")
        for key, text in assumptions.items():
            print(f"  {key}: {text}")


def _plan(args: argparse.Namespace) -> dict:
    price = _number(args, "price_usd_per_gpu_hour")
    budget = _number(args, "budget_usd")
    if budget is not None:
        for name in ("params", "tokens", "active_params", "gpus", "pue", "grid_gco2_per_kwh"):
            if getattr(args, name) is not None:
                raise BadInput(f"{_flag(name)}: not used with --budget-usd; allowed: --budget-usd with --hardware, "
                               "--fit, --mfu, --price-usd-per-gpu-hour")
        plan = planner.budget_plan(budget, args.hardware, fit=args.fit, mfu=_number(args, "mfu"),
                                   price_usd_per_gpu_hour=price)
        return plan.to_dict()
    for name in ("params", "tokens"):
        if getattr(args, name) is None:
            raise BadInput(f"{_flag(name)}: required; allowed: --params P --tokens D, or --budget-usd B")
    plan = planner.train_plan(
        _number(args, "params"),
        _number(args, "tokens"),
        args.hardware,
        active_params=_number(args, "active_params"),
        gpus=_integer(args, "gpus"),
        mfu=_number(args, "mfu"),
        pue=_number(args, "pue"),
        grid_gco2_per_kwh=_number(args, "grid_gco2_per_kwh"),
        price_usd_per_gpu_hour=price,
    )
    out = plan.to_dict()
    if out["wall_clock_days"] is None:
        del out["wall_clock_days"]
    return out


def _serve(args: argparse.Namespace) -> dict:
    plan = planner.serve_plan(
        _number(args, "params"),
        _number(args, "tokens_per_day"),
        args.hardware,
        active_params=_number(args, "active_params"),
        context_tokens=_integer(args, "context"),
        utilization=_number(args, "utilization"),
        serving_efficiency=_number(args, "serving_efficiency"),
        price_usd_per_gpu_hour=_number(args, "price_usd_per_gpu_hour"),
        pue=_number(args, "pue"),
        grid_gco2_per_kwh=_number(args, "grid_gco2_per_kwh"),
        bytes_per_param=_number(args, "bytes_per_param"),
        batch=_integer(args, "batch"),
        query_heads_per_kv_head=_integer(args, "query_heads_per_kv_head"),
    )
    return plan.to_dict()


def _print_validation(report: dict) -> None:
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


_KEYS = {
    "plan": [
        "hardware_id", "params", "active_params", "tokens", "train_flops", "mfu", "gpu_hours", "gpus",
        "wall_clock_days", "price_usd_per_gpu_hour", "cost_usd", "pue", "energy_mwh", "grid_gco2_per_kwh", "co2_t",
    ],
    "budget": [
        "budget_usd", "hardware_id", "fit", "params", "tokens", "tokens_per_param", "train_flops", "predicted_loss",
        "mfu", "gpu_hours", "price_usd_per_gpu_hour", "cost_usd", "energy_mwh", "co2_t",
    ],
    "serve": [
        "hardware_id", "params", "active_params", "tokens_per_day", "context_tokens", "utilization", "gpus_needed",
        "gpus_per_replica", "replicas", "batch", "bound", "throughput_tokens_per_s_per_gpu", "average_utilization",
        "memory_per_gpu_gb", "usd_per_million_tokens", "fleet_usd_per_day", "energy_kwh_per_day", "co2_kg_per_day",
    ],
}


def main(args: argparse.Namespace) -> int:
    command = getattr(args, "command", "plan")
    try:
        if command == "validate":
            from ecosystem.calibration import validation_report  # noqa: PLC0415

            report = validation_report()
            if args.json:
                print(json.dumps(report))
            else:
                _print_validation(report)
            return 0
        result = _serve(args) if command == "serve" else _plan(args)
    except BadInput as error:
        sys.stderr.write(f"python -m ecosystem {command}: error: {error}\n")
        return EXIT_BAD_INPUT
    except ValueError as error:
        sys.stderr.write(f"python -m ecosystem {command}: error: {_cli_message(error)}\n")
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result))
    else:
        keys = _KEYS["serve"] if command == "serve" else _KEYS["budget" if "budget_usd" in result else "plan"]
        _print_table(result, keys)
    return 0
