"""The one validation helper for user input that is not a pydantic model (CLI flags, function arguments).

Every message names the field, the value given and what is allowed, e.g.
``mfu: 1.5 is out of range; allowed: 0 < mfu <= 1``. Files (scenarios, sweep specs) are validated by their pydantic
models, whose messages follow the same pattern.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def check_number(name: str, value: object, low: float, high: float, *, low_open: bool = False,
                 high_open: bool = False) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high`` (open at either end if asked)."""
    lo_op, hi_op = ("<" if low_open else "<="), ("<" if high_open else "<=")
    allowed = f"allowed: {low:g} {lo_op} {name} {hi_op} {high:g}"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a number; {allowed}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a finite number; {allowed}")
    if number < low or number > high or (low_open and number == low) or (high_open and number == high):
        raise ValueError(f"{name}: {number:g} is out of range; {allowed}")
    return number


def check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int from ``low`` to ``high`` inclusive (bools and non-integral floats refused)."""
    allowed = f"allowed: a whole number from {low} to {high}"
    if isinstance(value, bool):
        raise ValueError(f"{name}: {value!r} is not allowed; {allowed}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not allowed; {allowed}") from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"{name}: {value!r} is not allowed; {allowed}")
    if not low <= number <= high:
        raise ValueError(f"{name}: {int(number)} is out of range; {allowed}")
    return int(number)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``."""
    options = list(allowed)
    if value not in options:
        raise ValueError(f"{name}: {value!r} is not allowed; allowed: {', '.join(options)}")
    return str(value)
