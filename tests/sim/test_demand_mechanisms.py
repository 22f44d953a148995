"""The demand-side mechanisms of the calendar-time chain: clouds' GPU orders from expected demand with outside
financing (``clouds.investment``), word of mouth among apps (``market.app_network_weight``), and providers' serving
cost through the cost planner's serving model (``sim.serving``). Each is checked for direction and size against an
expectation computed here from its stated formula or from the planner called directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem import planner
from ecosystem.reference import hardware
from sim import serving
from sim.actors import CloudHost, ModelTrainer, TrainedModel
from sim.ledger import OUTSIDE
from sim.markets import gpu_investment
from sim.markets.end_users import network_pull
from sim.model import ChainModel
from sim.runner import run
from sim.scenario import load_scenario, validate_scenario
from tests.sim.test_model import assert_money_conserved

# ---- clouds order for expected demand -------------------------------------------------------------------------------


@given(st.floats(0.0, 0.15), st.integers(1, 12), st.integers(0, 12), st.floats(1e3, 1e9))
def test_expected_demand_extrapolates_the_trailing_growth(monthly_growth, window, lead, level):
    history = [level * (1 + monthly_growth) ** k for k in range(30)]
    now = sum(history[-3:]) / 3
    past = history[-3 - window:-window]
    growth = min(now / (sum(past) / len(past)), 11.0 ** (window / 12))  # cap: (1 + 10) per year
    expected = now * growth ** (lead / window)
    assert gpu_investment.expected_demand(history, lead, window, 10.0) == pytest.approx(expected, rel=1e-9)
    # it is at least the current demand and grows with the lead time
    assert gpu_investment.expected_demand(history, lead, window, 10.0) >= now * (1 - 1e-12)
    assert gpu_investment.expected_demand(history, lead + 1, window, 10.0) >= gpu_investment.expected_demand(
        history, lead, window, 10.0) * (1 - 1e-12)


def test_expected_demand_is_capped_and_never_plans_for_shrinking():
    booming = [1.0] * 6 + [100.0] * 3  # 100x in six months
    assert gpu_investment.expected_demand(booming, 6, 6, 1.0) == pytest.approx(100.0 * 2.0 ** 0.5)  # (1+1)^(6/12)
    shrinking = [100.0] * 6 + [10.0] * 3
    assert gpu_investment.expected_demand(shrinking, 6, 6, 10.0) == pytest.approx(10.0)
    assert gpu_investment.expected_demand([], 6, 6, 10.0) == 0.0


def _cloud_model(outside_share: float):
    sc = load_scenario("history_2020")
    sc = validate_scenario(sc.model_dump() | {"clouds": sc.clouds.model_dump() | {
        "investment": {"enabled": True, "outside_share": outside_share}}})
    model = ChainModel(sc, seed=1)
    model.step()
    return model, sorted(model.agents_of(CloudHost), key=lambda c: c.unique_id)[0]


@pytest.mark.parametrize("outside_share", [0.0, 0.7, 1.0])
def test_a_cloud_orders_the_capacity_its_expected_demand_needs_and_outside_capital_finances_its_share(outside_share):
    model, cloud = _cloud_model(outside_share)
    market = model.scenario.market
    cloud.pending = []
    have_pflops = cloud.gpus * cloud.peak_flops_per_s / 1e15
    # flat demand at three times what the fleet serves at the target utilisation: no growth to extrapolate
    demand = 3.0 * have_pflops * 730.0 * market.target_gpu_utilization
    cloud.demand_history = [demand] * 12
    new_peak = hardware(cloud.hardware_id).peak_bf16_flops_per_s / 1e15
    expected_gpus = math.floor((demand / 730.0 / market.target_gpu_utilization - have_pflops) / new_peak)
    cash_before = cloud.cash_usd
    model.ledger.begin_step(99)
    model.month.metrics["cloud_financing_usd"] = 0.0  # this order's financing only
    gpu_investment.order_gpus(cloud, model.month.t, market, model.scenario.clouds.investment)
    capex = expected_gpus * cloud.capex_per_gpu_usd
    assert cloud.pending and cloud.pending[0][1] == expected_gpus
    assert cloud.pending[0][0] == model.month.t + market.capacity_lead_time_months
    # the cloud pays only its own share; the rest came in from the outside party
    assert cloud.cash_usd == pytest.approx(cash_before - (1 - outside_share) * capex, rel=1e-9)
    assert model.month.metrics.get("cloud_financing_usd", 0.0) == pytest.approx(outside_share * capex, rel=1e-9)
    # with capacity on order, the same demand orders nothing more
    gpu_investment.order_gpus(cloud, model.month.t, market, model.scenario.clouds.investment)
    assert len(cloud.pending) == 1


def test_a_cloud_without_cash_for_its_share_orders_less():
    model, cloud = _cloud_model(0.5)
    cloud.pending = []
    cloud.demand_history = [1e12] * 12  # far beyond anything its cash could pay half of
    own = model.ledger.cash[cloud.unique_id]
    gpu_investment.order_gpus(cloud, model.month.t, model.scenario.market, model.scenario.clouds.investment)
    assert cloud.pending[0][1] == math.floor(own / (0.5 * cloud.capex_per_gpu_usd))
    assert cloud.cash_usd >= 0


def test_demand_led_orders_raise_capex_and_money_stays_conserved():
    sc = load_scenario("history_2020")
    off = validate_scenario(sc.model_dump() | {"clouds": sc.clouds.model_dump() | {"investment": {"enabled": False}}})
    on_run, off_run = run(sc, months=48), run(off, months=48)
    assert_money_conserved(on_run)
    capex_on, capex_off = on_run.metrics.gpu_capex_usd.sum(), off_run.metrics.gpu_capex_usd.sum()
    assert capex_on > capex_off  # the size of each order is checked against its formula above
    f = on_run.flows
    financing = f[(f.category == "investment") & (f.payee_type == "cloud") & (f.step > 0)]
    assert len(financing) > 0 and (financing.payer_type == "outside").all()
    assert financing.amount_usd.sum() == pytest.approx(on_run.metrics.cloud_financing_usd.sum(), rel=1e-9)


# ---- word of mouth among apps ---------------------------------------------------------------------------------------


def test_network_pull_is_users_plus_a_seed_to_the_weight():
    cats = np.array([0, 0, 0, 1])
    users = np.array([300.0, 100.0, 0.0, 50.0])
    live = np.array([True, True, True, True])
    assert (network_pull(cats, users, live, 2, 0.0) == 1.0).all()
    mean0 = 400.0 / 3
    expected = (users + 0.05 * np.array([mean0, mean0, mean0, 50.0]) + 1.0) ** 1.5
    assert network_pull(cats, users, live, 2, 1.5) == pytest.approx(expected)
    # an app with three times the users pulls about three times as strongly at weight 1
    pull = network_pull(cats, users, live, 2, 1.0)
    assert pull[0] / pull[1] == pytest.approx((300 + 0.05 * mean0 + 1) / (100 + 0.05 * mean0 + 1))


def test_word_of_mouth_concentrates_users_in_the_leading_apps():
    sc = load_scenario("history_2020")
    flat = validate_scenario(sc.model_dump() | {"market": sc.market.model_dump() | {"app_network_weight": 0.0}})
    strong = validate_scenario(sc.model_dump() | {"market": sc.market.model_dump() | {"app_network_weight": 1.5}})
    h_flat = run(flat, months=40).metrics.hhi_apps.iloc[-1]
    h_strong = run(strong, months=40).metrics.hhi_apps.iloc[-1]
    assert h_strong > 1.5 * h_flat


# ---- serving cost through the planner -------------------------------------------------------------------------------


def _model(params: float, optimisation: str = "none", ratio: float = 0.3) -> TrainedModel:
    served = params * ratio if optimisation == "distill" else params
    precision = "bf16" if optimisation == "none" else "fp8"
    return TrainedModel(model_id=1, owner_id=OUTSIDE, strategy="frontier", params=params, tokens=20 * params,
                        train_flops=120 * params ** 2, loss=2.0, quality=0.5, bias=0.0, label_bias=0.0,
                        label_noise=0.0, aggregation="single", serving_params=served, optimisation=optimisation,
                        licence_share=0.0, release_step=0, served_params=served, serving_precision=precision)


@pytest.mark.parametrize("params, optimisation", [(7e9, "none"), (7e10, "none"), (7e10, "int8"), (2e11, "distill")])
def test_serving_cost_is_the_planners_for_the_models_gqa_shape(params, optimisation):
    mdl = _model(params, optimisation)
    direct = planner.serving_cost_usd_per_mtok(float(f"{mdl.served_params:.3g}"), "H100-SXM", mdl.serving_precision,
                                               price_usd_per_gpu_hour=2.5, utilization=0.6, serving_efficiency=0.4)
    assert serving.usd_per_mtok(mdl, 2.5, 0.6, 0.4) == pytest.approx(direct.usd_per_million_tokens_blended)
    assert serving.usd_per_mtok(mdl, 2.5, 0.6, 0.4, divisor=4.0) == pytest.approx(
        direct.usd_per_million_tokens_blended / 4)


def test_quantised_serving_is_cheaper_and_bigger_models_cost_more():
    dense, int8 = _model(7e10), _model(7e10, "int8")
    assert serving.usd_per_mtok(int8, 2.0, 0.6, 0.5) < 0.75 * serving.usd_per_mtok(dense, 2.0, 0.6, 0.5)
    assert serving.usd_per_mtok(_model(7e9), 2.0, 0.6, 0.5) < serving.usd_per_mtok(dense, 2.0, 0.6, 0.5)


def test_a_model_too_large_for_a_node_costs_its_size_over_the_largest_fitting_size():
    huge = _model(2e12, "int8")  # 2 TB in fp8 does not fit 8 x 80 GB
    with pytest.raises(ValueError):
        planner.serving_cost_usd_per_mtok(2e12, "H100-SXM", "fp8", price_usd_per_gpu_hour=1.0, utilization=1.0)
    fits = planner.serving_cost_usd_per_mtok(5e11, "H100-SXM", "fp8", price_usd_per_gpu_hour=2.0, utilization=0.5,
                                             serving_efficiency=0.5)
    assert serving.usd_per_mtok(huge, 2.0, 0.5, 0.5) == pytest.approx(4.0 * fits.usd_per_million_tokens_blended)


# ---- research compute ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("multiple", [0.0, 4.0])
def test_labs_rent_research_hours_beside_their_run_that_train_nothing(multiple):
    sc = load_scenario("history_2020")
    sc = validate_scenario(sc.model_dump() | {"trainers": sc.trainers.model_dump() | {
        "research_compute_multiple": multiple}})
    model = ChainModel(sc, seed=2)
    checked = 0
    for _ in range(14):
        before = {lab.unique_id: (lab.run, lab.run.spend_usd, lab.run.flops_done)
                  for lab in model.agents_of(ModelTrainer) if lab.run is not None}
        model.step()
        flows = model.ledger.flows_frame()
        month = flows[(flows.step == model.month.t) & (flows.category == "training_gpu_hours")]
        labels = flows[(flows.step == model.month.t) & (flows.category == "labels")]
        for lab_id, (run_, spend0, flops0) in before.items():
            paid = month[month.payer_id == lab_id].amount_usd.sum()
            spend0 += labels[labels.payer_id == lab_id].amount_usd.sum()  # the run's human data counts in its cost
            if paid <= 0 or run_.finished:
                continue
            # the lab pays for (1 + multiple) x the hours its run uses; the run's cost counts only its own share
            assert paid == pytest.approx((1 + multiple) * (run_.spend_usd - spend0), rel=1e-9)
            assert run_.flops_done > flops0
            checked += 1
    assert checked > 0
