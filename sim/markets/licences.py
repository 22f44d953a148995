"""The model-licence market: labs release the models of finished runs (audited where a mandate holds), providers
choose which deployable model to host (logit on quality and price) and price its tokens at serving cost plus licence
plus a markup that falls with rivalry, and pay the model's lab a share of their token revenue as licence fee."""

from __future__ import annotations

import math

import numpy as np

from sim import serving as serving_cost
from sim.actors import ModelTrainer, ServiceProvider, TrainedModel
from sim.ledger import OUTSIDE
from sim.markets.clearing import logit_choice
from sim.markets.gpu_hours import equivalent_gpu_price, has_gpu_supply
from sim.month import Month
from sim.optimisation import REFERENCE_SERVING_HW
from sim.policy import audit

SHORTLIST = 8  # models providers choose among: the best by score


def release_models(model, month: Month) -> None:
    for lab in model.agents_of(ModelTrainer):
        trained = lab.finish_run(month.t)
        if trained is None:
            continue
        audit(model, month, trained, lab)
        lab.models.append(trained)
        model.models_registry.append(trained)
        month.metrics["models_released"] = month.metrics.get("models_released", 0) + 1
        model.event("model_release", lab.unique_id, "trainer",
                    f"model {trained.model_id}: {trained.params / 1e9:.1f}B params, quality {trained.quality:.2f}, "
                    f"bias {trained.bias:.3f}, labels {trained.aggregation}")


def candidate_models(model) -> list[TrainedModel]:
    """The deployable models on offer: each lab's latest and the outside world's open weights."""
    out = [mdl for mdl in model.agents_of(ModelTrainer).get("current_model") if mdl is not None]
    out += [mdl for mdl in model.models_registry if mdl.owner_id == OUTSIDE and mdl.deployable]
    return out


def providers_choose_and_price(model, month: Month) -> None:
    sc = model.scenario
    providers = model.agents_of(ServiceProvider)
    models = candidate_models(model)
    if not models or not providers or not has_gpu_supply(model):  # no cloud left: no serving cost to price at
        return
    gpu_price = equivalent_gpu_price(model, REFERENCE_SERVING_HW)
    eff = sc.providers.serving_efficiency
    util = sc.providers.target_utilization
    # the planner's serving model of each model's GQA shape; algorithmic progress divides it (``sim.progress``)
    serving = np.array([serving_cost.usd_per_mtok(mdl, gpu_price, util, eff, model.serving_divisor)
                        for mdl in models])
    share = np.array([mdl.licence_share for mdl in models])
    active_n = len(providers.select(lambda p: p.live)) or 1
    markup = sc.market.api_margin / math.sqrt(active_n)
    # price = (serving cost + licence) x (1 + markup) with licence = share x price
    cost = serving * (1.0 + markup) / np.maximum(1.0 - share * (1.0 + markup), 0.2)
    quality = np.array([mdl.quality for mdl in models])
    score = sc.market.logit_quality_weight * quality - sc.market.logit_price_weight * np.log(cost)
    top = np.argsort(-score, kind="stable")[:min(SHORTLIST, len(models))]
    offered = {id(mdl) for mdl in models}
    _first_party_hosting(model, providers)
    choose = [p for p in providers if p.owner_lab_id is None and p.wants_to_choose(offered)]
    if choose:
        picks = logit_choice(model.rng, np.tile(score[top], (len(choose), 1)))
        for p, pick in zip(choose, picks):
            p.host(models[top[pick]])
    index = {id(mdl): i for i, mdl in enumerate(models)}
    for p in providers:
        i = index.get(id(p.hosted)) if p.hosted is not None else None
        if i is None:  # hosted model withdrawn: the provider chooses again next month
            continue
        p.cost_usd_per_mtok = float(serving[i])
        own = p.owner_lab_id is not None and p.owner_lab_id == p.hosted.owner_id
        p.price_usd_per_mtok = float(serving[i] * (1.0 + markup)) if own else float(cost[i])


def _first_party_hosting(model, providers) -> None:
    """A lab's own API hosts the lab's current model (none while the lab has no deployable model)."""
    labs = None
    for p in providers:
        if p.owner_lab_id is None:
            continue
        if labs is None:
            labs = {lab.unique_id: lab for lab in model.agents_of(ModelTrainer)}
        lab = labs.get(p.owner_lab_id)
        current = lab.current_model if lab is not None else None
        if current is not None:
            p.host(current)
        else:
            p.hosted = None


def pay_licences(model, month: Month) -> None:
    """Providers that served tokens pay their model's lab its licence share; the month's token statistics."""
    m = month.metrics
    providers = [p for p in model.agents_of(ServiceProvider) if p.hosted is not None and p.tokens_served > 0]
    payer, payee, amount = [], [], []
    tokens_total = 0.0
    weighted_bias = 0.0
    price_weighted = 0.0
    for p in providers:
        mdl = p.hosted
        mdl.tokens_served += p.tokens_served
        tokens_total += p.tokens_served
        weighted_bias += p.tokens_served * mdl.bias
        price_weighted += p.tokens_served * p.price_usd_per_mtok
        if mdl.owner_id != OUTSIDE and mdl.licence_share > 0 and p.owner_lab_id != mdl.owner_id:
            fee = p.tokens_served * p.price_usd_per_mtok * mdl.licence_share / 1e6
            payer.append(p.unique_id)
            payee.append(mdl.owner_id)
            amount.append(fee)
            p.cost_usd += fee
    if payer:
        model.ledger.pay_many(np.array(payer), np.array(payee), np.array(amount), "model_licence")
        labs = {lab.unique_id: lab for lab in model.agents_of(ModelTrainer)}
        for owner, fee in zip(payee, amount):
            labs[owner].revenue_usd += fee
        m["licence_revenue_usd"] = float(sum(amount))
    m["tokens_served"] = tokens_total
    m["deployed_bias"] = weighted_bias / tokens_total if tokens_total > 0 else float("nan")
    m["api_price_usd_per_mtok"] = price_weighted / tokens_total if tokens_total > 0 else _mean_listed_price(model)
    for owner, fee in zip(payee, amount):
        month.licence_by_owner[owner] = month.licence_by_owner.get(owner, 0.0) + fee
    month.tokens_by_provider = {p.unique_id: p.tokens_served for p in providers}


def _mean_listed_price(model) -> float:
    prices = model.agents_of(ServiceProvider).select(lambda p: p.live).get("price_usd_per_mtok")
    return float(np.mean(prices)) if prices else float("nan")
