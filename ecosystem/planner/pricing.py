"""The planner's defaults from ``data/reference/defaults.csv``: GPU price per hour, PUE and grid carbon intensity."""

from __future__ import annotations

from ecosystem import reference
from ecosystem.checks import check_number
from ecosystem.planner.hardware import resolve_hardware
from ecosystem.planner.inputs import GRID_GCO2_PER_KWH_RANGE, PUE_RANGE


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
    if pue is None:
        pue_value = default_pue()
        assumptions["pue"] = "defaults.csv pue.hyperscale"
    else:
        pue_value = check_number("pue", pue, PUE_RANGE[0], PUE_RANGE[1])
        assumptions["pue"] = "given"
    if grid_gco2_per_kwh is None:
        grid = default_grid_gco2_per_kwh()
        assumptions["grid_gco2_per_kwh"] = "defaults.csv grid_gco2_per_kwh.us_average"
    else:
        grid = check_number("grid_gco2_per_kwh", grid_gco2_per_kwh, *GRID_GCO2_PER_KWH_RANGE)
        assumptions["grid_gco2_per_kwh"] = "given"
    return pue_value, grid
