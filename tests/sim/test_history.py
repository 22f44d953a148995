"""The calendar-time mechanisms (issue 11): dates and their validation, hardware availability by date, funding that
follows revenue, algorithmic progress (the same quality costs less every year), the two labelling tiers, and the
money identity on the history presets and on dated hypothesis scenarios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosystem.formulas import scaling
from ecosystem.reference import read_table
from sim.actors import CloudHost, DataLabeller
from sim.markets import capital, generations
from sim.model import ChainModel
from sim.progress import effective_loss, effective_multiplier, serving_divisor, threshold_quality
from sim.runner import run
from sim.scenario import ScenarioError, load_scenario, validate_scenario
from sim.scenario.calendar import month_of_date, step_date
from tests.sim.test_model import assert_money_conserved


@pytest.fixture(scope="module")
def history():
    return run(load_scenario("history_2020"), months=40)


# ---- calendar -----------------------------------------------------------------------------------------------------


def test_every_row_is_dated_from_the_start_date(history):
    m = history.metrics
    assert m["date"].iloc[0] == "2020-01" and m["date"].iloc[12] == "2021-01" and m["date"].iloc[40] == "2023-05"
    assert step_date("2019-11", 3) == "2020-02"


@pytest.mark.parametrize("value, message", [
    ("2020-13", "'2020-13' has month 13; allowed: months 01 to 12"),
    ("20-01", "start_date: value '20-01' is not allowed; '20-01' is not a date; allowed: 'YYYY-MM'"),
    ("1850-01", "has year 1850; allowed: years 1990 to 2100"),
])
def test_a_bad_start_date_is_named_with_what_is_allowed(value, message):
    with pytest.raises(ScenarioError) as err:
        validate_scenario({"start_date": value})
    assert any(message in p for p in err.value.problems), err.value.problems


def test_dated_shocks_are_validated_and_take_effect_at_their_date():
    with pytest.raises(ScenarioError) as err:
        validate_scenario({"shocks": [{"month": 3, "at": "2021-01", "kind": "demand", "change": 0.5}]})
    assert any("both month (3) and at ('2021-01') are given; allowed: one of them" in p for p in err.value.problems)
    with pytest.raises(ScenarioError) as err:
        validate_scenario({"start_date": "2021-01", "shocks": [{"at": "2020-06", "kind": "demand", "change": 0.5}]})
    assert any("is not after start_date '2021-01'" in p for p in err.value.problems)
    with pytest.raises(ScenarioError) as err:
        validate_scenario({"shocks": [{"kind": "demand", "change": 0.5}]})
    assert any("neither month nor at is given" in p for p in err.value.problems)
    base = load_scenario("baseline")
    by_date = run(base.with_overrides({"shocks": [{"at": "2021-07", "kind": "gpu_price", "change": -0.5}]}), months=20)
    by_month = run(base.with_overrides({"shocks": [{"month": month_of_date("2020-01", "2021-07"), "kind": "gpu_price",
                                                    "change": -0.5}]}), months=20)
    assert by_date.metrics.equals(by_month.metrics)
    row = by_date.metrics.set_index("date")
    assert row.loc["2021-07", "gpu_price_usd_per_hour"] < 0.75 * row.loc["2021-06", "gpu_price_usd_per_hour"]


# ---- hardware generations -----------------------------------------------------------------------------------------


def test_the_newest_generation_available_at_each_date():
    buy = ["V100", "A100-80GB", "H100-SXM", "H200", "B200"]
    assert generations.newest_available(buy, "2017-06") is None
    assert generations.newest_available(buy, "2020-01") == "V100"
    assert generations.newest_available(buy, "2022-12") == "A100-80GB"
    assert generations.newest_available(buy, "2023-03") == "H100-SXM"
    assert generations.newest_available(buy, "2025-06") == "B200"
    table = {r["id"]: r for r in read_table("hardware")}
    for hw in ("V100", "A100-80GB", "H100-SXM", "H200", "B200", "MI300X"):
        assert table[hw]["available_date_source"].startswith("[S]"), hw
        assert table[hw]["list_price_source"][:3] in ("[S]", "[D]") and float(table[hw]["list_price_usd"]) > 0, hw


def test_clouds_only_hold_hardware_available_at_the_date():
    model = ChainModel(load_scenario("history_2020"), seed=3)
    table = {r["id"]: r["available_date"] for r in read_table("hardware")}
    seen = set()
    for _ in range(60):
        model.step()
        for cloud in model.agents_of(CloudHost):
            for c in cloud.cohorts:
                seen.add(c.hardware_id)
                assert table[c.hardware_id] <= model.date, (c.hardware_id, model.date)
    assert {"V100", "A100-80GB", "H100-SXM"} <= seen


def test_a_cloud_never_rents_below_energy_plus_wear(history):
    model = ChainModel(load_scenario("history_2020"), seed=5)
    for _ in range(30):
        model.step()
        for cloud in model.agents_of(CloudHost):
            energy = cloud.kwh_per_gpu_hour * cloud.electricity_usd_per_kwh
            wear = sum(c.gpus * c.capex_per_gpu_usd for c in cloud.cohorts) / cloud.gpus / (cloud.life_years * 8760)
            assert cloud.price_usd_per_hour >= (energy + wear) * (1 - 1e-9)


# ---- capital ------------------------------------------------------------------------------------------------------


@given(st.floats(0, 1e10), st.floats(0, 1e10), st.floats(0, 5), st.floats(0, 1), st.booleans())
def test_funding_rises_with_revenue_and_follows_its_formula(rev_a, rev_b, growth, standing, leader):
    cfg = load_scenario("history_2020").capital
    lo, hi = sorted((rev_a, rev_b))
    assert capital.round_size_usd(cfg, lo, growth, standing, leader) <= capital.round_size_usd(
        cfg, hi, growth, standing, leader)
    expected = ((cfg.revenue_multiple * hi + cfg.standing_round_usd * standing ** 4) * (1 + growth) ** cfg.growth_weight
                * (cfg.leader_multiplier if leader else 1.0))
    assert capital.round_size_usd(cfg, hi, growth, standing, leader) == pytest.approx(expected)


def test_investment_enters_through_the_outside_party_and_frontier_compute_grows(history):
    f = history.flows
    rounds = f[(f.category == "investment") & (f.step > 0) & (f.payee_type == "trainer")]
    assert len(rounds) > 0 and (rounds.payer_type == "outside").all()
    m = history.metrics.set_index("date")
    growth = m.loc["2023-03", "frontier_train_flops"] / m.loc["2020-09", "frontier_train_flops"]
    assert growth > 4
    # without the investor's rounds the budgets, and so the frontier, grow far less
    sc = load_scenario("history_2020")
    off = validate_scenario(sc.model_dump() | {"capital": sc.capital.model_dump() | {"enabled": False}})
    m_off = run(off, months=40).metrics.set_index("date")
    assert m_off.loc["2023-03", "frontier_train_flops"] / m_off.loc["2020-09", "frontier_train_flops"] < growth / 2


# ---- algorithmic progress -----------------------------------------------------------------------------------------


def test_the_same_quality_costs_less_to_train_and_serve_each_year():
    sc = load_scenario("history_2020")
    k20, k22 = effective_multiplier(sc, "2020-01"), effective_multiplier(sc, "2022-01")
    halving = sc.progress.pretraining_halving_months
    assert k22 / k20 == pytest.approx(2 ** (24 / halving))
    # compute to reach a fixed loss: the 2022 run with 1/(k22/k20) of the 2020 compute reaches the 2020 loss
    alloc = scaling.optimal_allocation(1e24, sc.scaling_fit)
    loss_2020 = effective_loss(alloc.params, alloc.tokens, k20, sc.scaling_fit)
    small = scaling.optimal_allocation(1e24 / (k22 / k20), sc.scaling_fit)
    root = math.sqrt(k22 / k20)
    assert effective_loss(small.params, small.tokens, k22, sc.scaling_fit) == pytest.approx(
        scaling.loss(small.params * root * math.sqrt(k20), small.tokens * root * math.sqrt(k20), sc.scaling_fit))
    assert effective_loss(small.params, small.tokens, k22, sc.scaling_fit) < loss_2020 * 1.02
    assert serving_divisor(sc, "2023-01") / serving_divisor(sc, "2022-01") == pytest.approx(
        sc.progress.inference_gain_per_year)
    assert threshold_quality(sc, "gpt4", sc.scaling_fit) > threshold_quality(sc, "gpt35", sc.scaling_fit)


def test_the_price_at_fixed_capability_falls_once_it_exists(history):
    p = history.metrics["price_at_gpt35_level_usd_per_mtok"].dropna()
    assert len(p) > 6 and p.iloc[-1] < p.iloc[0]


# ---- two labelling tiers ------------------------------------------------------------------------------------------


def test_expert_and_crowd_tiers_differ_and_share_the_spend(history):
    model = ChainModel(load_scenario("history_2020"), seed=1)
    crowd = [lb for lb in model.agents_of(DataLabeller) if lb.tier == "crowd"]
    experts = [lb for lb in model.agents_of(DataLabeller) if lb.tier == "expert"]
    assert crowd and experts
    assert min(e.wage_usd_per_hour for e in experts) >= 20 and max(c.wage_usd_per_hour for c in crowd) <= 15
    assert min(e.price_usd_per_label for e in experts) > 10 * max(c.price_usd_per_label for c in crowd)
    assert min(e.accuracy for e in experts) > max(c.accuracy for c in crowd)
    assert max(e.bias for e in experts) < min(c.bias for c in crowd)
    m = history.metrics
    bought = m[m["label_spend_usd"] > 0]
    share = load_scenario("history_2020").trainers.post_training.expert_share
    assert len(bought) > 10
    # vendors fill the orders: the expert share of spend is the labs' split in most months
    assert (np.abs(bought["expert_label_share"] - share) < 0.05).mean() > 0.5
    assert (m["expert_label_spend_usd"] <= m["label_spend_usd"] + 1e-6).all()


# ---- money identity -----------------------------------------------------------------------------------------------


def test_money_is_conserved_on_the_history_preset(history):
    assert_money_conserved(history)


@st.composite
def dated_scenarios(draw):
    start = f"{draw(st.integers(2019, 2024))}-{draw(st.integers(1, 12)):02d}"
    sc = load_scenario("history_2020").with_overrides({
        "start_date": start, "horizon_months": draw(st.integers(3, 18)), "seed": draw(st.integers(0, 1000)),
        "capital.revenue_multiple": draw(st.floats(0, 50)), "trainers.count": draw(st.integers(1, 6)),
        "trainers.post_training.expert_share": draw(st.floats(0, 1)),
        "market.demand.chatbot.tokens_per_user_growth_per_year": draw(st.floats(0, 3)),
    })
    if draw(st.booleans()):
        at = step_date(start, draw(st.integers(1, 12)))
        sc = sc.with_overrides({"shocks": [{"at": at, "kind": draw(st.sampled_from(["gpu_price", "demand"])),
                                            "change": draw(st.floats(-0.9, 2.0))}]})
    return sc


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dated_scenarios())
def test_dated_scenarios_run_and_conserve_money(sc):
    result = run(sc)
    assert result.metrics["date"].iloc[0] == sc.start_date
    assert_money_conserved(result)
    assert np.isfinite(result.agents.cash_usd).all()
