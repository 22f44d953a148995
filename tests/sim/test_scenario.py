"""Scenario validation: one message per problem naming the field, YAML errors with their line, overrides, presets."""

from __future__ import annotations

import pytest

from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_yaml


def test_invalid_file_gets_one_message_per_problem():
    text = """
horizon_months: -3
trainers: {hardware_id: X100, count: 0}
market: {api_margin: -1, demand: {chatbots: {potential_users: 1, growth_per_month: 0, tokens_per_user_month: 1,
          reference_price_usd_per_month: 1, price_elasticity: 1}}}
policy: {bias_audit: {action: shame}}
colour: blue
"""
    with pytest.raises(ScenarioError) as err:
        scenario_from_yaml(text)
    problems = err.value.problems
    joined = "\n".join(problems)
    assert len(problems) >= 6
    assert "horizon_months: value -3" in joined and "greater than or equal to 1" in joined
    assert "trainers.hardware_id" in joined and "X100" in joined and "H100-SXM" in joined
    assert "trainers.count" in joined
    assert "market.api_margin" in joined
    assert "chatbots" in joined and "allowed" in joined
    assert "policy.bias_audit.action" in joined and "'block'" in joined
    assert "colour: unknown field" in joined


def test_bad_yaml_and_unknown_preset_are_clear():
    with pytest.raises(ScenarioError, match="not valid YAML at line 2"):
        scenario_from_yaml("a: 1\n  b: [\n")
    with pytest.raises(ScenarioError, match="preset: unknown 'nope'; allowed: .*baseline"):
        load_scenario("nope")


def test_region_shares_must_sum_to_one():
    with pytest.raises(ScenarioError, match="labellers: regions' shares sum to 0.7; allowed: shares summing to 1"):
        Scenario().with_overrides({"labellers.regions.0.share": 0.05})


def test_yaml_round_trip():
    sc = load_scenario("open_weights_shock")
    assert scenario_from_yaml(sc.to_yaml()) == sc


def test_overrides_name_the_bad_path():
    with pytest.raises(ScenarioError, match="market.no_such: no such field"):
        Scenario().with_overrides({"market.no_such": 1})


def test_numeric_fields_cover_the_levers():
    fields = Scenario.numeric_fields()
    for path in ("market.demand_growth_multiplier", "policy.carbon_price_usd_per_tco2", "clouds.fleet.H100-SXM",
                 "market.demand.chatbot.growth_per_month", "policy.wage_floor_usd_per_hour"):
        assert path in fields
