"""The GPU-hour market: labs' training runs and providers' serving demand are matched to the clouds' fleets, cheapest
peak FLOP/s first (merit order, rationed pro rata when short); clouds then pay for the energy of the hours they sold
and its carbon, and at the end of the month reprice by utilisation and order GPUs (``CloudHost.reprice_and_invest``).
A lab rents ``trainers.research_compute_multiple`` GPU-hours of research compute per hour of its run (experiments
that train nothing released). Quantities are traded in PFLOP/s-hours of peak compute so that different GPUs compete on one price."""

from __future__ import annotations

import numpy as np

from ecosystem.reference import hardware
from sim import serving
from sim.actors import CloudHost, ModelTrainer, ServiceProvider
from sim.ledger import OUTSIDE
from sim.markets.clearing import group_sum, merit_order_match
from sim.month import Month
from sim.optimisation import REFERENCE_SERVING_HW

HOURS_PER_MONTH = 730.0


def price_per_peak_pflop_hour(model) -> float:
    """Capacity-weighted market price of one hour of 1 PFLOP/s of peak compute."""
    clouds = list(model.agents_of(CloudHost))
    if not clouds:
        return float("nan")
    cap = np.array([c.gpus * c.peak_flops_per_s for c in clouds])
    price = np.array([c.price_usd_per_hour / (c.peak_flops_per_s / 1e15) for c in clouds])
    return float((price * cap).sum() / cap.sum())


def has_gpu_supply(model) -> bool:
    """Whether any cloud is left to rent GPU-hours from (without one the market price is undefined, NaN)."""
    return len(model.agents_of(CloudHost)) > 0


def equivalent_gpu_price(model, hardware_id: str) -> float:
    """What an hour of ``hardware_id``'s peak FLOP/s costs at the market price."""
    return price_per_peak_pflop_hour(model) * hardware(hardware_id).peak_bf16_flops_per_s / 1e15


