"""Carbon price: clouds pay the regulator price x tCO2 for the hours they sell, tCO2 = GPU-hours x TDP x PUE x grid
intensity (hand computation from hardware.csv and defaults.csv), and the money leaves the clouds' cash."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sim.mechanisms import H100_ONLY, flows_of, published_default, published_hardware, run_with

PRICE = 120.0


@pytest.fixture(scope="module")
def pair():
    return run_with(H100_ONLY), run_with({**H100_ONLY, "policy.carbon_price_usd_per_tco2": PRICE})


def test_without_a_carbon_price_nothing_is_charged(pair):
    free, _ = pair
    assert flows_of(free, "carbon_tax").empty and (free.metrics.carbon_tax_usd == 0).all()
    assert free.metrics.co2_t.sum() > 0  # there was carbon to price


def test_carbon_price_is_charged_on_every_tonne_by_hand(pair):
    _, priced = pair
    m = priced.metrics.set_index("step")
    hours = m.gpu_hours_training + m.gpu_hours_inference
    kwh = hours * published_hardware("H100-SXM", "tdp_w") / 1000 * published_default("pue.hyperscale")
    tco2 = kwh * published_default("grid_gco2_per_kwh.us_average") / 1e6
    np.testing.assert_allclose(m.co2_t, tco2, rtol=1e-9)
    paid = flows_of(priced, "carbon_tax").groupby("step").amount_usd.sum().reindex(m.index, fill_value=0.0)
    np.testing.assert_allclose(paid, PRICE * tco2, rtol=1e-9)
    assert paid.sum() > 1e5
    taxed = flows_of(priced, "carbon_tax")
    assert set(taxed.payer_type) == {"cloud"} and set(taxed.payee_type) == {"outside"}


def test_the_carbon_tax_comes_out_of_the_clouds_cash(pair):
    free, priced = pair
    # the price of GPU-hours follows utilisation, not cost, so until a cloud could exit the trades are the same
    # and the clouds' cash differs by exactly the tax paid so far
    months = 6
    cloud_cash = [r.agents[(r.agents.agent_type == "cloud") & (r.agents.step == months)].cash_usd.sum()
                  for r in pair]
    paid = flows_of(priced, "carbon_tax").query("step <= @months").amount_usd.sum()
    assert paid > 0
    assert cloud_cash[0] - cloud_cash[1] == pytest.approx(paid, rel=1e-9)
