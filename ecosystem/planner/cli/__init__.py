"""``python -m ecosystem plan | serve | validate``: the cost planner on the command line.

One module per command (``plan``, ``serve``, ``validate``: each ``add_arguments(parser)`` and ``main(args)``); this
module holds what they share. ``--json`` prints one JSON object; otherwise a small table. Bad input prints one line to
stderr naming the argument and what is allowed, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import Callable, Sequence

from ecosystem import planner


EXIT_BAD_INPUT = 2


class BadInput(ValueError):
    """A command-line value the planner cannot use; the message names the argument."""


def _one_line_error(prog: str):
    def error(message: str):  # replaces argparse's multi-line usage dump
        sys.stderr.write(f"{prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)

    return error


def add_common_arguments(parser: argparse.ArgumentParser, *, hardware: bool = True) -> None:
    """``--json`` (every command) and, for plans, the hardware and the price, PUE and grid overrides."""
    parser.error = _one_line_error(parser.prog)  # type: ignore[method-assign]
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    if not hardware:
        return
    hardware_ids = ", ".join(planner.hardware_ids())
    parser.add_argument("--hardware", required=True, metavar="ID", help=f"accelerator id: {hardware_ids}")
    parser.add_argument("--price-usd-per-gpu-hour", metavar="X", help="default: defaults.csv for the hardware")
    parser.add_argument("--pue", metavar="U", help="power usage effectiveness (default: pue.hyperscale)")
    parser.add_argument("--grid-gco2-per-kwh", metavar="C", help="grid intensity (default: US average)")


# ---- argument parsing -----------------------------------------------------------------------------------------------


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def number(args: argparse.Namespace, name: str) -> float | None:
    text = getattr(args, name)
    if text is None:
        return None
    try:
        value = planner.parse_quantity(text)
    except ValueError:
        raise BadInput(f"{flag(name)}: {text!r} is not a number; allowed: e.g. 7e9, 70B, 1.4T, 0.4") from None
    if not math.isfinite(value):
        raise BadInput(f"{flag(name)}: {text!r} is not a finite number")
    return value


def integer(args: argparse.Namespace, name: str) -> int | None:
    value = number(args, name)
    if value is None:
        return None
    if value != int(value):
        raise BadInput(f"{flag(name)}: {getattr(args, name)!r} is not a whole number")
    return int(value)


def flag_values(args: argparse.Namespace,
                spec: Sequence[tuple[str, Callable[[argparse.Namespace, str], object]]]) -> dict[str, object]:
    """The flags of ``spec`` (``(name, parser)`` pairs: ``number`` or ``integer``), parsed in that order, by name."""
    return {name: parse(args, name) for name, parse in spec}


_ARG_NAMES = {"context_tokens": "context", "gpu_price_usd_per_hour": "price_usd_per_gpu_hour", "hardware": "hardware"}


def _cli_message(error: ValueError) -> str:
    """The planner names Python arguments ("tokens_per_day: ..."); the CLI user typed flags (--tokens-per-day)."""
    message = str(error)
    match = re.match(r"^([a-z_]+):", message)
    if match:
        name = _ARG_NAMES.get(match.group(1), match.group(1))
        message = flag(name) + message[match.end() - 1 :]
    return message


# ---- output ---------------------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def print_table(data: dict, keys: list[str]) -> None:
    width = max(len(k) for k in keys)
    for key in keys:
        if data.get(key) is not None:
            print(f"{key:<{width}}  {_fmt(data[key])}")
    assumptions = data.get("assumptions") or {}
    if assumptions:
        print("assumptions:")
        for key, text in assumptions.items():
            print(f"  {key}: {text}")


def run(command: str, args: argparse.Namespace, build: Callable[[argparse.Namespace], dict],
        show: Callable[[dict], None]) -> int:
    """Build the command's result; print it as one JSON object (``--json``) or with ``show``. Bad input: one line on
    stderr naming the flag, exit 2."""
    try:
        result = build(args)
    except BadInput as error:
        sys.stderr.write(f"python -m ecosystem {command}: error: {error}\n")
        return EXIT_BAD_INPUT
    except ValueError as error:
        sys.stderr.write(f"python -m ecosystem {command}: error: {_cli_message(error)}\n")
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(result))
    else:
        show(result)
    return 0
