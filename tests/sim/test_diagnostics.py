"""Replicate statistics, price decompositions and plausibility checks over run frames (sim.experiments.replicates,
sim.diagnostics): the parts of each price add up to the price paid, figures match formulas computed here, checks
fire on the states they describe and stay quiet otherwise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from ecosystem import planner
from ecosystem.reference import default
from sim.actors.cloud import gpu_capex_usd
from sim.diagnostics import prices
from sim.diagnostics.checks import run_checks
from sim.diagnostics.costs import gpu_cost_floor
from sim.experiments.replicates import Spread, bands, paired_test, replicate_seeds
from sim.runner import run
from sim.scenario import load_scenario


@pytest.fixture(scope="module")
def baseline_runs():
    sc = load_scenario("baseline").with_overrides({"horizon_months": 48})
    return sc, [run(sc, seed=s, collect_agents=False) for s in replicate_seeds(sc.seed, 3)]


def test_replicate_seeds_start_at_the_scenarios_own_and_wrap():
    assert replicate_seeds(42, 3) == [42, 43, 44]
    assert replicate_seeds(2**32 - 1, 2) == [2**32 - 1, 0]
    with pytest.raises(ValueError, match="replicates: 0"):
        replicate_seeds(1, 0)


def test_paired_test_is_exact_wilcoxon_on_paired_seeds():
    # 8 pairs all shifted the same way: the exact two-sided p is 2 / 2**8
    t = paired_test([float(i + 1) for i in range(8)], [0.0] * 8)
    assert t.p_value == pytest.approx(2 / 256) and t.finding and t.n_pairs == 8
    same = paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.p_value == 1.0 and not same.finding
    with_nan = paired_test([1.0, math.nan, 3.0], [0.0, 0.0, 0.0])
    assert with_nan.n_pairs == 2
    assert paired_test([1.0], [0.0]).test == "none"


@given(hs.lists(hs.floats(-1e6, 1e6), min_size=1, max_size=30))
@settings(max_examples=50, deadline=None)
def test_spread_is_ordered(values):
    s = Spread.of(values)
    assert s.q05 <= s.q25 <= s.median <= s.q75 <= s.q95
    assert s.n == len(values)


def test_bands_over_seeds_hold_the_median(baseline_runs):
    _, runs = baseline_runs
    b = bands([r.metrics for r in runs], "app_users")
    stacked = np.vstack([r.metrics["app_users"].to_numpy() for r in runs])
    assert np.allclose(b["median"], np.median(stacked, axis=0))
    assert (b["q05"] <= b["median"]).all() and (b["median"] <= b["q95"]).all()


def test_api_price_parts_add_up_to_the_metric(baseline_runs):
    sc, runs = baseline_runs
    for r in runs:
        p = prices.price_parts(r.metrics, r.flows, sc)
        served = p.merge(r.metrics[["step", "api_price_usd_per_mtok", "tokens_served"]], on="step",
                         suffixes=("", "_metric"))
        served = served[served["tokens_served"] > 0]
        assert len(served) > 12
        # the price paid (ledger) is the metric's token-weighted price in every month (a provider no app chose
        # serves nothing that month: no stale tokens from an earlier one in the metric or its licence bill)
        np.testing.assert_allclose(served["api_price_usd_per_mtok"], served["api_price_usd_per_mtok_metric"],
                                   rtol=1e-9)
        total = served[["api_serving_usd_per_mtok", "api_licence_usd_per_mtok", "api_margin_usd_per_mtok"]].sum(1)
        assert np.allclose(total, served["api_price_usd_per_mtok"])
        # serving = GPU-hours per 1M tokens x price paid per GPU-hour
        assert np.allclose(served["serving_gpu_hours_per_mtok"] * served["serving_gpu_price_usd_per_hour"],
                           served["api_serving_usd_per_mtok"])


def test_serving_split_sums_exactly_to_the_serving_change(baseline_runs):
    sc, runs = baseline_runs
    crash = sc.with_overrides({"shocks": [{"month": 24, "kind": "gpu_price", "change": -0.5}]})
    a = [prices.price_parts(r.metrics, r.flows, crash) for r in
         (run(crash, seed=s, collect_agents=False) for s in replicate_seeds(sc.seed, 3))]
    b = [prices.price_parts(r.metrics, r.flows, sc) for r in runs]
    change = prices.compare_api_price(a, b, [48])
    assert change.driver is not None
    size, gpu = prices.serving_split(change)
    serving = next(p for p in change.parts if p.name == "api_serving_usd_per_mtok")
    # mean over seeds of products is not the product of means: the split is exact per seed, close on means
    h0, h1 = change.context["serving_gpu_hours_per_mtok"]
    p0, p1 = change.context["serving_gpu_price_usd_per_hour"]
    assert size + gpu == pytest.approx(h1 * p1 - h0 * p0)
    sentence = prices.api_sentence(change, "month 48")
    assert "the part that moved most is the" in sentence and f"{change.scenario:,.3f}" in sentence
    assert not math.isnan(serving.change)


def test_gpu_cost_floor_follows_energy_depreciation_and_shocks():
    sc = load_scenario("gpu_price_crash")
    c = gpu_cost_floor(sc, np.array([1, 23, 24, 48]))
    fleet = list(sc.clouds.fleet.items())
    hws = [fleet[i % len(fleet)] for i in range(sc.clouds.count)]
    w = np.array([n for _, n in hws], float) / sum(n for _, n in hws)
    kwh = np.array([planner.energy_kwh_per_gpu_hour(hw, sc.clouds.pue) for hw, _ in hws])
    energy = w @ (kwh * (sc.clouds.electricity_usd_per_kwh
                         + sc.clouds.grid_gco2_per_kwh / 1e6 * sc.policy.carbon_price_usd_per_tco2))
    assert np.allclose(c["energy_usd_per_gpu_hour"], energy)
    d = sc.market.gpu_price_performance_doubling_years
    capex = w @ np.array([gpu_capex_usd(hw) for hw, _ in hws])
    life_h = default("gpu_useful_life_years") * 8760
    expect = capex * 2 ** (-np.array([1, 23, 24, 48]) / (12 * d)) * np.array([1, 1, 0.5, 0.5]) / life_h
    assert np.allclose(c["depreciation_usd_per_gpu_hour"], expect)


def test_checks_fire_on_the_states_they_describe():
    base = load_scenario("baseline").with_overrides({"horizon_months": 36})
    r = run(base, collect_agents=False)
    kinds = {f.kind for f in run_checks(base, r.metrics, r.flows)}
    assert "chain_never_forms" not in kinds and "nothing_deployed" not in kinds
    blocked = base.with_overrides({"policy.bias_audit.enabled": True, "policy.bias_audit.threshold": 0.01,
                                   "policy.bias_audit.action": "block"})
    r = run(blocked, collect_agents=False)
    found = {f.kind: f for f in run_checks(blocked, r.metrics, r.flows)}
    assert "nothing_deployed" in found and "threshold 0.01" in found["nothing_deployed"].message
    assert "chain_never_forms" in found
    # a GPU price pushed below the cost floor is reported with its month
    cheap = base.with_overrides({"shocks": [{"month": 6, "kind": "gpu_price", "change": -0.9}]})
    r = run(cheap, collect_agents=False)
    found = {f.kind: f for f in run_checks(cheap, r.metrics, r.flows)}
    m = r.metrics[r.metrics["step"] >= 1].reset_index(drop=True)
    cost = gpu_cost_floor(cheap, m["step"].to_numpy())
    below = m["gpu_price_usd_per_hour"] < cost["marginal_cost_usd_per_gpu_hour"]
    assert ("gpu_below_cost" in found) == bool(below.any())
    if below.any():
        assert found["gpu_below_cost"].month == int(m.loc[below, "step"].iloc[0])


def test_bias_audit_mandate_preset_fails_some_models():
    sc = load_scenario("bias_audit_mandate")
    last = run(sc, collect_agents=False).metrics.iloc[-1]
    assert last["audits_failed"] > 0 and last["audits_passed"] > 0
