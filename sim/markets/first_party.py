"""Labs' own products (``trainers.products.first_party``): each frontier lab runs a first-party API (a
``ServiceProvider`` that hosts only the lab's current model, without a licence fee) and a chat app (an
``AppDeveloper`` in the chatbot category that always uses that API), besides licensing its models to third-party
providers. At the end of each month the units hand the cash they hold above their starting capital to the lab
(``first_party_transfer``), so the products' profits fund the lab's next runs. The lab's revenue from all sources
(``lab_revenue_max_usd``) counts its licences, its app's subscriptions and its API's sales to other apps.
"""

from __future__ import annotations

import numpy as np

from sim.actors import AppDeveloper, ModelTrainer, ServiceProvider
from sim.month import Month


def enabled(model) -> bool:
    return model.scenario.trainers.products.first_party


def attach(model, lab) -> None:
    """Give a frontier lab its API and, where the scenario has the category, its chat app."""
    if not enabled(model) or lab.strategy != "frontier":
        return
    sc = model.scenario
    api = ServiceProvider(model, sc.providers)
    api.owner_lab_id = lab.unique_id
    model.fund(api, sc.providers.capital_usd)
    if "chatbot" in model.category_code:
        app = AppDeveloper(model, "chatbot")
        app.owner_lab_id = lab.unique_id
        model.fund(app, sc.apps.capital_usd)


def own_provider_index(apps: list, prov_ids: np.ndarray, providers: list) -> np.ndarray:
    """For each app, the index of its lab's live API among ``providers`` (-1 for a third-party app or none)."""
    by_lab = {p.owner_lab_id: i for i, p in enumerate(providers) if p.owner_lab_id is not None}
    return np.array([by_lab.get(a.owner_lab_id, -1) if a.owner_lab_id is not None else -1 for a in apps])


def settle(model, month: Month) -> None:
    """Units hand surplus cash to their lab; the lab's first-party revenue this month."""
    if not enabled(model):
        return
    labs = {lab.unique_id: lab for lab in model.agents_of(ModelTrainer)}
    sc = model.scenario
    own_app_bill: dict[int, float] = {}
    for app in model.agents_of(AppDeveloper):
        lab = _owner(app, labs)
        if lab is None:
            continue
        lab.first_party_revenue_usd += app.revenue_usd
        own_app_bill[lab.unique_id] = own_app_bill.get(lab.unique_id, 0.0) + app.api_bill_usd
        _hand_over(model, app, lab, sc.apps.capital_usd)
    for p in model.agents_of(ServiceProvider):
        lab = _owner(p, labs)
        if lab is None:
            continue
        lab.first_party_revenue_usd += max(p.revenue_usd - own_app_bill.get(lab.unique_id, 0.0), 0.0)
        _hand_over(model, p, lab, sc.providers.capital_usd)


def _owner(unit, labs: dict):
    """The unit's lab, or None for a third-party unit; a unit whose lab has exited becomes third-party."""
    if unit.owner_lab_id is not None and unit.owner_lab_id not in labs:
        unit.owner_lab_id = None
    return labs.get(unit.owner_lab_id) if unit.owner_lab_id is not None else None


def _hand_over(model, unit, lab, keep_usd: float) -> None:
    surplus = unit.cash_usd - keep_usd
    if surplus > 0:
        model.ledger.pay(unit.unique_id, lab.unique_id, surplus, "first_party_transfer")
