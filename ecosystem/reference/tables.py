"""Reading a table of ``data/reference/`` as published: rows of strings, and the first plain number of a cell."""

from __future__ import annotations

import csv
import re

from ecosystem.reference.paths import REFERENCE_DIR

_MISSING = {"", "n/a", "unconfirmed", "not published"}


def parse_number(text: str | None) -> float | None:
    """First plain number in a reference cell (``"1,287"`` -> 1287.0); None for n/a, unconfirmed or blank."""
    if text is None:
        return None
    cleaned = text.strip()
    if cleaned.lower() in _MISSING or cleaned.lower().startswith(("unconfirmed", "not published", "n/a")):
        return None
    match = re.match(r"^[<>~=]*\s*([-+]?[0-9][0-9,]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?)", cleaned)
    if not match:
        return None
    return float(match.group(1).replace(",", ""))


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of ``data/reference/<name>.csv`` as dicts of strings."""
    path = REFERENCE_DIR / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
