"""The end-user market: each app prices its subscription at its token cost per user plus overhead and margin; each
category's potential users grow (logistically up to a ceiling) and adopt by the share-weighted quality and price of
the offers; apps close part of the gap to their target users each month. End users pay subscriptions, apps pay their
provider for the tokens served and their own overhead."""

from __future__ import annotations

import math

import numpy as np

from sim.actors import AppDeveloper, ServiceProvider
from sim.ledger import OUTSIDE
from sim.markets.api_tokens import apps_choose_providers, record_demand
from sim.markets.clearing import group_sum
from sim.month import AppOrders, Month


def category_potential_users(model, category: str, t: int) -> float:
    """End users who could adopt ``category`` at month ``t`` (growth, its ceiling and demand shocks)."""
    d = model.scenario.market.demand[category]
    if d.unlock_capability is not None:  # users start to grow once a model on offer is capable enough
        unlocked = model.unlocked_at.get(category)
        if unlocked is None:
            return 0.0
        t = t - unlocked
    grown = (1.0 + d.growth_per_month * model.scenario.market.demand_growth_multiplier) ** t
    if d.saturation_users is not None and d.saturation_users > d.potential_users:
        # logistic: starts growing at the given rate and levels off at the ceiling
        cap = d.saturation_users
        potential = cap / (1.0 + (cap / d.potential_users - 1.0) / grown)
    else:
        potential = d.potential_users * grown
    return potential * model.demand_multiplier


def tokens_per_user_month(model, category: str, t: int) -> float:
    """Tokens a user of ``category`` uses in month ``t`` (growing by ``tokens_per_user_growth_per_year``)."""
    d = model.scenario.market.demand[category]
    if d.tokens_per_user_growth_per_year == 0:
        return d.tokens_per_user_month
    return d.tokens_per_user_month * (1.0 + d.tokens_per_user_growth_per_year) ** (t / 12.0)


def network_pull(cats: np.ndarray, users: np.ndarray, live: np.ndarray, n_cat: int, weight: float) -> np.ndarray:
    """Word of mouth: each live app's pull on its category's users, (users + 5% of the category's mean) ^ weight
    (1 for every app with weight 0). Apps of one category share their users by pull, so an app with k times the
    users of a rival of equal price and quality ends with about k ^ weight times its share."""
    if weight == 0:
        return np.ones(len(users))
    n_live = group_sum(cats, live.astype(float), n_cat)
    mean = np.divide(group_sum(cats, np.where(live, users, 0.0), n_cat), n_live, out=np.zeros(n_cat),
                     where=n_live > 0)
    return (users + 0.05 * mean[cats] + 1.0) ** weight


def unlock_categories(model, month: Month) -> None:
    """Record the month each category's capability threshold is first reached by a model on offer."""
    for c in model.categories:
        d = model.scenario.market.demand[c]
        if d.unlock_capability is None or c in model.unlocked_at:
            continue
        if model.best_quality_on_offer >= model.capability_quality[d.unlock_capability]:
            model.unlocked_at[c] = month.t
            model.event("category_unlocked", OUTSIDE, "outside", f"{c}: {d.unlock_capability} level reached")


