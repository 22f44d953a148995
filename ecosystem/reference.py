"""Typed access to the published reference tables in ``data/reference/``.

Every figure the project uses from the literature lives in a CSV there, with its source. Code asks this module for
records; it never hard-codes a published number. The raw tables are kept as published (free text in places); the
``defaults.csv`` table holds the project's curated defaults, each naming the reference row it comes from.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO_ROOT / "data" / "reference"

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


@dataclass(frozen=True)
class Hardware:
    """One accelerator from ``hardware.csv``. Peaks are dense (no sparsity)."""

    id: str
    name: str
    peak_bf16_flops_per_s: float
    peak_fp8_flops_per_s: float | None
    memory_bytes: float
    memory_bw_bytes_per_s: float
    tdp_w: float | None
    source: str

    @property
    def memory_gb(self) -> float:
        return self.memory_bytes / 1e9


@dataclass(frozen=True)
class TrainingRun:
    """One published training run from ``published_training_runs.csv``; None where the source is silent."""

    model: str
    hardware_id: str | None
    params_total: float
    params_active: float
    tokens: float
    train_flops: float | None
    gpu_hours: float | None
    reported_mfu: float | None
    reported_cost_usd: float | None
    energy_mwh: float | None
    co2_t: float | None
    source: str


@dataclass(frozen=True)
class Default:
    """A curated default from ``defaults.csv``: value, unit and the reference row it was taken from."""

    key: str
    value: float
    unit: str
    derived_from: str
    source: str


@lru_cache(maxsize=1)
def hardware_catalog() -> dict[str, Hardware]:
    """All accelerators by id."""
    catalog: dict[str, Hardware] = {}
    for row in read_table("hardware"):
        fp8 = parse_number(row["peak_fp8_dense_tflops"])
        catalog[row["id"]] = Hardware(
            id=row["id"],
            name=row["accelerator"],
            peak_bf16_flops_per_s=float(row["peak_bf16_dense_tflops"]) * 1e12,
            peak_fp8_flops_per_s=None if fp8 is None else fp8 * 1e12,
            memory_bytes=float(row["memory_gb"]) * 1e9,
            memory_bw_bytes_per_s=float(row["memory_bw_tbs"]) * 1e12,
            tdp_w=parse_number(row["tdp_w"]),
            source=row["source"],
        )
    return catalog


def hardware(hardware_id: str) -> Hardware:
    """The accelerator with this id; a ValueError naming the allowed ids otherwise."""
    catalog = hardware_catalog()
    if hardware_id not in catalog:
        allowed = ", ".join(sorted(catalog))
        raise ValueError(f"hardware: unknown id {hardware_id!r}; allowed: {allowed}")
    return catalog[hardware_id]


@lru_cache(maxsize=1)
def training_runs() -> tuple[TrainingRun, ...]:
    """Published training runs, in file order."""
    runs = []
    for row in read_table("published_training_runs"):
        runs.append(
            TrainingRun(
                model=row["model"],
                hardware_id=row["hardware_id"] or None,
                params_total=float(row["params_total"]),
                params_active=float(row["params_active"]),
                tokens=float(row["tokens"]),
                train_flops=parse_number(row["train_flops"]),
                gpu_hours=parse_number(row["gpu_hours"]),
                reported_mfu=parse_number(row["reported_mfu"]),
                reported_cost_usd=parse_number(row["reported_cost_usd"]),
                energy_mwh=parse_number(row["energy_mwh"]),
                co2_t=parse_number(row["co2_t"]),
                source=row["source"],
            )
        )
    return tuple(runs)


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

