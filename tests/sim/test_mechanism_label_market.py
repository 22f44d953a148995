"""The label market: labs buy the cheapest *correct* label first (price / accuracy), not the cheapest label, and
vendors pay their workers for the hours the labels took (so wages = label revenue / (1 + vendor margin))."""

from __future__ import annotations

import pytest

from sim.actors import DataLabeller
from sim.scenario import load_scenario
from tests.sim.mechanisms import stepped_model

# per label: sloppy 2.0/60 x 1.3 = 0.0433 USD, careful 2.2/60 x 1.3 = 0.0477 USD;
# per correct label: sloppy 0.0433 / 0.6 = 0.0722 USD, careful 0.0477 / 0.98 = 0.0486 USD
REGIONS = [
    {"name": "sloppy", "share": 0.5, "wage_usd_per_hour": 2.0, "living_wage_usd_per_hour": 3.0,
     "labels_per_hour": 60.0, "accuracy": 0.6, "bias": 0.05},
    {"name": "careful", "share": 0.5, "wage_usd_per_hour": 2.2, "living_wage_usd_per_hour": 3.0,
     "labels_per_hour": 60.0, "accuracy": 0.98, "bias": 0.05},
]


@pytest.fixture(scope="module")
def market():
    *_, model = stepped_model({"labellers.regions": REGIONS}, months=24)
    region = {lb.unique_id: lb.region for lb in model.agents_of(DataLabeller)}
    flows = model.ledger.flows_frame()
    return region, flows


def test_labels_are_bought_cheapest_per_correct_label(market):
    region, flows = market
    sales = flows[flows.category == "labels"]
    assert len(sales) > 0
    sc = load_scenario("baseline")
    careful_vendors = sum(1 for r in region.values() if r == "careful")
    capacity = careful_vendors * sc.labellers.workers_per_vendor * sc.labellers.hours_per_worker_month * 60.0
    markup = 1 + sc.labellers.vendor_margin
    price = {"sloppy": 2.0 / 60 * markup, "careful": 2.2 / 60 * markup}
    labels = sales.assign(region=sales.payee_id.map(region))
    labels = labels.assign(n=labels.amount_usd / labels.region.map(price)).groupby(["step", "region"]).n.sum().unstack()
    labels = labels.reindex(columns=["careful", "sloppy"], fill_value=0.0).fillna(0.0)
    assert (labels.careful > 0).sum() >= 3
    # the sloppy vendors sell only in a month the careful ones are sold out
    for step, row in labels[labels.sloppy > 0].iterrows():
        assert row.careful == pytest.approx(capacity, rel=1e-9), f"month {step}: sloppy labels bought first"
    assert (labels.careful <= capacity * (1 + 1e-9)).all()
    assert (labels.careful[labels.careful < capacity * (1 - 1e-9)] > 0).any()  # a month careful labels sufficed


def test_labeller_wages_are_the_hours_the_labels_took(market):
    region, flows = market
    margin = load_scenario("baseline").labellers.vendor_margin
    revenue = flows[flows.category == "labels"].groupby(["step", "payee_id"]).amount_usd.sum()
    wages = flows[flows.category == "labeller_wages"].groupby(["step", "payer_id"]).amount_usd.sum()
    assert wages.index.tolist() == revenue.index.tolist()
    assert wages.to_numpy() == pytest.approx(revenue.to_numpy() / (1 + margin), rel=1e-12)