def apps_and_end_users(model, month: Month) -> None:
    sc = model.scenario
    m = month.metrics
    providers = list(model.agents_of(ServiceProvider).select(lambda p: p.live))
    apps = list(model.agents_of(AppDeveloper))
    m["apps_live"] = 0
    m["app_users"] = 0.0
    if not apps:
        return
    if not providers:
        for a in apps:
            a.users = 0.0
        return
    live, current, prov_ids, prov_q, prov_price = apps_choose_providers(model, apps, providers)
    cats = np.array([model.category_code[a.category] for a in apps])
    users = np.array([a.users for a in apps])
    tpu = np.array([tokens_per_user_month(model, c, month.t) for c in model.categories])[cats]
    api_price = np.where(current >= 0, prov_price[np.maximum(current, 0)], np.nan)
    quality = np.where(current >= 0, prov_q[np.maximum(current, 0)], 0.0)
    price = (tpu * api_price / 1e6 + sc.apps.overhead_usd_per_user_month) * (1.0 + sc.apps.app_margin)
    price = np.where(live, price, 0.0)
    # category adoption: quality^qe x (price / reference)^-elasticity of the share-weighted offer
    n_cat = len(model.categories)
    utility = (sc.market.logit_quality_weight * quality
               - sc.market.logit_price_weight * np.log(np.maximum(price, 1e-9)))
    if np.nanmax(np.where(live, utility, -np.inf), initial=-np.inf) > 700.0:  # exp would overflow (inf / inf = NaN):
        top = np.full(n_cat, -np.inf)                                # shift by each category's best (same shares)
        np.maximum.at(top, cats[live], utility[live])
        utility = utility - np.where(np.isfinite(top[cats]), top[cats], 0.0)
    attract = np.zeros_like(utility)
    attract[live] = np.exp(utility[live])  # only live apps' (the others' can overflow, unused)
    attract = attract * network_pull(cats, users, live, n_cat, sc.market.app_network_weight)
    attract_sum = group_sum(cats, attract, n_cat)
    share = np.divide(attract, attract_sum[cats], out=np.zeros_like(attract), where=attract_sum[cats] > 0)
    cat_q = group_sum(cats, share * quality, n_cat)
    cat_p = group_sum(cats, share * price, n_cat)
    target_users = np.zeros(len(apps))
    for c, code in model.category_code.items():
        d = sc.market.demand[c]
        potential = category_potential_users(model, c, month.t)
        if cat_p[code] <= 0:
            continue
        # willingness x = quality^qe (price / reference)^-elasticity; adoption 1 - exp(-x) saturates smoothly
        willingness = (cat_q[code] ** d.quality_elasticity
                       * (cat_p[code] / d.reference_price_usd_per_month) ** (-d.price_elasticity))
        adoption = 1.0 - math.exp(-willingness)
        mask = cats == code
        target_users[mask] = potential * adoption * share[mask]
    users = np.where(live, users + sc.market.adoption_speed * (target_users - users), 0.0)
    tokens = users * tpu
    for i, a in enumerate(apps):
        a.provider_id = int(prov_ids[current[i]]) if current[i] >= 0 else None
        a.users = float(users[i])
        a.price_usd_per_month = float(price[i])
    month.orders = AppOrders(apps=apps, providers=providers, prov_ids=prov_ids, current=current, users=users,
                             tokens=tokens, price=price, api_price=api_price)
    record_demand(providers, current, tokens)
    m["apps_live"] = int(live.sum())
    m["app_users"] = float(users.sum())


def pay_subscriptions_and_tokens(model, month: Month) -> None:
    """End users pay the apps, apps pay their providers for the tokens served (the GPU-hour market's fill) and their
    overhead (support per user and a launched app's team)."""
    sc = model.scenario
    m = month.metrics
    m["end_user_spend_usd"] = 0.0
    m["tokens_served"] = 0.0
    m["api_revenue_usd"] = 0.0
    m["licence_revenue_usd"] = 0.0
    orders = month.orders
    if orders is None:
        return
    apps = orders.apps
    app_ids = np.array([a.unique_id for a in apps])
    users, price, current = orders.users, orders.price, orders.current
    spend = users * price
    model.ledger.pay_many(np.full(len(apps), OUTSIDE), app_ids, spend, "subscriptions")
    served = orders.tokens * month.gpu_fill
    has = current >= 0
    api_bill = np.where(has, served * np.nan_to_num(orders.api_price) / 1e6, 0.0)
    model.ledger.pay_many(app_ids[has], orders.prov_ids[current[has]], api_bill[has], "api_tokens")
    live = np.array([a.launched for a in apps])
    overhead = users * sc.apps.overhead_usd_per_user_month + np.where(live, sc.apps.fixed_cost_usd_per_month, 0)
    model.ledger.pay_many(app_ids, OUTSIDE, overhead, "staff_costs")
    for i, a in enumerate(apps):
        a.revenue_usd += spend[i]
        a.cost_usd += api_bill[i] + overhead[i]
        a.api_bill_usd = float(api_bill[i])
    prov_rev = group_sum(current[has], api_bill[has], len(orders.prov_ids))
    for i, p in enumerate(orders.providers):
        p.revenue_usd += float(prov_rev[i])
    m["end_user_spend_usd"] = float(spend.sum())
    m["api_revenue_usd"] = float(api_bill.sum())
