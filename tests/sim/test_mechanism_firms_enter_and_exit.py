"""Entry and exit: a firm with negative cash for `exit_after_months_insolvent` months leaves (its debt written off by
the outside world, its account closed); a stage whose trailing margin beats `entry_margin` attracts entrants, each
funded by investors with the stage's starting capital. Expectations are hand-computed from the scenario."""

from __future__ import annotations

import pytest

from sim.scenario import load_scenario
from tests.sim.mechanisms import flows_of, run_with

STAFF = 1.0e6  # baseline trainers.staff_cost_usd_per_month


@pytest.mark.parametrize("limit", [3, 5])
def test_labs_without_capital_exit_after_the_stated_months_and_their_debt_is_written_off(limit):
    sc = load_scenario("baseline")
    assert sc.trainers.staff_cost_usd_per_month == STAFF
    n = sc.trainers.count
    r = run_with({"trainers.capital_usd": 1.0, "market.exit_after_months_insolvent": limit}, months=limit + 3)
    exits = r.events[r.events.kind == "exit"]
    # 1 USD of capital, 1M USD of staff a month: insolvent from month 1, so all of them leave in month `limit`
    assert len(exits) == n and set(exits.step) == {limit} and set(exits.agent_type) == {"trainer"}
    written_off = flows_of(r, "debt_writeoff")
    assert len(written_off) == n and set(written_off.payer_type) == {"outside"}
    assert written_off.amount_usd.tolist() == pytest.approx([limit * STAFF - 1.0] * n)
    assert r.metrics.n_trainers.tolist() == [n] * limit + [0] * 4
    # the account is closed: nothing is paid to or from an exited lab afterwards
    gone = set(exits.agent_id)
    later = r.flows[r.flows.step > limit]
    assert not (set(later.payer_id) | set(later.payee_id)) & gone
    assert set(r.agents[r.agents.step > limit].agent_id).isdisjoint(gone)


def test_solvent_firms_do_not_exit():
    r = run_with({"trainers.capital_usd": 1.0e12}, months=12)
    assert not (r.events[r.events.kind == "exit"].agent_type == "trainer").any()


@pytest.fixture(scope="module")
def open_door():
    return run_with({"market.entry_margin": 0.0}, months=30)


def test_entry_margin_decides_whether_firms_enter(open_door):
    closed = run_with({"market.entry_margin": 10.0}, months=30)
    assert not (closed.events.kind == "entry").any()
    assert (open_door.events.kind == "entry").sum() >= 5


def test_each_entrant_is_funded_with_its_stages_capital_and_counted(open_door):
    sc = load_scenario("baseline")
    capital = {"trainer": sc.trainers.capital_usd, "provider": sc.providers.capital_usd, "app": sc.apps.capital_usd}
    entries = open_door.events[open_door.events.kind == "entry"]
    funding = flows_of(open_door, "investment").set_index("payee_id")
    for e in entries.itertuples():
        row = funding.loc[e.agent_id]
        assert (row.step, row.payer_type, row.amount_usd) == (e.step, "outside", pytest.approx(capital[e.agent_type]))
    exits = open_door.events[open_door.events.kind == "exit"]
    m = open_door.metrics.set_index("step")
    for kind, column, initial in (("app", "n_apps", sc.apps.count), ("provider", "n_providers", sc.providers.count)):
        for step in m.index:
            entered = ((entries.agent_type == kind) & (entries.step <= step)).sum()
            left = ((exits.agent_type == kind) & (exits.step <= step)).sum()
            assert m.loc[step, column] == initial + entered - left
