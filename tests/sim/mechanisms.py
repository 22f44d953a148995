"""What the mechanism tests share: short runs of the baseline with one lever switched, and the published figures read
straight from data/reference (not through the code under test)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sim.model import ChainModel
from sim.runner import RunResult, run
from sim.scenario import load_scenario

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"

# One hardware type everywhere, so that every GPU-hour has the same TDP and the same peak.
H100_ONLY = {"clouds.fleet": {"H100-SXM": 3000}, "trainers.hardware_id": "H100-SXM"}


def scenario(overrides: dict | None = None, months: int = 24):
    sc = load_scenario("baseline").with_overrides({"horizon_months": months, **(overrides or {})})
    return sc


def run_with(overrides: dict | None = None, months: int = 24) -> RunResult:
    return run(scenario(overrides, months))


def stepped_model(overrides: dict | None = None, months: int = 24):
    """A ChainModel stepped ``months`` times, yielding after every step (to read the agents' state)."""
    model = ChainModel(scenario(overrides, months))
    for _ in range(months):
        model.step()
        yield model


@lru_cache(maxsize=None)
def _csv(name: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    key = "id" if "id" in rows[0] else next(iter(rows[0]))
    return {r[key]: r for r in rows}


def published_default(key: str) -> float:
    return float(_csv("defaults.csv")[key]["value"])


def published_hardware(hardware_id: str, column: str) -> float:
    return float(_csv("hardware.csv")[hardware_id][column])


def flows_of(result: RunResult, category: str) -> pd.DataFrame:
    return result.flows[result.flows.category == category]
