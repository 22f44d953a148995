"""The published training runs of ``published_training_runs.csv`` (what the planner is checked against)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecosystem.reference.tables import parse_number, read_table


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
