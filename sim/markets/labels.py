"""The label market: labs buy labelled examples from labelling vendors, cheapest correct label first; vendors pay
their workers by the hour. The bias and noise of the labels bought travel into the lab's model (``sim.bias``).

Two tiers: crowd vendors (regional wages, ``labellers.regions``) and, with ``labellers.experts``, expert-feedback
vendors (higher wages, fewer items an hour, more accurate, less biased). Without ``trainers.post_training`` a lab
buys its crowd labels (~ sqrt of the model size) once, when it plans a run; with it, a lab spends a share of each
run's budget on human data, split between the tiers, bought in equal instalments over the run's planned months.
"""

from __future__ import annotations

import numpy as np

from sim.actors import DataLabeller, ModelTrainer
from sim.bias import label_cost_multiplier
from sim.ledger import OUTSIDE
from sim.markets.clearing import group_sum, merit_order_match
from sim.markets.gpu_hours import equivalent_gpu_price, has_gpu_supply
from sim.month import Month

TIERS = ("crowd", "expert")
# per tier: the run's fields for items wanted, bought, bias sum and error sum
RUN_FIELDS = {"crowd": ("labels_bought", "label_bias_sum", "label_error_sum"),
              "expert": ("expert_labels_bought", "expert_bias_sum", "expert_error_sum")}


def _vendors(model, tier: str) -> list:
    return [lb for lb in model.agents_of(DataLabeller) if lb.tier == tier]


def tier_prices(model) -> dict[str, float]:
    """Median price of one item per tier among the vendors alive."""
    out = {}
    for tier in TIERS:
        prices = [lb.price_usd_per_label for lb in _vendors(model, tier)]
        if prices:
            out[tier] = float(np.median(prices))
    return out


def _wanted(run, tier: str) -> float:
    if tier == "crowd":
        return run.labels_wanted * label_cost_multiplier(run.aggregation)
    return run.expert_labels_wanted


def plan_runs_and_buy_labels(model, month: Month) -> None:
    labellers = model.agents_of(DataLabeller)
    model.label_prices_by_tier = tier_prices(model)
    crowd = _vendors(model, "crowd")
    ref_label_price = model.label_prices_by_tier.get("crowd", 0.0)
    audit = model.scenario.policy.bias_audit
    mandate = audit.enabled and month.t >= model.scenario.event_month(audit.start_month, audit.start_at)
    capacity = np.array([lb.capacity_labels_per_month for lb in crowd])
    expected_label_bias = float(np.average([lb.bias for lb in crowd], weights=capacity)) if crowd else 0.0
    expected_noise = float(np.average([1 - lb.accuracy for lb in crowd], weights=capacity)) if crowd else 0.0
    new_runs = []
    if not has_gpu_supply(model):  # no cloud left: no price to plan a run at, so no lab starts one
        return
    for lab in model.agents_of(ModelTrainer).select(lambda lab: lab.run is None):
        if mandate:
            lab.choose_aggregation(expected_label_bias, expected_noise, audit.threshold)
        run = lab.plan_run(equivalent_gpu_price(model, lab.hardware_id), ref_label_price, model.fit)
        if run is not None:
            lab.run = run
            new_runs.append(lab)
            model.event("run_started", lab.unique_id, "trainer",
                        f"{run.params / 1e9:.1f}B params on {run.tokens / 1e9:.0f}B tokens")
    if not labellers:
        return
    cfg = model.scenario.trainers
    if cfg.post_training is None:  # all the run's crowd labels at its start
        if new_runs:
            _buy(model, month, new_runs, np.array([_wanted(lab.run, "crowd") for lab in new_runs]), crowd, "crowd")
        return
    runs = [lab for lab in model.agents_of(ModelTrainer) if lab.run is not None]
    for tier in TIERS:
        vendors = _vendors(model, tier)
        buyers = [lab for lab in runs if _wanted(lab.run, tier) > getattr(lab.run, RUN_FIELDS[tier][0]) + 1e-9]
        if not vendors or not buyers:
            continue
        qty = np.array([min(_wanted(lab.run, tier) / cfg.target_run_months,
                            _wanted(lab.run, tier) - getattr(lab.run, RUN_FIELDS[tier][0])) for lab in buyers])
        _buy(model, month, buyers, qty, vendors, tier)


def _buy(model, month: Month, labs: list, wanted: np.ndarray, vendors: list, tier: str) -> None:
    """``labs`` buy ``wanted`` items from ``vendors`` (merit order by price per correct item); vendors pay wages."""
    m = month.metrics
    prices = np.array([lb.price_usd_per_label for lb in vendors])
    capacity = np.array([lb.capacity_labels_per_month - lb.labels_sold_month for lb in vendors])
    accuracy = np.array([lb.accuracy for lb in vendors])
    b_idx, s_idx, qty, _ = merit_order_match(wanted, np.maximum(capacity, 0.0), prices / accuracy)
    if len(qty) == 0:
        return
    amounts = qty * prices[s_idx]
    payer_ids = np.array([labs[i].unique_id for i in b_idx])
    payee_ids = np.array([vendors[j].unique_id for j in s_idx])
    model.ledger.pay_many(payer_ids, payee_ids, amounts, "labels")
    bias = np.array([lb.bias for lb in vendors])
    err = 1.0 - accuracy
    n = len(labs)
    bought = group_sum(b_idx, qty, n)
    bias_sum = group_sum(b_idx, qty * bias[s_idx], n)
    err_sum = group_sum(b_idx, qty * err[s_idx], n)
    spend = group_sum(b_idx, amounts, n)
    f_bought, f_bias, f_err = RUN_FIELDS[tier]
    for i, lab in enumerate(labs):
        run = lab.run
        setattr(run, f_bought, getattr(run, f_bought) + bought[i])
        setattr(run, f_bias, getattr(run, f_bias) + bias_sum[i])
        setattr(run, f_err, getattr(run, f_err) + err_sum[i])
        run.spend_usd += spend[i]
        lab.cost_usd += spend[i]
    sold = group_sum(s_idx, qty, len(vendors))
    revenue = group_sum(s_idx, amounts, len(vendors))
    wages_ids, wages = [], []
    hours_total = 0.0
    for j, lb in enumerate(vendors):
        if sold[j] <= 0:
            continue
        hours = lb.sell(sold[j], revenue[j])
        hours_total += hours
        wages_ids.append(lb.unique_id)
        wages.append(hours * lb.wage_usd_per_hour)
    model.ledger.pay_many(np.array(wages_ids), OUTSIDE, np.array(wages), "labeller_wages")
    m["labels_bought"] = m.get("labels_bought", 0.0) + float(qty.sum())
    m["label_spend_usd"] = m.get("label_spend_usd", 0.0) + float(amounts.sum())
    m["labeller_wages_usd"] = m.get("labeller_wages_usd", 0.0) + float(np.sum(wages))
    m["labeller_hours"] = m.get("labeller_hours", 0.0) + hours_total
    if tier == "expert":
        m["expert_label_spend_usd"] = m.get("expert_label_spend_usd", 0.0) + float(amounts.sum())
        m["expert_wages_usd"] = m.get("expert_wages_usd", 0.0) + float(np.sum(wages))
