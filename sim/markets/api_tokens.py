"""The API-token market: app developers launch once an API exists and choose a provider among a few sampled
candidates (logit on the hosted model's quality and the token price); their users' tokens become the providers'
demand (``sim.markets.end_users`` computes the users, ``sim.markets.gpu_hours`` serves the tokens)."""

from __future__ import annotations

import numpy as np

from sim.markets.clearing import group_sum, logit_choice
from sim.markets.first_party import own_provider_index

RECHOOSE_PROBABILITY = 0.15  # chance a launched app reconsiders its provider in a month


def apps_choose_providers(model, apps: list, providers: list) -> tuple[np.ndarray, ...]:
    """Launches and provider choices of ``apps`` among the live ``providers``. Returns the apps' live mask, their
    chosen provider's index (-1: none) and the providers' ids, model quality and token price. Random draws, in
    order: launches, re-choices, candidates, logit noise."""
    sc = model.scenario
    rng = model.rng
    prov_ids = np.array([p.unique_id for p in providers])
    prov_q = np.array([p.hosted.quality for p in providers])
    prov_price = np.array([p.price_usd_per_mtok for p in providers])
    index_of = {pid: i for i, pid in enumerate(prov_ids)}
    launched = np.array([a.launched for a in apps])
    new = (~launched) & (rng.random(len(apps)) < sc.apps.launch_rate_per_month)
    current = np.array([index_of.get(a.provider_id, -1) if a.launched else -1 for a in apps])
    rechoose = (launched & ((current < 0) | (rng.random(len(apps)) < RECHOOSE_PROBABILITY))) | new
    if rechoose.any():
        k = min(sc.apps.candidates, len(providers))
        n = int(rechoose.sum())
        cand = rng.integers(0, len(providers), size=(n, k))
        util = (sc.market.logit_quality_weight * prov_q[cand]
                - sc.market.logit_price_weight * np.log(np.maximum(prov_price[cand], 1e-9)))
        chosen = cand[np.arange(n), logit_choice(rng, util)]
        current[rechoose] = chosen
    live = launched | new
    if model.scenario.trainers.products.first_party:  # a lab's own app uses the lab's API, once it is live
        own = own_provider_index(apps, prov_ids, providers)
        owned = np.array([a.owner_lab_id is not None for a in apps])
        current = np.where(owned, own, current)
        live = np.where(owned, own >= 0, live)
        new = np.where(owned, (own >= 0) & ~launched, new)
    for i in np.flatnonzero(new):
        apps[i].launch()
    return live, current, prov_ids, prov_q, prov_price


def record_demand(providers: list, current: np.ndarray, tokens: np.ndarray) -> None:
    """Each provider's demand: the tokens of the apps that chose it."""
    demanded = group_sum(np.maximum(current, 0)[current >= 0], tokens[current >= 0], len(providers))
    for i, p in enumerate(providers):
        p.tokens_demanded = float(demanded[i])
