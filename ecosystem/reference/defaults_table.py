"""The project's curated defaults (``defaults.csv``), each naming the reference row it was taken from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecosystem.reference.tables import read_table


@dataclass(frozen=True)
class Default:
    """A curated default from ``defaults.csv``: value, unit and the reference row it was taken from."""

    key: str
    value: float
    unit: str
    derived_from: str
    source: str


@lru_cache(maxsize=1)
def defaults() -> dict[str, Default]:
    """Curated defaults by key (see ``data/reference/defaults.csv``)."""
    out = {}
    for row in read_table("defaults"):
        out[row["key"]] = Default(
            key=row["key"],
            value=float(row["value"]),
            unit=row["unit"],
            derived_from=row["derived_from"],
            source=row["source"],
        )
    return out


def default(key: str) -> float:
    """Value of one curated default; KeyError naming the known keys otherwise."""
    table = defaults()
    if key not in table:
        raise KeyError(f"no default {key!r} in data/reference/defaults.csv; known: {', '.join(sorted(table))}")
    return table[key].value
