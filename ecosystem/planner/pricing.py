"""The planner's defaults from ``data/reference/defaults.csv``: GPU price per hour, PUE and grid carbon intensity."""

from __future__ import annotations

from ecosystem import reference
from ecosystem.checks import check_number
from ecosystem.planner.hardware import resolve_hardware
from ecosystem.planner.inputs import GRID_GCO2_PER_KWH_RANGE, PUE_RANGE, given_or_default


def default_entry(key: str) -> reference.Default | None:
    return reference.defaults().get(key)


def default_price_usd_per_gpu_hour(hardware_id: str) -> float:
    """The ``gpu_price_usd_per_hour.<id>`` default; ValueError when the table has none for this hardware."""
    resolve_hardware(hardware_id)
    entry = default_entry(f"gpu_price_usd_per_hour.{hardware_id}")
    if entry is None:
        raise ValueError(
            f"price_usd_per_gpu_hour: no default for hardware {hardware_id!r} in defaults.csv; pass a price > 0"
        )
    return entry.value


def default_pue() -> float:
    return reference.default("pue.hyperscale")


def default_grid_gco2_per_kwh() -> float:
    return reference.default("grid_gco2_per_kwh.us_average")


def pue_and_grid(
    pue: float | None, grid_gco2_per_kwh: float | None, assumptions: dict[str, str]
) -> tuple[float, float]:
    """The PUE and grid intensity given (checked) or the defaults.csv ones, noting which in ``assumptions``."""
    pue_value = given_or_default(assumptions, "pue", pue, lambda v: check_number("pue", v, *PUE_RANGE), default_pue,
                                 lambda _: "defaults.csv pue.hyperscale")
    grid = given_or_default(assumptions, "grid_gco2_per_kwh", grid_gco2_per_kwh,
                            lambda v: check_number("grid_gco2_per_kwh", v, *GRID_GCO2_PER_KWH_RANGE),
                            default_grid_gco2_per_kwh, lambda _: "defaults.csv grid_gco2_per_kwh.us_average")
    return pue_value, grid
