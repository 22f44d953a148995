"""Hardware generations (``clouds.generations``): accelerators become available at their dates
(``data/reference/hardware.csv``: ``available_date``, ``list_price_usd``, with sources) and clouds buy the newest one available, at its list price; labs train
on the newest generation; cohorts past their service life retire.

Prices: a GPU's installed cost is its list price x the H100's installed/list ratio (``defaults.csv``: 50,000 USD
all-in against a 27,500 USD sale price); its rental reference is the H100's reference rent x list price / H100 list
price, so rent per peak FLOP/s falls as newer, cheaper-per-FLOP parts enter the fleets.
"""

from __future__ import annotations

from ecosystem.reference import default
from sim.actors import CloudHost, ModelTrainer
from sim.month import Month
from sim.scenario.calendar import month_number
from sim.scenario.calendar_mechanisms import generation_table

REFERENCE_HW = "H100-SXM"


def list_price_usd(hardware_id: str) -> float:
    return float(generation_table()[hardware_id].list_price_usd)


def available_date(hardware_id: str) -> str:
    return generation_table()[hardware_id].available_date


def installed_cost_usd(hardware_id: str) -> float:
    allin = default(f"gpu_capex_usd.{REFERENCE_HW}") / default(f"gpu_sale_price_usd.{REFERENCE_HW}")
    return list_price_usd(hardware_id) * allin


def reference_rent_usd_per_hour(hardware_id: str) -> float:
    return default(f"gpu_price_usd_per_hour.{REFERENCE_HW}") * list_price_usd(hardware_id) / list_price_usd(
        REFERENCE_HW)


def newest_available(buy: list[str], date: str) -> str | None:
    """The generation in ``buy`` with the latest availability date on or before ``date`` (None before any)."""
    ready = [h for h in buy if month_number(available_date(h)) <= month_number(date)]
    return max(ready, key=lambda h: (month_number(available_date(h)), h)) if ready else None


def set_up(model) -> None:
    """Initial fleets priced by list price, dated at their generation's availability (at most a life ago)."""
    sc = model.scenario
    if not sc.clouds.generations.enabled:
        return
    life_months = int(sc.clouds.generations.life_years * 12)
    start = month_number(sc.start_date)
    for cloud in model.agents_of(CloudHost):
        for c in cloud.cohorts:
            if c.hardware_id in generation_table():
                c.capex_per_gpu_usd = installed_cost_usd(c.hardware_id)
                c.reference_price_usd_per_hour = reference_rent_usd_per_hour(c.hardware_id)
                c.bought_step = max(min(0, month_number(available_date(c.hardware_id)) - start), 1 - life_months)
        cloud._refresh_fleet()
        cloud.price_usd_per_hour = sc.clouds.price_markup * cloud.reference_price
    choose_generation(model, sc.start_date)


def choose_generation(model, date: str) -> None:
    """Clouds' next orders and labs' training runs use the newest generation available at ``date``."""
    sc = model.scenario
    newest = newest_available(sc.clouds.generations.buy, date)
    if newest is None:
        return
    for cloud in model.agents_of(CloudHost):
        cloud.hardware_id = newest
        cloud.capex_per_gpu_usd = installed_cost_usd(newest)
        cloud.next_reference_price = reference_rent_usd_per_hour(newest)
    for lab in model.agents_of(ModelTrainer):
        lab.hardware_id = newest


def new_month(model, month: Month) -> None:
    """Start of the month: the newest generation at the month's date; cohorts past their life retire."""
    if not model.scenario.clouds.generations.enabled:
        return
    choose_generation(model, model.date)
    for cloud in model.agents_of(CloudHost):
        cloud.retire(month.t)
