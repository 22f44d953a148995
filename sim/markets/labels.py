"""The label market: idle labs plan a run and buy labelled examples from labelling vendors, cheapest correct label
first; vendors pay their workers by the hour. The bias and noise of the labels bought travel into the lab's model
(``sim.bias``)."""

from __future__ import annotations

import numpy as np

from sim.actors import DataLabeller, ModelTrainer
from sim.bias import label_cost_multiplier
from sim.ledger import OUTSIDE
from sim.markets.clearing import group_sum, merit_order_match
from sim.markets.gpu_hours import equivalent_gpu_price, has_gpu_supply
from sim.month import Month


def plan_runs_and_buy_labels(model, month: Month) -> None:
    m = month.metrics
    labellers = model.agents_of(DataLabeller)
    label_prices = np.array(labellers.get("price_usd_per_label"))
    capacity = np.array(labellers.get("capacity_labels_per_month"))
    ref_label_price = float(np.median(label_prices)) if len(label_prices) else 0.0
    audit = model.scenario.policy.bias_audit
    mandate = audit.enabled and month.t >= audit.start_month
    expected_label_bias = float(np.average(labellers.get("bias"), weights=capacity)) if labellers else 0.0
    expected_noise = (float(np.average([1 - a for a in labellers.get("accuracy")], weights=capacity))
                      if labellers else 0.0)
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
    if not new_runs or not labellers:
        return
    labellers = list(labellers)
    raw_wanted = np.array([lab.run.labels_wanted * label_cost_multiplier(lab.run.aggregation) for lab in new_runs])
    accuracy = np.array([lb.accuracy for lb in labellers])
    # labs buy the cheapest correct labels first: merit order by price per expected correct label
    b_idx, s_idx, qty, _ = merit_order_match(raw_wanted, capacity, label_prices / accuracy)
    if len(qty) == 0:
        return
    amounts = qty * label_prices[s_idx]
    payer_ids = np.array([new_runs[i].unique_id for i in b_idx])
    payee_ids = np.array([labellers[j].unique_id for j in s_idx])
    model.ledger.pay_many(payer_ids, payee_ids, amounts, "labels")
    bias = np.array([lb.bias for lb in labellers])
    err = np.array([1 - lb.accuracy for lb in labellers])
    n_runs = len(new_runs)
    bought = group_sum(b_idx, qty, n_runs)
    bias_sum = group_sum(b_idx, qty * bias[s_idx], n_runs)
    err_sum = group_sum(b_idx, qty * err[s_idx], n_runs)
    spend = group_sum(b_idx, amounts, n_runs)
    for i, lab in enumerate(new_runs):
        lab.run.labels_bought += bought[i]
        lab.run.label_bias_sum += bias_sum[i]
        lab.run.label_error_sum += err_sum[i]
        lab.cost_usd += spend[i]
    n_lab = len(labellers)
    sold = group_sum(s_idx, qty, n_lab)
    revenue = group_sum(s_idx, amounts, n_lab)
    wages_ids, wages = [], []
    for j, lb in enumerate(labellers):
        if sold[j] <= 0:
            continue
        hours = lb.sell(sold[j], revenue[j])
        wages_ids.append(lb.unique_id)
        wages.append(hours * lb.wage_usd_per_hour)
    model.ledger.pay_many(np.array(wages_ids), OUTSIDE, np.array(wages), "labeller_wages")
    m["labels_bought"] = float(qty.sum())
    m["label_spend_usd"] = float(amounts.sum())
    m["labeller_wages_usd"] = float(np.sum(wages))
    m["labeller_hours"] = float(sum(sold[j] / lb.labels_per_hour for j, lb in enumerate(labellers)))
