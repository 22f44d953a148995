"""The ledger on hand-built books (every figure below is worked by hand) and the outside-flow metrics of a run
against an independent sum of its flows by direction."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import OUTSIDE, Ledger
from tests.sim.mechanisms import run_with


def books() -> Ledger:
    """Investors fund lab 1 with 100 and cloud 2 with 50; the lab pays the cloud 30; the cloud pays 7 of energy."""
    ledger = Ledger(capacity=4)
    ledger.open_account(1, "trainer")
    ledger.open_account(2, "cloud")
    ledger.begin_step(0)
    ledger.pay(OUTSIDE, 1, 100.0, "investment")
    ledger.pay(OUTSIDE, 2, 50.0, "investment")
    ledger.begin_step(1)
    ledger.pay(1, 2, 30.0, "training_gpu_hours")
    ledger.pay_many(np.array([2]), OUTSIDE, np.array([7.0]), "energy")
    return ledger


def test_hand_built_books_balance():
    ledger = books()
    assert (ledger.balance(1), ledger.balance(2)) == (70.0, 73.0)
    assert (ledger.outside_in, ledger.outside_out) == (0.0, 7.0)  # this step's: only the energy bill left
    flows = ledger.flows_frame()
    assert flows[["step", "payer_id", "payee_id", "amount_usd"]].values.tolist() == [
        [0, -1, 1, 100.0], [0, -1, 2, 50.0], [1, 1, 2, 30.0], [1, 2, -1, 7.0]]
    assert flows.payer_type.tolist() == ["outside", "outside", "trainer", "cloud"]
    assert flows.category.tolist() == ["investment", "investment", "training_gpu_hours", "energy"]


def test_outside_totals_take_each_flow_by_its_direction():
    ledger = Ledger(capacity=4)
    ledger.open_account(0, "app")
    ledger.begin_step(3)
    ledger.pay(OUTSIDE, 0, 40.0, "subscriptions")
    ledger.pay(0, OUTSIDE, 15.0, "staff_costs")
    ledger.pay_many(np.array([OUTSIDE, 0]), np.array([0, OUTSIDE]), np.array([2.5, 1.25]), "investment")
    assert (ledger.outside_in, ledger.outside_out) == (42.5, 16.25)
    assert ledger.balance(0) == 40.0 - 15.0 + 2.5 - 1.25


def test_a_closed_account_can_neither_pay_nor_be_paid():
    ledger = books()
    ledger.close_account(1)  # 70 left: paid out to investors, balance zero
    assert ledger.balance(1) == 0.0
    assert ledger.flows_frame().iloc[-1][["payer_id", "payee_id", "category", "amount_usd"]].tolist() == [
        1, -1, "exit_payout", 70.0]
    with pytest.raises(ValueError, match="closed"):
        ledger.pay(2, 1, 5.0, "training_gpu_hours")
    with pytest.raises(ValueError, match="closed"):
        ledger.pay(1, 2, 5.0, "training_gpu_hours")
    with pytest.raises(ValueError, match="closed"):
        ledger.pay_many(np.array([2, 2]), np.array([1, OUTSIDE]), np.array([1.0, 1.0]), "energy")
    with pytest.raises(ValueError, match="closed|unknown"):
        ledger.pay(OUTSIDE, 3, 1.0, "investment")  # never opened
    assert ledger.balance(2) == 73.0  # nothing moved


def test_refused_payments_leave_no_trace():
    ledger = books()
    before = ledger.flows_frame()
    ledger.close_account(2)
    n = len(ledger.flows_frame())
    for bad in (lambda: ledger.pay(1, 2, 1.0, "training_gpu_hours"),
                lambda: ledger.pay(1, 2, -1.0, "training_gpu_hours"),
                lambda: ledger.pay_many(np.array([1]), np.array([2]), np.array([1.0]), "training_gpu_hours")):
        with pytest.raises(ValueError):
            bad()
    assert len(ledger.flows_frame()) == n == len(before) + 1 and ledger.balance(1) == 70.0


def test_outside_inflow_and_outflow_metrics_match_the_flows_by_direction():
    r = run_with(months=24)
    f = r.flows
    steps = r.metrics.step
    inflow = f[f.payer_type == "outside"].groupby("step").amount_usd.sum().reindex(steps, fill_value=0.0)
    outflow = f[f.payee_type == "outside"].groupby("step").amount_usd.sum().reindex(steps, fill_value=0.0)
    m = r.metrics.set_index("step")
    np.testing.assert_allclose(m.outside_inflow_usd, inflow.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.outside_outflow_usd, outflow.to_numpy(), rtol=1e-12)
    # and they are not the same series: money comes in as subscriptions and investment, leaves as costs
    assert not np.allclose(m.outside_inflow_usd, m.outside_outflow_usd)
    cash = r.agents.groupby("step").cash_usd.sum()
    residual = cash.diff().iloc[1:] - (m.outside_inflow_usd - m.outside_outflow_usd).iloc[1:]
    assert (residual.abs() <= 1e-6 * cash.abs().max()).all()


def test_accounts_beyond_the_capacity_grow_the_books():
    ledger = Ledger(capacity=2)
    ledger.open_account(1, "trainer")
    ledger.pay(OUTSIDE, 1, 10.0, "investment")
    ledger.open_account(2, "cloud")      # exactly the capacity
    ledger.open_account(100, "provider")  # far beyond it
    assert (ledger.balance(1), ledger.balance(2), ledger.balance(100)) == (10.0, 0.0, 0.0)
    ledger.pay(1, 2, 4.0, "training_gpu_hours")
    ledger.pay_many(np.array([2]), np.array([100]), np.array([1.5]), "inference_gpu_hours")
    assert (ledger.balance(1), ledger.balance(2), ledger.balance(100)) == (6.0, 2.5, 1.5)
    flows = ledger.flows_frame()
    assert flows.payer_type.tolist() == ["outside", "trainer", "cloud"]
    assert flows.payee_type.tolist() == ["trainer", "cloud", "provider"]
    with pytest.raises(ValueError, match="closed or unknown"):
        ledger.pay(1, 50, 1.0, "labels")  # inside the grown books, never opened


def test_zero_payments_are_dropped_and_bad_amounts_named():
    ledger = books()
    n = len(ledger.flows_frame())
    ledger.pay(1, 2, 0.0, "training_gpu_hours")
    ledger.pay_many(np.array([1, 2]), np.array([2, 1]), np.array([0.0, 0.0]), "training_gpu_hours")
    assert len(ledger.flows_frame()) == n and ledger.balance(1) == 70.0
    with pytest.raises(ValueError, match=r"^payment refused: energy from cloud 2 to outside of -1.0 USD at month "
                                         r"\d+; allowed: a finite amount >= 0$"):
        ledger.pay(2, OUTSIDE, -1.0, "energy")
    with pytest.raises(ValueError, match=r"energy .* of nan USD"):
        ledger.pay(2, OUTSIDE, float("nan"), "energy")
    with pytest.raises(ValueError, match=r"payment refused: energy .* allowed: a finite amount >= 0"):
        ledger.pay_many(np.array([2, 2]), OUTSIDE, np.array([1.0, -1.0]), "energy")
    with pytest.raises(ValueError, match=r"payment refused: energy .* allowed: a finite amount >= 0"):
        ledger.pay_many(np.array([2, 2]), OUTSIDE, np.array([1.0, np.nan]), "energy")
    assert len(ledger.flows_frame()) == n and ledger.balance(2) == 73.0


def test_infinite_payments_are_refused_naming_the_category():
    ledger = books()
    with pytest.raises(ValueError, match=r"payment refused: energy .* allowed: a finite amount"):
        ledger.pay(2, OUTSIDE, float("inf"), "energy")
    with pytest.raises(ValueError, match=r"payment refused: energy .* allowed: a finite amount"):
        ledger.pay_many(np.array([2]), OUTSIDE, np.array([np.inf]), "energy")


def test_closing_settles_any_balance_with_the_outside_world():
    ledger = Ledger(capacity=8)
    for i in range(3):
        ledger.open_account(i, "app")
    ledger.pay(OUTSIDE, 0, 0.5, "investment")  # a small positive balance
    ledger.pay(1, OUTSIDE, 2.25, "staff_costs")  # in debt
    for i in range(3):
        ledger.close_account(i)
    flows = ledger.flows_frame()
    assert flows.iloc[2:][["payer_id", "payee_id", "category", "amount_usd"]].values.tolist() == [
        [0, -1, "exit_payout", 0.5], [-1, 1, "debt_writeoff", 2.25]]  # nothing for the empty account
    assert [ledger.balance(i) for i in range(3)] == [0.0, 0.0, 0.0]


def test_flows_frame_has_the_same_columns_and_types_empty_or_not():
    empty = Ledger(capacity=2).flows_frame()
    full = books().flows_frame()
    assert list(empty.columns) == list(full.columns) == [
        "step", "payer_id", "payer_type", "payee_id", "payee_type", "category", "amount_usd"]
    assert empty.empty
    assert [str(t) for t in full.dtypes] == [str(t) for t in empty.dtypes]
    assert [str(full.dtypes[c]) for c in ("step", "payer_id", "payee_id", "amount_usd")] == [
        "int32", "int64", "int64", "float64"]


def test_flows_by_type_sums_the_hand_built_books_by_party_type():
    ledger = books()
    ledger.pay(1, 2, 5.0, "training_gpu_hours")  # a second payment in the same group: summed
    by_type = ledger.flows_by_type()
    rows = [tuple(r) for r in by_type.itertuples(index=False)]
    assert rows == [(0, "outside", "cloud", "investment", 50.0), (0, "outside", "trainer", "investment", 100.0),
                    (1, "cloud", "outside", "energy", 7.0), (1, "trainer", "cloud", "training_gpu_hours", 35.0)]
    assert Ledger().flows_by_type().columns.tolist() == ["step", "payer_type", "payee_type", "category",
                                                         "amount_usd"]


def test_flows_by_type_equals_grouping_the_per_payment_frame():
    """The replicates' fast path (``run(..., collect_flows=False)``) gives exactly (same floats, order and dtypes)
    what grouping the full per-payment frame gives."""
    import pandas as pd

    from sim.experiments.replicates import flows_by_type
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario("baseline").with_overrides({"horizon_months": 30})
    full = run(scenario, seed=5, collect_agents=False)
    fast = run(scenario, seed=5, collect_agents=False, collect_flows=False)
    assert fast.flows.empty and full.flows_by_type is None
    pd.testing.assert_frame_equal(fast.flows_by_type, flows_by_type(full.flows), check_exact=True)
