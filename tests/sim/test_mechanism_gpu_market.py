"""The GPU-hour market: compute is sold cheapest per peak FLOP first (an H100 at 3.99 USD/h is cheaper per FLOP than
an A100 at 2.79 USD/h though dearer per hour), capacity is never exceeded, and when it is short every buyer is
rationed by the same share, so the tokens served are exactly those the inference GPU-hours sold can produce."""

from __future__ import annotations

import pytest

from sim.actors import CloudHost, ServiceProvider
from sim.markets import gpu_hours
from tests.sim.mechanisms import H100_ONLY, published_default, published_hardware, stepped_model

HOURS_PER_MONTH = 730.0


def per_flop(hw: str) -> float:
    return published_default(f"gpu_price_usd_per_hour.{hw}") / published_hardware(hw, "peak_bf16_dense_tflops")


def test_compute_is_bought_cheapest_per_flop_not_per_hour():
    assert per_flop("H100-SXM") < per_flop("A100-80GB")  # the premise, from the published prices and peaks
    assert published_default("gpu_price_usd_per_hour.H100-SXM") > published_default("gpu_price_usd_per_hour.A100-80GB")
    fleet = {"clouds.count": 2, "clouds.fleet": {"H100-SXM": 20_000, "A100-80GB": 20_000},
             "market.gpu_price_response": 0.0, "market.expansion_share": 0.0}
    months_h100_alone = 0
    for model in stepped_model(fleet, months=24):
        clouds = {c.hardware_id: c for c in model.agents_of(CloudHost)}
        h100, a100 = clouds["H100-SXM"], clouds["A100-80GB"]
        if h100.utilization < 1.0 - 1e-9:
            assert a100.hours_sold == 0.0, f"month {model.month.t}: A100s sold while H100s were idle"
        if h100.hours_sold > 0 and a100.hours_sold == 0:
            months_h100_alone += 1
    assert months_h100_alone >= 6


def test_short_capacity_rations_serving_and_training_alike(monkeypatch):
    capacity = []  # GPU-hours on offer when the market cleared (GPUs ordered earlier may come online after it)
    cleared = []  # the providers as the market left them (they may re-choose their model later in the month)
    real_clear = gpu_hours.clear

    def clear_and_look(model, month):
        real_clear(model, month)
        capacity.append(sum(c.gpus for c in model.agents_of(CloudHost)) * HOURS_PER_MONTH)
        cleared.append([(p.tokens_served, p.tokens_demanded, p.hosted.serving_params, p.serving_efficiency,
                         p.target_utilization) for p in model.agents_of(ServiceProvider)
                        if p.hosted is not None and p.tokens_demanded > 0])

    monkeypatch.setattr(gpu_hours, "clear", clear_and_look)
    short_months = 0
    for model in stepped_model({**H100_ONLY, "clouds.fleet": {"H100-SXM": 1500}}, months=30):  # often short
        m = model.month.metrics
        sold = m["gpu_hours_training"] + m["gpu_hours_inference"]
        assert sold <= capacity[-1] * (1 + 1e-9)
        assert len(cleared) == model.month.t
        serving = cleared[-1]
        # serving's GPU-hours come from the planner's roofline for each hosted model's GQA shape (sim/serving.py,
        # checked against the planner in tests/sim/test_demand_mechanisms.py); here: tokens need hours
        assert (m["gpu_hours_inference"] > 0) == (m["tokens_served"] > 0)
        shares = {round(served / wanted, 12) for served, wanted, *_ in serving}
        if sold >= capacity[-1] * (1 - 1e-9) and serving:
            short_months += 1
            assert len(shares) == 1 and next(iter(shares)) < 1.0  # one pro-rata share for every provider
        else:
            assert shares <= {1.0}
    assert short_months >= 1
