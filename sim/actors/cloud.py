"""``CloudHost``: a cloud with a fleet of GPU cohorts. It sells GPU-hours, prices them by utilisation (never under
its marginal cost: energy plus wear), buys GPUs when busy and pays for energy and carbon.

A fleet is a list of cohorts (hardware id, GPUs, installed cost per GPU, month bought). The market trades peak
FLOP/s-hours, so the cloud's figures per GPU-hour (``peak_flops_per_s``, ``price_usd_per_hour``,
``kwh_per_gpu_hour``) are those of its average GPU; a single-cohort cloud is exactly the one-GPU-type cloud of
before. With ``clouds.generations`` on, orders buy the newest generation available at the date, at its list price,
and cohorts retire at the end of their life (``sim.markets.generations``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecosystem import planner
from ecosystem.reference import default, hardware
from sim.actors.base import ChainAgent
from sim.ledger import OUTSIDE
from sim.markets import gpu_investment

HOURS_PER_YEAR = 8760.0


def gpu_capex_usd(hardware_id: str) -> float:
    """Installed cost of one GPU: the H100 all-in capex scaled by peak FLOP/s (no per-part quotes in the tables)."""
    ref = hardware("H100-SXM").peak_bf16_flops_per_s
    return default("gpu_capex_usd.H100-SXM") * hardware(hardware_id).peak_bf16_flops_per_s / ref


@dataclass
class Cohort:
    hardware_id: str
    gpus: float
    capex_per_gpu_usd: float  # installed cost when bought
    reference_price_usd_per_hour: float  # rental reference of one of its GPUs
    bought_step: int


class CloudHost(ChainAgent):
    """Sells GPU-hours from a fleet of cohorts; prices by utilisation; buys GPUs when busy; pays for energy."""

    agent_type = "cloud"

    def __init__(self, model, hardware_id: str, gpus: int, cfg, market) -> None:
        super().__init__(model)
        self.hardware_id = hardware_id  # what it buys next (the newest generation with generations on)
        self.pue = cfg.pue
        self.grid_gco2_per_kwh = cfg.grid_gco2_per_kwh
        self.electricity_usd_per_kwh = cfg.electricity_usd_per_kwh
        self.life_years = cfg.generations.life_years
        ref = default(f"gpu_price_usd_per_hour.{hardware_id}")
        self.cohorts = [Cohort(hardware_id, float(gpus), gpu_capex_usd(hardware_id), ref, 0)]
        self.capex_per_gpu_usd = gpu_capex_usd(hardware_id)  # what the next GPU costs
        self.next_reference_price = ref
        self._refresh_fleet()
        self.price_usd_per_hour = cfg.price_markup * self.reference_price
        self.pending: list[tuple[int, float, str, float, float]] = []  # (arrival, GPUs, hw, capex/GPU, reference)
        self.high_util_months = 0
        self.hours_sold = 0.0
        self.utilization = 0.0
        self.demand_history: list[float] = []  # PFLOP/s-hours wanted of this cloud each month

    def _refresh_fleet(self) -> None:
        """The average GPU of the fleet: peak FLOP/s, energy per hour, reference price and wear."""
        cs = self.cohorts
        self.gpus = sum(c.gpus for c in cs)
        n = self.gpus if self.gpus > 0 else 1.0
        peak = {c.hardware_id: hardware(c.hardware_id).peak_bf16_flops_per_s for c in cs}
        self.peak_flops_per_s = sum(c.gpus * peak[c.hardware_id] for c in cs) / n
        self.kwh_per_gpu_hour = sum(c.gpus * planner.energy_kwh_per_gpu_hour(c.hardware_id, self.pue)
                                    for c in cs) / n
        self.reference_price = sum(c.gpus * c.reference_price_usd_per_hour for c in cs) / n
        self.wear_usd_per_gpu_hour = sum(c.gpus * c.capex_per_gpu_usd for c in cs) / n / (
            self.life_years * HOURS_PER_YEAR)

    @property
    def capacity_gpu_hours(self) -> float:
        return self.gpus * 730.0

    def marginal_cost_usd_per_hour(self, carbon_price_usd_per_tco2: float = 0.0) -> float:
        """Cost of selling one more GPU-hour: its energy (and carbon) plus its wear."""
        energy = self.kwh_per_gpu_hour * (self.electricity_usd_per_kwh
                                          + self.grid_gco2_per_kwh / 1e6 * carbon_price_usd_per_tco2)
        return energy + self.wear_usd_per_gpu_hour

    def scale_prices(self, factor: float) -> None:
        """Hardware progress or a price shock: rental price, its reference and the GPUs' capex move together."""
        self.price_usd_per_hour *= factor
        self.capex_per_gpu_usd *= factor
        self.next_reference_price *= factor
        for c in self.cohorts:
            c.reference_price_usd_per_hour *= factor
        self.reference_price *= factor

    def update_price(self, market, carbon_price_usd_per_tco2: float = 0.0) -> None:
        """Price moves with utilisation around the target, within [floor, 4x] the reference price; the floor is
        the larger of ``gpu_price_floor_share`` x reference and the marginal cost."""
        gap = self.utilization - market.target_gpu_utilization
        self.price_usd_per_hour *= 1.0 + market.gpu_price_response * gap
        floor = max(market.gpu_price_floor_share * self.reference_price,
                    self.marginal_cost_usd_per_hour(carbon_price_usd_per_tco2))
        self.price_usd_per_hour = min(max(self.price_usd_per_hour, floor), max(4.0 * self.reference_price, floor))

    def add_cohort(self, cohort: Cohort) -> None:
        """GPUs come online; the price per peak FLOP/s-hour keeps its ratio to the fleet's reference."""
        old_ref_per_flop = self.reference_price / self.peak_flops_per_s
        old_price_per_flop = self.price_usd_per_hour / self.peak_flops_per_s
        same = [c for c in self.cohorts if c.hardware_id == cohort.hardware_id and c.bought_step == cohort.bought_step]
        if same:
            same[0].gpus += cohort.gpus
        else:
            self.cohorts.append(cohort)
        self._reprice_after_fleet_change(old_ref_per_flop, old_price_per_flop)

    def retire(self, step: int) -> float:
        """Cohorts past their life leave the fleet (the newest cohort stays); returns the GPUs retired."""
        life_months = self.life_years * 12.0
        old = [c for c in self.cohorts[:-1] if step - c.bought_step >= life_months]
        if not old:
            return 0.0
        old_ref = self.reference_price / self.peak_flops_per_s
        old_price = self.price_usd_per_hour / self.peak_flops_per_s
        self.cohorts = [c for c in self.cohorts if c not in old]
        self._reprice_after_fleet_change(old_ref, old_price)
        return sum(c.gpus for c in old)

    def _reprice_after_fleet_change(self, old_ref_per_flop: float, old_price_per_flop: float) -> None:
        self._refresh_fleet()
        ratio = old_price_per_flop / old_ref_per_flop if old_ref_per_flop > 0 else 1.0
        self.price_usd_per_hour = ratio * self.reference_price

    def reprice_and_invest(self, t: int, market, carbon_price_usd_per_tco2: float = 0.0) -> None:
        """End of month: ordered GPUs that arrive go online, the price follows utilisation, and after two busy months
        the cloud orders ``expansion_share`` more GPUs if it can pay for them (online after the lead time)."""
        arrived = [p for p in self.pending if p[0] <= t]
        for _, gpus, hw, capex, ref in arrived:
            self.add_cohort(Cohort(hw, gpus, capex, ref, t))
        if arrived:
            self.pending = [p for p in self.pending if p[0] > t]
            total = sum(p[1] for p in arrived)
            self.model.event("capacity_online", self.unique_id, "cloud",
                             f"+{total:,.0f} {', '.join(sorted({p[2] for p in arrived}))}")
        self.update_price(market, carbon_price_usd_per_tco2)
        if self.model.scenario.clouds.investment.enabled:
            gpu_investment.order_gpus(self, t, market, self.model.scenario.clouds.investment)
            return
        self.high_util_months = self.high_util_months + 1 if self.utilization > market.expansion_utilization else 0
        if self.high_util_months >= 2 and not self.pending and market.expansion_share > 0:
            order = math.ceil(self.gpus * market.expansion_share * self.peak_flops_per_s
                              / hardware(self.hardware_id).peak_bf16_flops_per_s)
            capex = order * self.capex_per_gpu_usd
            if self.cash_usd > capex:
                self.place_order(t, order, capex, market.capacity_lead_time_months)
                self.high_util_months = 0

    def place_order(self, t: int, gpus: int, capex: float, lead_months: int) -> None:
        """Pay the hardware vendor ``capex`` for ``gpus`` of the generation bought now, online after the lead time."""
        self.model.ledger.pay(self.unique_id, OUTSIDE, capex, "gpu_capex")
        self.cost_usd += capex
        self.model.month.metrics["gpu_capex_usd"] = self.model.month.metrics.get("gpu_capex_usd", 0.0) + capex
        arrival = t + lead_months
        self.pending.append((arrival, float(gpus), self.hardware_id, self.capex_per_gpu_usd,
                             self.next_reference_price))
        self.model.event("gpu_order", self.unique_id, "cloud",
                         f"{gpus:,} {self.hardware_id} for {capex / 1e6:,.0f}M USD, online at month {arrival}")
