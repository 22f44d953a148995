"""The dashboard's plain functions: levers (scenario overrides, URL round trip), money-flow aggregation (conserved),
value captured (adds up to the outside world's trade), KPIs, number formatting, the monthly story, uploads."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.charts import flows as flow_charts
from dashboard.charts.format import human
from dashboard.charts.style import ACTOR_LABELS
from dashboard.components import kpis, levers, narrative, state
from sim.runner import run
from sim.scenario import load_scenario

BASE = load_scenario("baseline")


@pytest.fixture(scope="module")
def result():
    return run(BASE.with_overrides({"horizon_months": 36, "policy.bias_audit.enabled": True}))


# ---- levers --------------------------------------------------------------------------------------------------------


def test_levers_at_the_preset_values_change_nothing():
    values = levers.values_from_scenario(BASE)
    assert levers.changed(values, values) == {}
    assert levers.apply(BASE, values).content_key() == BASE.content_key()
    assert levers.url_params("baseline", values, BASE) == {"preset": "baseline"}


def test_levers_apply_to_the_named_fields():
    values = levers.values_from_scenario(BASE) | {
        "demand": 1.7, "wage_floor": 6.5, "audit": True, "audit_threshold": 0.05, "audit_action": "fine",
        "carbon": 120.0, "ow": True, "ow_month": 20, "shock_pct": -40, "shock_month": 18, "seed": 7, "horizon": 48}
    s = levers.apply(BASE, values)
    assert s.market.demand_growth_multiplier == 1.7
    assert s.policy.wage_floor_usd_per_hour == 6.5
    assert (s.policy.bias_audit.enabled, s.policy.bias_audit.threshold, s.policy.bias_audit.action) == (
        True, 0.05, "fine")
    assert s.policy.carbon_price_usd_per_tco2 == 120.0
    assert s.policy.open_weights_release.month == 20
    assert [(sh.month, sh.kind, sh.change) for sh in s.shocks][-1] == (18, "gpu_price", -0.4)
    assert (s.seed, s.horizon_months) == (7, 48)
    ref = levers.reference_for(BASE, values)
    assert (ref.seed, ref.horizon_months, ref.market.demand_growth_multiplier, ref.shocks) == (7, 48, 1.0, [])
    # the switches' dependants travel only with their switch
    off = values | {"audit": False, "ow": False, "shock_pct": 0}
    assert not {"audit_threshold", "audit_action", "ow_month", "shock_month"} & set(
        levers.changed(off, levers.values_from_scenario(BASE)))


lever_values = st.fixed_dictionaries({
    "demand": st.floats(0, 5).map(lambda x: round(x, 1)),
    "wage_floor": st.floats(0, 40).map(lambda x: round(x * 4) / 4),
    "carbon": st.floats(0, 1000).map(lambda x: float(round(x / 5) * 5)),
    "audit": st.booleans(),
    "audit_threshold": st.integers(1, 30).map(lambda i: i / 100),
    "audit_action": st.sampled_from(["block", "fine"]),
    "ow": st.booleans(),
    "ow_month": st.integers(0, 72),
    "shock_pct": st.integers(-18, 40).map(lambda i: 5 * i),
    "shock_month": st.integers(0, 72),
    "seed": st.integers(0, 2**32 - 1),
    "horizon": st.integers(72, 240),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lever_values)
def test_url_round_trip_reproduces_the_scenario(values):
    """Levers -> URL parameters -> parsed back (as a fresh session would) -> the same scenario."""
    base_values = levers.values_from_scenario(BASE)
    full = base_values | values
    params = levers.url_params("baseline", full, BASE)
    parsed = dict(base_values)
    for name, text in params.items():
        if name != "preset":
            parsed[name] = levers.parse(levers.LEVERS[name], text)
    if "ow_month" in params and "ow" not in params:
        parsed["ow"] = True
    assert levers.apply(BASE, parsed).content_key() == levers.apply(BASE, full).content_key()


@pytest.mark.parametrize("name, text, message", [
    ("demand", "7", "demand='7' is out of range; allowed: 0 to 5"),
    ("horizon", "12.5", "horizon='12.5' is not a whole number"),
    ("audit", "maybe", "audit='maybe' is not allowed; allowed: 1 or 0"),
    ("audit_action", "warn", "audit_action='warn' is not allowed; allowed: block, fine"),
    ("carbon", "nan", "carbon='nan' is out of range"),
])
def test_bad_lever_text_is_named(name, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        levers.parse(levers.LEVERS[name], text)


# ---- flows, value captured, KPIs -------------------------------------------------------------------------------------


def test_money_flows_conserve_every_dollar(result):
    by_type = state.aggregate_flows(result.flows)
    assert by_type["amount_usd"].sum() == pytest.approx(result.flows["amount_usd"].sum(), rel=1e-12)
    links = flow_charts.money_flows(by_type)
    assert links["amount_usd"].sum() == pytest.approx(result.flows["amount_usd"].sum(), rel=1e-12)
    month = flow_charts.money_flows(by_type, step=20)
    assert month["amount_usd"].sum() == pytest.approx(result.flows.loc[result.flows["step"] == 20, "amount_usd"].sum())
    # the outside world is split by category: money enters only from end users and investors
    outside_sources = set(links["source"]) - set(ACTOR_LABELS.values())
    assert outside_sources == {"End users", "Investors (funding)"}
    inflow = result.flows.loc[result.flows["payer_type"] == "outside", "amount_usd"].sum()
    assert links.loc[links["source"].isin(outside_sources), "amount_usd"].sum() == pytest.approx(inflow, rel=1e-12)
    assert not set(links["source"]) & {"Utilities", "Hardware vendors", "Regulator", "Workers & staff"}


def test_value_captured_adds_up_to_the_chains_trade_with_the_outside(result):
    flows = result.flows
    by_type = state.aggregate_flows(flows)
    v = flow_charts.value_captured(by_type)
    trade = flows[~flows["category"].isin(flow_charts.FINANCING)]
    inflow = trade.loc[trade["payer_type"] == "outside", "amount_usd"].sum()
    outflow = trade.loc[trade["payee_type"] == "outside", "amount_usd"].sum()
    assert v["value_captured_usd"].sum() == pytest.approx(inflow - outflow, rel=1e-9)
    apps = v.set_index("agent_type").loc["app"]
    subs = flows.loc[flows["category"] == "subscriptions", "amount_usd"].sum()
    assert apps["revenue_usd"] == pytest.approx(subs, rel=1e-12)


def test_kpis_follow_their_definitions(result):
    m = result.metrics
    k = {x.key: x for x in kpis.kpis(m)}
    months = m[m["step"] >= 1]
    wage = months["labeller_wages_usd"].sum() / months["labeller_hours"].sum()
    assert k["labeller_wage"].value == pytest.approx(wage)
    assert k["co2"].value == pytest.approx(months["co2_t"].sum())
    assert k["app_users"].value == m["app_users"].iloc[-1]
    assert k["app_users"].delta(k["app_users"]) == "no change vs preset"
    bigger = kpis.Kpi("x", "x", 150.0, "users", "", "higher", "")
    assert bigger.delta(kpis.Kpi("x", "x", 100.0, "users", "", "higher", "")) == "+50.0% vs preset"


@pytest.mark.parametrize("value, unit, text", [
    (4.416e9, "USD", "4.42B USD"), (416_266_100, "users", "416M users"), (0.0531, "", "0.0531"),
    (1234.5, "kWh", "1.23k kWh"), (8.7e23, "FLOPs", "8.70e23 FLOPs"), (-2.5e6, "USD", "-2.50M USD"),
    (math.nan, "USD", "n/a")])
def test_human_numbers_carry_their_unit(value, unit, text):
    assert human(value, unit) == text


# ---- the monthly story ---------------------------------------------------------------------------------------------


def test_month_story_covers_six_stages_and_the_first_model(result):
    m, ev = result.metrics, result.events
    first = int(m.loc[m["models_available"] > 0, "step"].iloc[0])
    headline, stories = narrative.month_story(m, ev, result.scenario, first)
    assert headline.startswith(f"Month {first}:") and "first models" in headline
    assert [s for s, _ in stories] == list(narrative.STAGES)
    row = m.set_index("step").loc[first]
    assert f"{int(row['models_available'])} models can be deployed" in stories[2][1]
    assert "audits" in stories[2][1].lower()
    for step in (1, int(m["step"].max())):
        _, stories = narrative.month_story(m, ev, result.scenario, step)
        assert all(text for _, text in stories)


# ---- uploads -------------------------------------------------------------------------------------------------------


def test_upload_problems_name_the_field(monkeypatch):
    fake_session: dict = {}
    monkeypatch.setattr(state.st, "session_state", fake_session)
    name, problems = state.add_upload("bad.yaml", b"horizon_months: -5\nmarket:\n  demand_growth_multiplier: 99\n"
                                                  b"colour: red\n")
    assert name is None
    text = "\n".join(problems)
    assert "horizon_months: value -5 is not allowed" in text
    assert "market.demand_growth_multiplier" in text
    assert "colour: unknown field" in text
    assert state.add_upload("b.yaml", b"\xff\xfe")[1][0].startswith("file: 'b.yaml' is not UTF-8 text")
    assert state.add_upload("c.yaml", b"horizon_months: [1, 2\n")[1][0].startswith("file: not valid YAML")
    name, problems = state.add_upload("mine.yaml", b"name: mine\nhorizon_months: 24\n")
    assert (name, problems) == ("mine", []) and "mine" in fake_session["uploads"]


def test_results_zip_holds_every_frame_identical_to_the_run():
    import io
    import zipfile

    import pandas as pd

    scenario = BASE.with_overrides({"horizon_months": 18})
    lean = run(scenario, collect_agents=False)  # what the dashboard caches
    data = state.results_zip(lean, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        metrics = pd.read_csv(zf.open("metrics.csv"))
        agents = pd.read_csv(zf.open("agents.csv"))
        assert zf.read("scenario.yaml").decode() == scenario.to_yaml()
    assert len(agents) > 0  # repeated with the per-agent frame
    pd.testing.assert_frame_equal(metrics, lean.metrics.reset_index(drop=True), check_dtype=False, rtol=1e-12)
