"""Clouds' GPU orders from expected demand (``clouds.investment``): instead of ordering a fixed share of the fleet
after two busy months with cash in hand, each cloud forecasts the demand it will face when an order arrives and
orders the capacity that serves it at the target utilisation.

- Demand: each month a cloud's demand is its capacity share of all the PFLOP/s-hours buyers wanted (training runs
  and serving, served or not), so unmet demand counts.
- Forecast at delivery (lead time L months): the trailing 3-month mean demand d x g^(L / w), where g is the growth
  of that mean over the last w = ``growth_window_months`` months, capped at (1 + ``max_growth_per_year``)^(w / 12)
  and at least 1 (clouds do not plan for shrinking demand).
- Order: capacity for forecast / ``market.target_gpu_utilization`` minus the fleet and what is on order, in GPUs of
  the generation bought now (none below 2% of the fleet).
- Finance: ``outside_share`` of the order's cost comes from outside capital (investors or lenders: ``investment``
  from the ledger's outside party), the rest from the cloud's cash; an order the cloud cannot pay its part of is cut
  to what its cash allows. The whole cost goes to the hardware vendor (``gpu_capex``), so money stays conserved.
"""

from __future__ import annotations

import math

from ecosystem.reference import hardware
from sim.ledger import OUTSIDE

HOURS_PER_MONTH = 730.0
SMOOTHING_MONTHS = 3
MIN_ORDER_SHARE = 0.02


def expected_demand(history: list[float], lead_months: int, window: int, max_growth_per_year: float) -> float:
    """Demand (PFLOP/s-hours a month) expected ``lead_months`` ahead from a monthly ``history``."""
    if not history:
        return 0.0
    now = sum(history[-SMOOTHING_MONTHS:]) / len(history[-SMOOTHING_MONTHS:])
    past = history[-SMOOTHING_MONTHS - window:-window] if len(history) > window else []
    growth = 1.0
    if past and sum(past) > 0:
        growth = now / (sum(past) / len(past))
    elif now > 0 and len(history) > window:
        growth = math.inf
    cap = (1.0 + max_growth_per_year) ** (window / 12.0)
    growth = min(max(growth, 1.0), cap)
    return now * growth ** (lead_months / window)


def order_gpus(cloud, t: int, market, cfg) -> None:
    """One cloud's order this month (see the module docstring)."""
    forecast = expected_demand(cloud.demand_history, market.capacity_lead_time_months, cfg.growth_window_months,
                               cfg.max_growth_per_year)
    new_peak_pflops = hardware(cloud.hardware_id).peak_bf16_flops_per_s / 1e15
    have = cloud.gpus * cloud.peak_flops_per_s / 1e15 + sum(p[1] * hardware(p[2]).peak_bf16_flops_per_s / 1e15
                                                           for p in cloud.pending)
    gap_pflops = forecast / HOURS_PER_MONTH / market.target_gpu_utilization - have
    gpus = math.floor(gap_pflops / new_peak_pflops)
    if gpus <= 0 or gpus * new_peak_pflops < MIN_ORDER_SHARE * have:
        return
    own_share = 1.0 - cfg.outside_share
    if own_share > 0:
        gpus = min(gpus, math.floor(max(cloud.cash_usd, 0.0) / (own_share * cloud.capex_per_gpu_usd)))
        if gpus <= 0:
            return
    capex = gpus * cloud.capex_per_gpu_usd
    financed = capex * cfg.outside_share
    if financed > 0:
        cloud.model.ledger.pay(OUTSIDE, cloud.unique_id, financed, "investment")
        m = cloud.model.month.metrics
        m["cloud_financing_usd"] = m.get("cloud_financing_usd", 0.0) + financed
    cloud.place_order(t, gpus, capex, market.capacity_lead_time_months)