def clear(model, month: Month) -> None:
    """Match this month's training and inference demand to the clouds; labs' runs progress, providers serve."""
    m = month.metrics
    clouds = list(model.agents_of(CloudHost))
    month.clouds = clouds
    for c in clouds:
        c.hours_sold = 0.0
    buyers: list = []
    qty_pflop_h: list[float] = []
    research = 1.0 + model.scenario.trainers.research_compute_multiple  # the run's hours and its research hours
    for lab in model.agents_of(ModelTrainer):
        if lab.run is not None:
            remaining = lab.run.train_flops - lab.run.flops_done
            wanted_peak = lab.run.gpus_wanted * HOURS_PER_MONTH * hardware(lab.hardware_id).peak_bf16_flops_per_s
            need_peak = remaining / lab.run.mfu / 3600.0
            buyers.append(lab)
            qty_pflop_h.append(min(wanted_peak, need_peak) / 1e15 * research)
    n_train = len(buyers)
    serving_peak = hardware(REFERENCE_SERVING_HW).peak_bf16_flops_per_s
    for p in model.agents_of(ServiceProvider):
        if p.hosted is not None and p.tokens_demanded > 0:
            gpu_s = p.tokens_demanded * serving.gpu_seconds_per_token(p.hosted, p.serving_efficiency) / (
                model.serving_divisor * p.target_utilization)  # GPU-seconds of the reference serving GPU
            peak_s = gpu_s * serving_peak
            buyers.append(p)
            qty_pflop_h.append(peak_s / 3600.0 / 1e15)
    m["gpu_hours_training"] = 0.0
    m["gpu_hours_inference"] = 0.0
    month.gpu_fill = 1.0
    if not clouds:
        # the chain has lost its compute: nothing clears (no NaN price enters arithmetic), the run goes on
        if not getattr(model, "gpu_supply_lost", False):
            model.gpu_supply_lost = True
            model.event("no_gpu_supply", OUTSIDE, "outside",
                        f"every cloud has exited: no GPU-hours to rent from month {month.t}; "
                        f"{len(buyers)} buyers unserved")
        month.gpu_fill = 0.0  # no compute, no tokens served
        for p in model.agents_of(ServiceProvider):
            p.tokens_served = 0.0
        return
    cap = np.array([c.capacity_gpu_hours * c.peak_flops_per_s / 1e15 for c in clouds])
    price = np.array([c.price_usd_per_hour / (c.peak_flops_per_s / 1e15) for c in clouds])
    if not buyers:
        for c in clouds:
            c.utilization = 0.0
            c.demand_history.append(0.0)
        return
    wanted = float(np.sum(qty_pflop_h))
    for c, share in zip(clouds, cap / cap.sum()):
        c.demand_history.append(wanted * float(share))
    b_idx, s_idx, qty, fill = merit_order_match(np.array(qty_pflop_h), cap, price)
    month.gpu_fill = fill
    peak = np.array([c.peak_flops_per_s for c in clouds])
    gpu_hours = qty * 1e15 / peak[s_idx]
    amounts = qty * price[s_idx]
    train = b_idx < n_train
    buyer_ids = np.array([b.unique_id for b in buyers])
    cloud_ids = np.array([c.unique_id for c in clouds])
    model.ledger.pay_many(buyer_ids[b_idx[train]], cloud_ids[s_idx[train]], amounts[train], "training_gpu_hours")
    model.ledger.pay_many(buyer_ids[b_idx[~train]], cloud_ids[s_idx[~train]], amounts[~train], "inference_gpu_hours")
    hours_by_cloud = group_sum(s_idx, gpu_hours, len(clouds))
    rev_by_cloud = group_sum(s_idx, amounts, len(clouds))
    for j, c in enumerate(clouds):
        c.hours_sold = float(hours_by_cloud[j])
        c.utilization = c.hours_sold / c.capacity_gpu_hours if c.capacity_gpu_hours > 0 else 0.0
        c.revenue_usd += float(rev_by_cloud[j])
    peak_pflop_h_by_buyer = group_sum(b_idx, qty, len(buyers))
    spend_by_buyer = group_sum(b_idx, amounts, len(buyers))
    for i, b in enumerate(buyers):
        b.cost_usd += float(spend_by_buyer[i])
        if i < n_train:  # only the run's share of the hours trains the model and counts in its cost
            b.run.flops_done += peak_pflop_h_by_buyer[i] / research * 1e15 * 3600.0 * b.run.mfu
            b.run.spend_usd += float(spend_by_buyer[i]) / research
        else:
            b.tokens_served = b.tokens_demanded * fill
    m["gpu_hours_training"] = float(gpu_hours[train].sum())
    m["gpu_hours_inference"] = float(gpu_hours[~train].sum())


def pay_energy_and_carbon(model, month: Month) -> None:
    """Clouds pay utilities for the electricity of the GPU-hours they sold and the regulator for its carbon."""
    m = month.metrics
    clouds = month.clouds
    if clouds:
        ids = np.array([c.unique_id for c in clouds])
        kwh = np.array([c.hours_sold * c.kwh_per_gpu_hour for c in clouds])
        co2_t = kwh * np.array([c.grid_gco2_per_kwh for c in clouds]) / 1e6
        energy_bill = kwh * np.array([c.electricity_usd_per_kwh for c in clouds])
        carbon_bill = co2_t * model.scenario.policy.carbon_price_usd_per_tco2
        model.ledger.pay_many(ids, OUTSIDE, energy_bill, "energy")
        model.ledger.pay_many(ids, OUTSIDE, carbon_bill, "carbon_tax")
        for i, c in enumerate(clouds):
            c.cost_usd += energy_bill[i] + carbon_bill[i]
        m["energy_kwh"] = float(kwh.sum())
        m["co2_t"] = float(co2_t.sum())
        m["carbon_tax_usd"] = float(carbon_bill.sum())


def reprice_and_invest(model, month: Month) -> None:
    model.agents_of(CloudHost).do("reprice_and_invest", month.t, model.scenario.market,
                                  model.scenario.policy.carbon_price_usd_per_tco2)
