"""The firms' own costs and life cycle: labs and live providers pay their teams; firms insolvent for too long exit
(their cash goes to investors, their debt is written off, a lab's models and licences end with it); a stage whose
trailing margin is high attracts entrants funded by investors."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.actors import AppDeveloper, ModelTrainer, ServiceProvider
from sim.ledger import OUTSIDE
from sim.markets import first_party
from sim.month import Month
from sim.scenario import STRATEGIES

ENTRY_SHARE = 0.02  # entrants per month of a profitable stage, as a share of its firms (at least one)
ENTRY_COOLDOWN_MONTHS = 3


@dataclass
class StageHistory:
    """Trailing revenue and profit of a stage, for entry decisions."""

    revenue: list[float] = field(default_factory=list)
    profit: list[float] = field(default_factory=list)

    def add(self, revenue: float, profit: float) -> None:
        self.revenue.append(revenue)
        self.profit.append(profit)

    def margin(self, months: int = 3) -> float:
        rev = sum(self.revenue[-months:])
        return sum(self.profit[-months:]) / rev if rev > 0 else 0.0


def pay_staff(model, month: Month) -> None:
    sc = model.scenario
    for agents, fee in ((model.agents_of(ModelTrainer), sc.trainers.staff_cost_usd_per_month),
                        (model.agents_of(ServiceProvider).select(lambda p: p.live),
                         sc.providers.staff_cost_usd_per_month)):
        if agents and fee > 0:
            model.ledger.pay_many(np.array(agents.get("unique_id")), OUTSIDE, np.full(len(agents), fee),
                                  "staff_costs")
            for a in agents:
                a.cost_usd += fee


def exits_and_entries(model, month: Month) -> None:
    sc = model.scenario
    t = month.t
    limit = sc.market.exit_after_months_insolvent
    for a in list(model.agents):
        a.update_solvency()
        if a.months_insolvent >= limit:
            exit_firm(model, a)
    for key, cls, cfg in (("trainer", ModelTrainer, sc.trainers), ("provider", ServiceProvider, sc.providers),
                          ("app", AppDeveloper, sc.apps)):
        agents = model.agents_of(cls)
        revenue = sum(agents.get("revenue_usd"))
        cost = sum(agents.get("cost_usd"))
        hist = model.history[key]
        hist.add(revenue, revenue - cost)
        if hist.margin() > sc.market.entry_margin and t - model.last_entry_step[key] >= ENTRY_COOLDOWN_MONTHS:
            for _ in range(max(1, round(ENTRY_SHARE * len(agents)))):
                new = _entrant(model, cls, cfg)
                model.fund(new, cfg.capital_usd)
                model.event("entry", new.unique_id, key, f"margin {hist.margin():.0%}")
            model.last_entry_step[key] = t


def _entrant(model, cls, cfg):
    if cls is ModelTrainer:
        lab = ModelTrainer(model, STRATEGIES[int(model.rng.integers(0, len(STRATEGIES)))], cfg)
        first_party.attach(model, lab)
        return lab
    if cls is ServiceProvider:
        return ServiceProvider(model, cfg)
    cats = model.categories
    return AppDeveloper(model, cats[int(model.rng.integers(0, len(cats)))])


def exit_firm(model, agent) -> None:
    model.event("exit", agent.unique_id, agent.agent_type, f"insolvent for {agent.months_insolvent} months")
    if isinstance(agent, ModelTrainer):
        for mdl in agent.models:
            mdl.deployable = False
        for p in model.agents_of(ServiceProvider):  # licences end with the lab
            if p.hosted is not None and p.hosted.owner_id == agent.unique_id:
                p.hosted = None
    if isinstance(agent, ServiceProvider):
        for app in model.agents_of(AppDeveloper):
            if app.provider_id == agent.unique_id:
                app.provider_id = None
    model.ledger.close_account(agent.unique_id)
    agent.remove()
