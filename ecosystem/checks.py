"""The one validation helper for user input that is not a pydantic model (CLI flags, function arguments).

Every message names the field, the value given and what is allowed, e.g. ``label_bias: 1.5 is out of range;
allowed: 0 to 1`` or ``mfu: 1.5 is out of range; allowed: 0 < mfu <= 1``. A range closed at both ends reads
``LOW to HIGH``; one open at an end (or unbounded) is written as inequalities. Files (scenarios, sweep specs) are
validated by their pydantic models, whose messages follow the same pattern.

Output paths (``--out DIR``, ``--report-html PATH``, ...) are checked before any work, so a run or a training is
never lost to a path it cannot write: ``check_output_dir`` and ``check_output_file``, whose messages name the flag,
the path and why (``--report-html: '/data/r.html' cannot be written: folder '/data' does not exist``).
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable
from pathlib import Path


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


def _probe_write(folder: Path) -> None:
    """Create and remove an empty file in ``folder`` (``OSError`` if that cannot be done)."""
    probe = folder / f".write-check-{uuid.uuid4().hex[:8]}"
    probe.write_bytes(b"")
    probe.unlink()


def check_output_dir(name: str, path: str | os.PathLike) -> Path:
    """The output directory ``path`` of flag ``name``, created if missing and checked writable (an empty file is
    created and removed in it)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{name}: {str(out)!r} is a file; allowed: a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        _probe_write(out)
    except OSError as exc:
        raise ValueError(f"{name}: {str(out)!r} is not writable ({exc.strerror or exc}); allowed: a directory you "
                         "can write to") from None
    return out


def check_output_file(name: str, path: str | os.PathLike) -> Path:
    """The output file ``path`` of flag ``name``, checked writable: not a directory, its folder exists and a file
    can be created in it (an existing file is left as it is until the program writes it)."""
    out = Path(path)
    allowed = "allowed: a file path in an existing folder you can write to"
    if out.is_dir():
        raise ValueError(f"{name}: {str(out)!r} is a directory; {allowed}")
    folder = out.parent
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"{name}: {str(out)!r} cannot be written: folder {str(folder)!r} {why}; {allowed}")
    try:
        _probe_write(folder)
        if out.exists() and not os.access(out, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise ValueError(f"{name}: {str(out)!r} is not writable ({exc.strerror or exc}); {allowed}") from None
    return out
