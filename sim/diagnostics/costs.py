"""What a GPU-hour costs a cloud, month by month, from the scenario: the electricity and carbon of one hour at TDP x
PUE, and the GPU's depreciation (its installed cost over its useful life, ``gpu_useful_life_years`` in
data/reference/defaults.csv); and the price floor and ceiling the clouds' repricing keeps to.

The same FLOP/s costs less to buy and rent every month (hardware progress) and a GPU-price shock moves capex,
reference price and rental price together (``sim.policy``, ``CloudHost.scale_prices``): the factor below follows
the same rules. Clouds are weighted by their initial fleets (the fleet grows by the same share wherever it grows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecosystem import planner
from ecosystem.reference import default
from sim.actors.cloud import gpu_capex_usd

HOURS_PER_YEAR = 8760.0
PRICE_CEILING_MULTIPLE = 4.0  # CloudHost.update_price: at most 4x the reference price


def price_factor(scenario, steps: np.ndarray) -> np.ndarray:
    """The factor hardware progress and GPU-price shocks have applied to prices and capex by the end of each step."""
    steps = np.asarray(steps, dtype=float)
    doubling = scenario.market.gpu_price_performance_doubling_years
    factor = 2.0 ** (-steps / (12.0 * doubling)) if doubling else np.ones_like(steps)
    for shock in scenario.shocks:
        if shock.kind == "gpu_price":
            factor = factor * np.where(steps >= shock.month, 1.0 + shock.change, 1.0)
    return factor


def gpu_cost_floor(scenario, steps) -> pd.DataFrame:
    """Per step (fleet-weighted over the clouds): energy and carbon per GPU-hour, depreciation per GPU-hour, their
    sum (the marginal cost), and the repricing's floor and ceiling (USD per GPU-hour)."""
    steps = np.asarray(steps)
    sc = scenario
    fleet = list(sc.clouds.fleet.items())
    hw_of = [fleet[i % len(fleet)] for i in range(sc.clouds.count)]
    gpus = np.array([n for _, n in hw_of], dtype=float)
    w = gpus / gpus.sum()
    life_h = default("gpu_useful_life_years") * HOURS_PER_YEAR
    kwh = np.array([planner.energy_kwh_per_gpu_hour(hw, sc.clouds.pue) for hw, _ in hw_of])
    energy = float(w @ (kwh * (sc.clouds.electricity_usd_per_kwh
                               + sc.clouds.grid_gco2_per_kwh / 1e6 * sc.policy.carbon_price_usd_per_tco2)))
    capex0 = float(w @ np.array([gpu_capex_usd(hw) for hw, _ in hw_of]))
    ref0 = float(w @ np.array([default(f"gpu_price_usd_per_hour.{hw}") for hw, _ in hw_of]))
    f = price_factor(sc, steps)
    dep = capex0 * f / life_h
    return pd.DataFrame({"step": steps, "energy_usd_per_gpu_hour": energy, "depreciation_usd_per_gpu_hour": dep,
                         "marginal_cost_usd_per_gpu_hour": energy + dep,
                         "price_floor_usd_per_hour": sc.market.gpu_price_floor_share * ref0 * f,
                         "price_ceiling_usd_per_hour": PRICE_CEILING_MULTIPLE * ref0 * f})
