"""The chain simulation: money conservation, determinism, mechanisms and presets (validation: test_scenario.py,
clearing: test_clearing.py, the CLI: test_cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.actors import CloudHost, ServiceProvider, TrainedModel
from sim.markets import licences
from sim.metrics import METRIC_COLUMNS
from sim.model import ChainModel
from sim.month import Month
from sim.runner import RunResult, run
from sim.scenario import Scenario, load_scenario, preset_names

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ["baseline", "gpu_price_crash", "open_weights_shock", "bias_audit_mandate", "labeller_wage_floor",
           "demand_boom", "market_at_scale"]


@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    out = {}
    for name in PRESETS:
        months = 18 if name == "market_at_scale" else None
        out[name] = run(load_scenario(name), months=months)
    return out


def identity_residuals(result: RunResult) -> pd.Series:
    """Per step k >= 1: change in total agent cash minus (outside inflows - outside outflows)."""
    cash = result.agents.groupby("step")["cash_usd"].sum()
    f = result.flows
    inflow = f[f.payer_type == "outside"].groupby("step")["amount_usd"].sum()
    outflow = f[f.payee_type == "outside"].groupby("step")["amount_usd"].sum()
    steps = cash.index[1:]
    net = inflow.reindex(steps, fill_value=0.0) - outflow.reindex(steps, fill_value=0.0)
    return cash.diff().loc[steps] - net


def assert_money_conserved(result: RunResult) -> None:
    res = identity_residuals(result)
    scale = max(result.agents["cash_usd"].abs().max(), 1.0)
    assert (res.abs() <= 1e-6 * scale).all(), res[res.abs() > 1e-6 * scale].head()


# ---- presets ---------------------------------------------------------------------------------------------------------


def test_every_preset_is_listed_and_states_its_question():
    assert set(PRESETS) <= set(preset_names())
    for name in PRESETS:
        sc = load_scenario(name)
        assert sc.name == name
        assert len(sc.question) > 40 and "?" in sc.question


@pytest.mark.parametrize("name", PRESETS)
def test_money_is_conserved_every_step(runs, name):
    assert_money_conserved(runs[name])


def test_market_at_scale_has_at_least_ten_thousand_agents(runs):
    agents = runs["market_at_scale"].agents
    assert (agents.step == 0).sum() >= 10_000


def test_baseline_starts_from_nothing_and_the_chain_forms(runs):
    m = runs["baseline"].metrics
    assert len(m) == 73 and m.step.tolist() == list(range(73))
    first = m.iloc[0]
    assert first.models_available == 0 and first.apps_live == 0 and first.providers_live == 0
    first_model = m.loc[m.models_available > 0, "step"].min()
    first_api = m.loc[m.providers_live > 0, "step"].min()
    first_app = m.loc[m.apps_live > 0, "step"].min()
    assert 0 < first_model <= first_api <= first_app < 36
    last = m.iloc[-1]
    assert last.tokens_served > 0 and last.app_users > 0 and last.energy_kwh > 0
    kinds = set(runs["baseline"].events.kind)
    assert {"model_release", "api_launch", "app_launch", "run_started"} <= kinds


def test_outputs_have_the_documented_columns(runs):
    r = runs["baseline"]
    assert list(r.metrics.columns) == list(METRIC_COLUMNS)
    assert {"step", "agent_id", "agent_type", "cash_usd"} <= set(r.agents.columns)
    assert {"step", "payer_id", "payer_type", "payee_id", "payee_type", "category", "amount_usd"} <= set(r.flows.columns)
    assert {"step", "kind", "agent_id", "agent_type", "detail"} <= set(r.events.columns)
    assert set(r.agents.agent_type) == {"labeller", "trainer", "cloud", "provider", "app"}
    assert (r.flows.amount_usd > 0).all()
    # every outside flow names what it was
    outside = r.flows[(r.flows.payer_type == "outside") | (r.flows.payee_type == "outside")]
    assert set(outside.category) <= {"investment", "exit_payout", "debt_writeoff", "subscriptions", "staff_costs",
                                     "labeller_wages", "energy", "carbon_tax", "gpu_capex", "audit_fine"}


def window(result: RunResult, column: str, start: int, end: int) -> float:
    m = result.metrics.set_index("step")
    return float(m.loc[start:end, column].mean())


def test_gpu_price_crash_lowers_the_gpu_price_after_the_shock(runs):
    assert window(runs["gpu_price_crash"], "gpu_price_usd_per_hour", 24, 40) < \
        0.9 * window(runs["baseline"], "gpu_price_usd_per_hour", 24, 40)
    assert "shock" in set(runs["gpu_price_crash"].events.kind)


def test_open_weights_shock_cuts_api_prices_and_licence_revenue(runs):
    ow, base = runs["open_weights_shock"], runs["baseline"]
    assert window(ow, "api_price_usd_per_mtok", 31, 72) < 0.8 * window(base, "api_price_usd_per_mtok", 31, 72)
    assert window(ow, "licence_revenue_usd", 31, 72) < 0.5 * window(base, "licence_revenue_usd", 31, 72)
    assert "open_weights_release" in set(ow.events.kind)


def test_bias_audit_mandate_lowers_deployed_bias(runs):
    mandate, base = runs["bias_audit_mandate"], runs["baseline"]
    assert window(mandate, "deployed_bias", 1, 72) < 0.8 * window(base, "deployed_bias", 1, 72)
    # mitigation is paid for in labels: the audited labs buy more labels per model
    per_model = lambda r: r.metrics.labels_bought.sum() / max(r.metrics.models_released.sum(), 1)  # noqa: E731
    assert per_model(mandate) > per_model(base)
    assert mandate.metrics.audits_passed.iloc[-1] + mandate.metrics.audits_failed.iloc[-1] > 0


def test_wage_floor_raises_labeller_income_and_label_cost(runs):
    floor, base = runs["labeller_wage_floor"], runs["baseline"]
    assert window(floor, "labeller_wage_usd_per_hour", 1, 72) > window(base, "labeller_wage_usd_per_hour", 1, 72)
    assert floor.metrics.label_price_usd.iloc[-1] > base.metrics.label_price_usd.iloc[-1]
    floor_pay = floor.metrics.labeller_wages_usd.sum() / floor.metrics.labeller_hours.sum()
    base_pay = base.metrics.labeller_wages_usd.sum() / base.metrics.labeller_hours.sum()
    assert floor_pay >= 4.0 > base_pay
    assert floor.metrics.labellers_below_living_wage_share.iloc[-1] < base.metrics.labellers_below_living_wage_share.iloc[-1]


def test_demand_boom_serves_more_tokens_at_higher_gpu_prices(runs):
    boom, base = runs["demand_boom"], runs["baseline"]
    assert window(boom, "tokens_served", 36, 72) > 1.5 * window(base, "tokens_served", 36, 72)
    assert window(boom, "gpu_price_usd_per_hour", 36, 72) > window(base, "gpu_price_usd_per_hour", 36, 72)


def test_many_firms_mean_lower_concentration(runs):
    scale, base = runs["market_at_scale"], runs["baseline"]
    assert window(scale, "hhi_api", 12, 18) < window(base, "hhi_api", 12, 72)


# ---- mechanisms ------------------------------------------------------------------------------------------------------


def test_cloud_price_rises_with_utilisation_and_falls_without():
    model = ChainModel(Scenario(horizon_months=1))
    cloud = next(iter(model.agents_by_type[CloudHost]))
    market = model.scenario.market
    p0 = cloud.price_usd_per_hour
    cloud.utilization = 1.0
    cloud.update_price(market)
    assert cloud.price_usd_per_hour > p0
    p1 = cloud.price_usd_per_hour
    cloud.utilization = 0.1
    cloud.update_price(market)
    assert cloud.price_usd_per_hour < p1


def _model_with_one_hosted(price_markup: float) -> ServiceProvider:
    sc = Scenario(horizon_months=1).with_overrides({"clouds.price_markup": price_markup})
    model = ChainModel(sc, seed=3)
    mdl = TrainedModel(model_id=1, owner_id=-1, strategy="open_weights", params=7e10, tokens=1.4e12,
                       train_flops=6 * 7e10 * 1.4e12, loss=2.0, quality=0.7, bias=0.05, label_bias=0.05,
                       label_noise=0.05, aggregation="single", serving_params=3.5e10, optimisation="int8",
                       licence_share=0.0, release_step=0)
    model.models_registry.append(mdl)
    licences.providers_choose_and_price(model, Month(t=1))
    return next(iter(model.agents_by_type[ServiceProvider]))


def test_cheaper_gpus_give_cheaper_api_tokens():
    cheap = _model_with_one_hosted(0.5)
    dear = _model_with_one_hosted(1.0)
    assert cheap.price_usd_per_mtok == pytest.approx(dear.price_usd_per_mtok * 0.5, rel=1e-9)


def test_same_seed_gives_identical_files_and_other_seeds_differ(tmp_path):
    sc = load_scenario("baseline")
    a = run(sc, seed=7, months=30).write(tmp_path / "a")
    b = run(sc, seed=7, months=30).write(tmp_path / "b")
    c = run(sc, seed=8, months=30).write(tmp_path / "c")
    for name in ("metrics", "agents", "flows", "events"):
        fa, fb = pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        pd.testing.assert_frame_equal(fa, fb)
    assert not pd.read_parquet(a / "flows.parquet").equals(pd.read_parquet(c / "flows.parquet"))
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["versions"]["mesa"].startswith("3.3")


def test_determinism_across_processes(tmp_path):
    code = ("import sys; from sim.runner import run; from sim.scenario import load_scenario; "
            "r = run(load_scenario('baseline'), seed=5, months=24); "
            "r.metrics.to_parquet(sys.argv[1])")
    for name in ("p1.parquet", "p2.parquet"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, cwd=ROOT)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "p1.parquet"), pd.read_parquet(tmp_path / "p2.parquet"))


# ---- property: any valid scenario runs and conserves money -----------------------------------------------------------


@st.composite
def small_scenarios(draw) -> Scenario:
    overrides = {
        "horizon_months": draw(st.integers(1, 24)),
        "seed": draw(st.integers(0, 10_000)),
        "labellers.count": draw(st.integers(1, 12)),
        "trainers.count": draw(st.integers(1, 6)),
        "trainers.budget_share_per_run": draw(st.floats(0.05, 1.0)),
        "trainers.capital_usd": draw(st.floats(1e6, 1e9)),
        "clouds.count": draw(st.integers(1, 5)),
        "clouds.fleet.H100-SXM": draw(st.integers(1, 20_000)),
        "providers.count": draw(st.integers(1, 10)),
        "apps.count": draw(st.integers(1, 60)),
        "market.api_margin": draw(st.floats(0.0, 3.0)),
        "market.gpu_price_response": draw(st.floats(0.0, 2.0)),
        "market.demand_growth_multiplier": draw(st.floats(0.0, 4.0)),
        "policy.carbon_price_usd_per_tco2": draw(st.floats(0.0, 500.0)),
        "policy.bias_audit.enabled": draw(st.booleans()),
        "policy.bias_audit.action": draw(st.sampled_from(["block", "fine"])),
        "policy.open_weights_release.month": draw(st.one_of(st.none(), st.integers(0, 24))),
        "policy.wage_floor_usd_per_hour": draw(st.one_of(st.none(), st.floats(0.5, 30.0))),
    }
    sc = Scenario().with_overrides(overrides)
    if draw(st.booleans()):
        sc = sc.with_overrides({"shocks": [{"month": draw(st.integers(0, 24)), "kind": draw(
            st.sampled_from(["gpu_price", "demand"])), "change": draw(st.floats(-0.9, 2.0))}]})
    return sc


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_any_valid_scenario_runs_and_conserves_money(sc):
    result = run(sc)
    assert len(result.metrics) == sc.horizon_months + 1
    assert_money_conserved(result)
    assert np.isfinite(result.agents.cash_usd).all()


def test_optimisation_lowers_serving_flops_at_the_measured_quality_cost():
    from ecosystem.formulas import scaling
    from ecosystem.probe.profile import optimisation_loss_ratios

    model = ChainModel(Scenario(horizon_months=1))
    loss = scaling.loss(7e10, 1.4e12)
    ratios = optimisation_loss_ratios()
    n_none, l_none = model.optimiser.apply(7e10, loss, "none")
    n_int8, l_int8 = model.optimiser.apply(7e10, loss, "int8")
    n_dist, l_dist = model.optimiser.apply(7e10, loss, "distill")
    assert n_none == 7e10 and l_none == loss
    assert n_int8 == pytest.approx(7e10 * 0.5 * 989 / 989, rel=0.01)  # H100: fp8/int8 peak = 2 x bf16 peak
    assert n_dist == pytest.approx(7e10 * 0.25 * 0.5, rel=0.01)
    assert l_int8 == pytest.approx(loss * ratios["int8"]) and l_dist > l_int8 > loss
    q = [scaling.quality_from_loss(x) for x in (l_none, l_int8, l_dist)]
    assert q[0] >= q[1] > q[2]


def test_quality_index_orders_published_model_scales():
    from ecosystem.formulas import scaling

    q = [scaling.quality_from_loss(scaling.loss(n, d)) for n, d in ((1e8, 2e9), (7e9, 2e12), (7e10, 1.4e12),
                                                                     (4e11, 1.5e13))]
    assert q == sorted(q) and 0 < q[0] < q[-1] < 1
