"""The capital market (``scenario.capital``): an outside investor funds labs in rounds, and labs reinvest.

Every ``round_interval_months`` (staggered by lab) a lab that has released a model raises

    round = (revenue_multiple x annualised revenue + standing_round_usd x standing^4)
            x (1 + growth) ^ growth_weight x (leader_multiplier if it holds the best model)

where revenue is the lab's monthly revenue from all sources (licences, and with first-party products its own API
and app) over the last three months x 4, growth the year-on-year growth of that revenue (capped at 10), and
standing its best model's quality over the best quality on offer. The money enters through the ledger's outside
party (``investment``), so frontier budgets, a share of cash per run, grow with revenue and standing rather than at
a set rate.
"""

from __future__ import annotations

from sim.actors import ModelTrainer
from sim.markets.licences import candidate_models
from sim.month import Month

STANDING_POWER = 4.0  # standing^4: a lab a few quality points behind the leader raises far less
GROWTH_CAP = 10.0


def annualised_revenue(lab) -> float:
    hist = lab.revenue_history[-3:]
    return 4.0 * sum(hist) if hist else 0.0


def revenue_growth(lab) -> float:
    """Year-on-year growth of the trailing three months' revenue (0 without a year of history)."""
    hist = lab.revenue_history
    if len(hist) < 15:
        return 0.0
    before = sum(hist[-15:-12])
    now = sum(hist[-3:])
    return min(max(now / before - 1.0, 0.0), GROWTH_CAP) if before > 0 else (GROWTH_CAP if now > 0 else 0.0)


def round_size_usd(cfg, annual_revenue: float, growth: float, standing: float, leader: bool) -> float:
    size = cfg.revenue_multiple * annual_revenue + cfg.standing_round_usd * standing ** STANDING_POWER
    size *= (1.0 + growth) ** cfg.growth_weight
    return size * (cfg.leader_multiplier if leader else 1.0)


def record_revenue(model, month: Month) -> None:
    """Each lab's revenue this month from all sources (kept for its rounds and ``lab_revenue_max_usd``)."""
    for lab in model.agents_of(ModelTrainer):
        lab.revenue_history.append(lab.revenue_usd + lab.first_party_revenue_usd)


def funding_rounds(model, month: Month) -> None:
    cfg = model.scenario.capital
    if not cfg.enabled:
        return
    offered = candidate_models(model)
    best = max((m.quality for m in offered), default=0.0)
    if best <= 0:
        return
    leader_id = max(offered, key=lambda m: m.quality).owner_id
    for lab in model.agents_of(ModelTrainer):
        if (month.t + lab.unique_id) % cfg.round_interval_months != 0 or not lab.models:
            continue
        mine = max((m.quality for m in lab.models if m.deployable), default=0.0)
        size = round_size_usd(cfg, annualised_revenue(lab), revenue_growth(lab), mine / best,
                              lab.unique_id == leader_id)
        if size > 0:
            model.fund(lab, size)
            month.metrics["investment_usd"] = month.metrics.get("investment_usd", 0.0) + size
            model.event("funding_round", lab.unique_id, "trainer", f"{size / 1e6:,.0f}M USD")
