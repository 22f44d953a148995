"""The clearing algorithms the markets share: merit order (quantity conserved, capacity respected, cheapest first), HHI."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.markets.clearing import hhi, merit_order_match

quantities = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=30)


@given(quantities, quantities, st.randoms())
def test_merit_order_match_conserves_quantity_and_respects_capacity(buy, sell, rnd):
    buy, sell = np.array(buy), np.array(sell)
    price = np.array([rnd.random() for _ in sell])
    b, s, q, fill = merit_order_match(buy, sell, price)
    assert len(q) <= len(buy) + len(sell)
    got = np.bincount(b, weights=q, minlength=len(buy))
    used = np.bincount(s, weights=q, minlength=len(sell))
    assert (used <= sell * (1 + 1e-9) + 1e-6).all()
    if buy.sum() > 0 and sell.sum() > 0:
        np.testing.assert_allclose(got, buy * fill, rtol=1e-6, atol=1e-6 * max(buy.sum(), 1))
        assert fill == pytest.approx(min(1.0, sell.sum() / buy.sum()))


def test_merit_order_serves_the_cheapest_seller_first():
    b, s, q, fill = merit_order_match(np.array([5.0]), np.array([10.0, 10.0]), np.array([2.0, 1.0]))
    assert fill == 1.0 and list(s) == [1] and q.sum() == pytest.approx(5.0)


def test_hhi_bounds():
    assert hhi(np.array([1.0])) == pytest.approx(10_000)
    assert hhi(np.ones(100)) == pytest.approx(100)
    assert hhi(np.zeros(3)) == 0.0
