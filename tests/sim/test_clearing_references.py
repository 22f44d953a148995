"""Market clearing against independent references: a brute-force solver (every order in which sellers could be
used, keep the cheapest) on small random instances, and the Herfindahl-Hirschman index on hand-computed cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.markets.clearing import hhi, merit_order_match


def brute_force_cost(demand: float, capacity: list[float], price: list[float]) -> tuple[float, float]:
    """(quantity sold, least cost) over every order of using the sellers: the least-cost allocation of a linear
    market is a vertex, and every vertex is such a greedy fill in some order."""
    sold = min(demand, sum(capacity))
    best = float("inf")
    for order in itertools.permutations(range(len(capacity))):
        left, cost = sold, 0.0
        for j in order:
            take = min(left, capacity[j])
            cost += take * price[j]
            left -= take
        best = min(best, cost)
    return sold, best


small = st.lists(st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False),
                 min_size=1, max_size=5)
prices = st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=5, max_size=5)


@settings(max_examples=150, deadline=None)
@given(small, small, prices)
def test_merit_order_is_the_least_cost_allocation(buy, sell, price):
    buy, sell, price = np.array(buy), np.array(sell), np.array(price[: len(sell)])
    b, s, q, fill = merit_order_match(buy, sell, price)
    sold, least = brute_force_cost(float(buy.sum()), sell.tolist(), price.tolist())
    assert q.sum() == pytest.approx(sold, rel=1e-9, abs=1e-9)
    assert float((q * price[s]).sum()) == pytest.approx(least, rel=1e-9, abs=1e-9)
    # every buyer gets the same share of what it asked for
    got = np.bincount(b, weights=q, minlength=len(buy))
    np.testing.assert_allclose(got, buy * fill, rtol=1e-9, atol=1e-9)
    if buy.sum() > 0:
        assert fill == pytest.approx(min(1.0, sell.sum() / buy.sum()))


def test_merit_order_by_hand():
    # 12 units wanted by two buyers (8 and 4); sellers: 5 at 3.0, 4 at 1.0, 10 at 2.0 -> 4 at 1.0, then 8 at 2.0
    b, s, q, fill = merit_order_match(np.array([8.0, 4.0]), np.array([5.0, 4.0, 10.0]), np.array([3.0, 1.0, 2.0]))
    assert fill == 1.0
    assert np.bincount(s, weights=q, minlength=3).tolist() == pytest.approx([0.0, 4.0, 8.0])
    assert float((q * np.array([3.0, 1.0, 2.0])[s]).sum()) == pytest.approx(20.0)
    # short market: 30 wanted, 19 on offer -> everyone gets 19/30, the dearest seller sells out too
    b, s, q, fill = merit_order_match(np.array([20.0, 10.0]), np.array([5.0, 4.0, 10.0]), np.array([3.0, 1.0, 2.0]))
    assert fill == pytest.approx(19 / 30)
    assert np.bincount(b, weights=q, minlength=2).tolist() == pytest.approx([20 * 19 / 30, 10 * 19 / 30])
    assert np.bincount(s, weights=q, minlength=3).tolist() == pytest.approx([5.0, 4.0, 10.0])


@pytest.mark.parametrize(("quantities", "index"), [
    ([50, 30, 20], 2500 + 900 + 400),
    ([5, 3, 2], 3800),                       # shares, not sizes
    ([1, 1], 5000),
    ([3, 1], 75 ** 2 + 25 ** 2),
    ([1, 1, 1, 1], 4 * 25 ** 2),
    ([0, 7, 0], 10_000),                     # a monopoly whatever the idle firms
    ([60, 40], 3600 + 1600),
    ([1] * 200, 200 * 0.5 ** 2),
])
def test_hhi_hand_computed(quantities, index):
    assert hhi(np.array(quantities, dtype=float)) == pytest.approx(index, rel=1e-12)


def test_nothing_to_trade_gives_no_trades_and_says_how_full():
    for buy, sell, fill in (([0.0, 0.0], [5.0], 1.0),   # nobody wants anything: every buyer is served
                            ([3.0], [0.0, 0.0], 0.0),   # nothing on offer: nobody is served
                            ([3.0], [], 0.0),
                            ([], [5.0], 1.0)):
        b, s, q, f = merit_order_match(np.array(buy), np.array(sell), np.ones(len(sell)))
        assert (len(b), len(s), len(q), f) == (0, 0, 0, fill), (buy, sell)


@given(small, small, prices)
def test_every_trade_moves_a_positive_quantity(buy, sell, price):
    b, s, q, _ = merit_order_match(np.array(buy), np.array(sell), np.array(price[: len(sell)]))
    assert (q > 0).all() and len(b) == len(s) == len(q)
    assert (b < len(buy)).all() and (s < len(sell)).all()
