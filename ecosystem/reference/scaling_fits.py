"""The two published Chinchilla fits of ``scaling_laws.csv``: Hoffmann et al. 2022 and Epoch AI's replication."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecosystem.reference.tables import read_table


@dataclass(frozen=True)
class ChinchillaFit:
    """Parameters of L(N, D) = E + A / N**alpha + B / D**beta (nats per token)."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str


_FIT_ROWS = {
    "hoffmann": "Chinchilla parametric fit (rounded, as printed)",
    "epoch": "Epoch AI replication (Besiroglu et al. 2024)",
}


@lru_cache(maxsize=None)
def chinchilla_fit(name: str = "epoch") -> ChinchillaFit:
    """One of the two published fits: ``hoffmann`` (Hoffmann et al. 2022) or ``epoch`` (Besiroglu et al. 2024)."""
    if name not in _FIT_ROWS:
        raise ValueError(f"scaling fit: unknown {name!r}; allowed: {', '.join(_FIT_ROWS)}")
    values: dict[str, float] = {}
    source = ""
    for row in read_table("scaling_laws"):
        if row["law"] == _FIT_ROWS[name] and row["quantity"] in {"E", "A", "B", "alpha", "beta"}:
            values[row["quantity"]] = float(row["value"])
            source = row["source"]
    missing = {"E", "A", "B", "alpha", "beta"} - set(values)
    if missing:
        raise ValueError(f"scaling_laws.csv lacks {sorted(missing)} for fit {name!r}")
    return ChinchillaFit(name=name, source=source, **values)
