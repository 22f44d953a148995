"""What the planner accepts: the ranges of its inputs, and numbers written as ``70B`` or ``1.4T``.

Every error is a ``ValueError`` from ``ecosystem.checks`` whose message names the argument, the value and what is
allowed.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Callable, TypeVar

from ecosystem.checks import check_number

T = TypeVar("T")


MAX_PARAMS = 1e14
MAX_TOKENS = 1e17
MAX_GPUS = 10_000_000
MAX_BUDGET_USD = 1e12
MAX_PRICE_USD_PER_GPU_HOUR = 1_000.0
PUE_RANGE = (1.0, 3.0)
GRID_GCO2_PER_KWH_RANGE = (0.0, 2_000.0)
MAX_CONTEXT_TOKENS = 10_000_000
MAX_TOKENS_PER_DAY = 1e16
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = 86_400.0


class PlanRecord:
    """What every plan (a frozen dataclass of figures with an ``assumptions`` dict) can do: turn into a dict."""

    def to_dict(self) -> dict:
        return asdict(self)  # type: ignore[call-overload]


def given_or_default(assumptions: dict[str, str], key: str, given: object, check: Callable[[object], T],
                     default: Callable[[], T], note: Callable[[T], str]) -> T:
    """``check(given)``, noted ``given`` in ``assumptions[key]``; or, when nothing is given, ``default()``, noted
    ``note(value)``."""
    if given is None:
        value = default()
        assumptions[key] = note(value)
        return value
    value = check(given)
    assumptions[key] = "given"
    return value


def check_params(params: float, active_params: float | None) -> tuple[float, float]:
    """(total, active) parameters, checked; active defaults to total (a dense model)."""
    total = check_number("params", params, 0.0, MAX_PARAMS, low_open=True)
    if active_params is None:
        return total, total
    active = check_number("active_params", active_params, 0.0, MAX_PARAMS, low_open=True)
    if active > total:
        raise ValueError(f"active_params: {active:g} exceeds params {total:g}; allowed: 0 < active_params <= params")
    return total, active


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([kKmMbBtT]?)\s*$")

_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_quantity(text: str) -> float:
    """``"7e9"``, ``"70B"``, ``"1.4T"``, ``"500M"``, ``"2k"`` -> float; ValueError otherwise."""
    match = _NUMBER.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a number (examples: 7e9, 70B, 1.4T, 500M)")
    value = float(match.group(1))
    suffix = match.group(2).upper()
    return value * _SUFFIX[suffix] if suffix else value
