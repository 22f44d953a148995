"""``CloudHost``: sells GPU-hours from a finite fleet, reprices by utilisation, orders GPUs when busy (they arrive after
a lead time), pays for energy and carbon (``sim.markets.gpu_hours``)."""

from __future__ import annotations

import math

from ecosystem import planner
from ecosystem.reference import default, hardware
from sim.actors.base import ChainAgent
from sim.ledger import OUTSIDE


def gpu_capex_usd(hardware_id: str) -> float:
    """Installed cost of one GPU: the H100 all-in capex scaled by peak FLOP/s (no per-part quotes in the tables)."""
    ref = hardware("H100-SXM").peak_bf16_flops_per_s
    return default("gpu_capex_usd.H100-SXM") * hardware(hardware_id).peak_bf16_flops_per_s / ref


class CloudHost(ChainAgent):
    """Sells GPU-hours from a finite fleet; prices by utilisation; buys GPUs when busy; pays for energy and carbon."""

    agent_type = "cloud"

    def __init__(self, model, hardware_id: str, gpus: int, cfg, market) -> None:
        super().__init__(model)
        self.hardware_id = hardware_id
        hw = hardware(hardware_id)
        self.peak_flops_per_s = hw.peak_bf16_flops_per_s
        self.gpus = float(gpus)
        self.pue = cfg.pue
        self.grid_gco2_per_kwh = cfg.grid_gco2_per_kwh
        self.electricity_usd_per_kwh = cfg.electricity_usd_per_kwh
        self.reference_price = default(f"gpu_price_usd_per_hour.{hardware_id}")
        self.price_usd_per_hour = cfg.price_markup * self.reference_price
        self.kwh_per_gpu_hour = planner.energy_kwh_per_gpu_hour(hardware_id, cfg.pue)
        self.capex_per_gpu_usd = gpu_capex_usd(hardware_id)
        self.pending: list[tuple[int, float]] = []  # (arrival step, GPUs)
        self.high_util_months = 0
        self.hours_sold = 0.0
        self.utilization = 0.0

    @property
    def capacity_gpu_hours(self) -> float:
        return self.gpus * 730.0

    def scale_prices(self, factor: float) -> None:
        """Hardware progress or a price shock: rental price, its reference and the GPUs' capex move together."""
        self.price_usd_per_hour *= factor
        self.reference_price *= factor
        self.capex_per_gpu_usd *= factor

    def update_price(self, market) -> None:
        """Price moves with utilisation around the target, within [floor, 4x] the reference price."""
        gap = self.utilization - market.target_gpu_utilization
        self.price_usd_per_hour *= 1.0 + market.gpu_price_response * gap
        floor = market.gpu_price_floor_share * self.reference_price
        self.price_usd_per_hour = min(max(self.price_usd_per_hour, floor), 4.0 * self.reference_price)

    def reprice_and_invest(self, t: int, market) -> None:
        """End of month: ordered GPUs that arrive go online, the price follows utilisation, and after two busy months
        the cloud orders ``expansion_share`` more GPUs if it can pay for them (online after the lead time)."""
        arrived = sum(g for step, g in self.pending if step <= t)
        if arrived:
            self.gpus += arrived
            self.pending = [(s, g) for s, g in self.pending if s > t]
            self.model.event("capacity_online", self.unique_id, "cloud", f"+{arrived:,.0f} {self.hardware_id}")
        self.update_price(market)
        self.high_util_months = self.high_util_months + 1 if self.utilization > market.expansion_utilization else 0
        if self.high_util_months >= 2 and not self.pending and market.expansion_share > 0:
            order = math.ceil(self.gpus * market.expansion_share)
            capex = order * self.capex_per_gpu_usd
            if self.cash_usd > capex:
                self.model.ledger.pay(self.unique_id, OUTSIDE, capex, "gpu_capex")
                self.cost_usd += capex
                self.pending.append((t + market.capacity_lead_time_months, float(order)))
                self.high_util_months = 0
                self.model.event("gpu_order", self.unique_id, "cloud",
                                 f"{order:,} {self.hardware_id} for {capex / 1e6:,.0f}M USD, online at month "
                                 f"{t + market.capacity_lead_time_months}")
