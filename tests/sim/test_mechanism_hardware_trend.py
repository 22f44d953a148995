"""Hardware price-performance: every month the same FLOP/s rents for 2^(-1/(12 x doubling years)) of the month before
(Epoch's 2.07-year doubling for ML GPUs, read from defaults.csv); switched off, the price stays put. Utilisation
pricing and fleet growth are switched off so the trend is the only thing moving the price."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sim.mechanisms import H100_ONLY, published_default, run_with

STILL = {**H100_ONLY, "market.gpu_price_response": 0.0, "market.expansion_share": 0.0}


def test_gpu_price_falls_at_the_published_doubling_time():
    doubling = published_default("gpu_price_performance_doubling_years.ml_gpus")
    start = published_default("gpu_price_usd_per_hour.H100-SXM")
    m = run_with(STILL, months=36).metrics
    expected = start * 2.0 ** (-m.step.to_numpy() / (12 * doubling))
    np.testing.assert_allclose(m.gpu_price_usd_per_hour, expected, rtol=1e-9)
    assert 0.36 < m.gpu_price_usd_per_hour.iloc[-1] / start < 0.37  # three years: 2^(-36/24.84) = 0.366


def test_without_the_trend_the_price_stays_put():
    start = published_default("gpu_price_usd_per_hour.H100-SXM")
    m = run_with({**STILL, "market.gpu_price_performance_doubling_years": None}, months=36).metrics
    np.testing.assert_allclose(m.gpu_price_usd_per_hour, start, rtol=1e-12)


def test_a_faster_trend_gives_cheaper_compute():
    # 12 months (over 24 the fast trend would reach the cloud's marginal-cost floor, energy plus wear, about
    # 1 USD/h for an H100, which a cloud never rents below): 2^-0.25 against 2^-1
    slow = run_with({**STILL, "market.gpu_price_performance_doubling_years": 4.0}, months=12).metrics
    fast = run_with({**STILL, "market.gpu_price_performance_doubling_years": 1.0}, months=12).metrics
    ratio = fast.gpu_price_usd_per_hour.iloc[-1] / slow.gpu_price_usd_per_hour.iloc[-1]
    assert ratio == pytest.approx(2.0 ** -0.75, rel=1e-9)
