"""The one validation helper for user input that is not a pydantic model (CLI flags, function arguments).

Every message names the field, the value given and what is allowed, e.g. ``label_bias: 1.5 is out of range;
allowed: 0 to 1`` or ``mfu: 1.5 is out of range; allowed: 0 < mfu <= 1``. A range closed at both ends reads
``LOW to HIGH``; one open at an end (or unbounded) is written as inequalities. Files (scenarios, sweep specs) are
validated by their pydantic models, whose messages follow the same pattern.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def _interval(name: str, low: float, high: float, low_open: bool, high_open: bool) -> str:
    if not (low_open or high_open) and math.isfinite(low) and math.isfinite(high):
        return f"{low:g} to {high:g}"
    lower = f"{low:g} {'<' if low_open else '<='} " if math.isfinite(low) else ""
    upper = f" {'<' if high_open else '<='} {high:g}" if math.isfinite(high) else ""
    return f"{lower}{name}{upper}"


def _as_float(name: str, value: object, problem: str, allowed: str) -> float:
    """``float(value)``; bools and what does not convert raise ``NAME: VALUE is PROBLEM; ALLOWED``."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: {value!r} is {problem}; {allowed}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is {problem}; {allowed}") from None


def check_number(name: str, value: object, low: float, high: float, *, low_open: bool = False,
                 high_open: bool = False) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high`` (open at either end if asked; an infinite
    bound means no bound on that side). Bools are refused."""
    allowed = f"allowed: {_interval(name, low, high, low_open, high_open)}"
    number = _as_float(name, value, "not a number", allowed)
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a finite number; {allowed}")
    if number < low or number > high or (low_open and number == low) or (high_open and number == high):
        raise ValueError(f"{name}: {number:g} is out of range; {allowed}")
    return number


def check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int from ``low`` to ``high`` inclusive (bools and non-integral floats refused)."""
    allowed = f"allowed: {low} to {high}"
    number = _as_float(name, value, "not a whole number", allowed)
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"{name}: {value!r} is not a whole number; {allowed}")
    if not low <= number <= high:
        raise ValueError(f"{name}: {int(number)} is out of range; {allowed}")
    return int(number)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``."""
    options = list(allowed)
    if value not in options:
        raise ValueError(f"{name}: {value!r} is not allowed; allowed: {', '.join(options)}")
    return str(value)
