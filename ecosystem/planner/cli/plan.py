"""``python -m ecosystem plan``: price a training run (``--params`` and ``--tokens``), or the compute-optimal model a
budget buys (``--budget-usd``)."""

from __future__ import annotations

import argparse

from ecosystem import planner, reference
from ecosystem.planner.cli import (BadInput, add_common_arguments, flag, flag_values, integer, number, print_table,
                                   run)

PLAN_KEYS = [
    "hardware_id", "params", "active_params", "tokens", "train_flops", "mfu", "gpu_hours", "gpus", "wall_clock_days",
    "price_usd_per_gpu_hour", "cost_usd", "pue", "energy_mwh", "grid_gco2_per_kwh", "co2_t",
]
BUDGET_KEYS = [
    "budget_usd", "hardware_id", "fit", "params", "tokens", "tokens_per_param", "train_flops", "predicted_loss",
    "mfu", "gpu_hours", "price_usd_per_gpu_hour", "cost_usd", "energy_mwh", "co2_t",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--params", metavar="P", help="parameters, e.g. 7e9, 70B")
    parser.add_argument("--model", metavar="ID", help=f"a catalogued model instead of --params (its total and active "
                                                      f"parameters): {', '.join(reference.model_ids())}")
    parser.add_argument("--active-params", metavar="A", help="active parameters per token (mixture-of-experts)")
    parser.add_argument("--tokens", metavar="D", help="training tokens, e.g. 2e12, 1.4T")
    parser.add_argument("--gpus", metavar="G", help="GPU count (gives wall-clock days)")
    parser.add_argument("--mfu", metavar="M", help="model FLOPs utilisation, 0-1 (default: calibrated)")
    parser.add_argument("--budget-usd", metavar="B", help="price the compute-optimal model this budget buys")
    fits = "|".join(planner.FITS)
    parser.add_argument("--fit", default="epoch", metavar="FIT", help=f"with --budget-usd: {fits}")


def build(args: argparse.Namespace) -> dict:
    price = number(args, "price_usd_per_gpu_hour")
    budget = number(args, "budget_usd")
    if budget is not None:
        for name in ("params", "model", "tokens", "active_params", "gpus", "pue", "grid_gco2_per_kwh"):
            if getattr(args, name) is not None:
                raise BadInput(f"{flag(name)}: not used with --budget-usd; allowed: --budget-usd with --hardware, "
                               "--fit, --mfu, --price-usd-per-gpu-hour")
        plan = planner.budget_plan(budget, args.hardware, fit=args.fit, mfu=number(args, "mfu"),
                                   price_usd_per_gpu_hour=price)
        return plan.to_dict()
    if args.model is not None:
        for name in ("params", "active_params"):
            if getattr(args, name) is not None:
                raise BadInput(f"{flag(name)}: not used with --model (the catalogue gives the parameters)")
        arch = reference.model_architecture(args.model)
        args.params, args.active_params = repr(arch.total_params), repr(arch.active_params)
    for name in ("params", "tokens"):
        if getattr(args, name) is None:
            raise BadInput(f"{flag(name)}: required; allowed: --params P --tokens D, or --budget-usd B")
    flags = flag_values(args, [("active_params", number), ("gpus", integer), ("mfu", number), ("pue", number),
                               ("grid_gco2_per_kwh", number)])
    plan = planner.train_plan(number(args, "params"), number(args, "tokens"), args.hardware, **flags,
                              price_usd_per_gpu_hour=price)
    out = plan.to_dict()
    if out["wall_clock_days"] is None:
        del out["wall_clock_days"]
    return out


def show(result: dict) -> None:
    print_table(result, BUDGET_KEYS if "budget_usd" in result else PLAN_KEYS)


def main(args: argparse.Namespace) -> int:
    return run("plan", args, build, show)
