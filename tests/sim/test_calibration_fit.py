"""The fit measures: log10 error, tolerance, implausibility (against hand-computed values), undefined readings,
the median over seeds and the acceptance rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.calibration.fit import (AcceptanceRule, best_point, cut_implausibility, fit_over_seeds,
                                             implausibility, inside_tolerance, judge, log10_error, score, sigma_obs)
from sim.experiments.calibration.targets import Target

GPT4 = Target("price", "2023-03", 37.5, 12.0, 110.0)  # an asymmetric band
WIDE = Target("users", "2023-01", 100.0, 10.0, 1000.0)  # one decade either side


def test_implausibility_against_hand_computed_values():
    # symmetric band of one decade each side: s_obs = 0.5, so a factor of 10 off is I = 1 / 0.5 = 2
    assert implausibility(1000.0, WIDE) == pytest.approx(2.0)
    assert implausibility(10.0, WIDE) == pytest.approx(2.0)
    assert implausibility(100.0, WIDE) == 0.0
    # with a model discrepancy of 0.5 in log10: 1 / sqrt(0.25 + 0.25)
    assert implausibility(1000.0, WIDE, discrepancy_log10=0.5) == pytest.approx(1.4142136, abs=1e-6)
    # above the published value: log10(60 / 37.5) = 0.2041200, s = log10(110 / 37.5) / 2 = 0.2336807
    assert implausibility(60.0, GPT4) == pytest.approx(0.8734995, abs=1e-6)
    # below: log10(20 / 37.5) = -0.2730013, s = log10(37.5 / 12) / 2 = 0.2474250; with 0.1 discrepancy 1.0229781
    assert implausibility(20.0, GPT4) == pytest.approx(1.1033697, abs=1e-6)
    assert implausibility(20.0, GPT4, discrepancy_log10=0.1) == pytest.approx(1.0229781, abs=1e-6)
    assert log10_error(60.0, GPT4) == pytest.approx(0.2041200, abs=1e-6)
    assert sigma_obs(GPT4, above=True) == pytest.approx(0.2336807, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=1.01, max_value=100.0),
       st.floats(min_value=1.01, max_value=100.0), st.floats(min_value=1e-6, max_value=1e6))
def test_inside_the_band_is_implausibility_at_most_two(value, down, up, sim):
    target = Target("m", "2023-01", value, value / down, value * up)
    i = implausibility(sim, target)
    if inside_tolerance(sim, target):
        assert i <= 2.0 + 1e-9
    else:
        assert i >= 2.0 - 1e-9


@pytest.mark.parametrize("sim", [math.nan, 0.0, -5.0, math.inf])
def test_undefined_or_non_positive_is_implausible(sim):
    assert implausibility(sim, WIDE) == math.inf
    assert not inside_tolerance(sim, WIDE)


def test_median_over_seeds_and_nan_majority():
    rule = AcceptanceRule()
    fit = fit_over_seeds(np.array([50.0, 100.0, 1000.0, math.nan, 200.0]), ["", "", "", "no model yet", ""], WIDE,
                         rule)
    assert fit.sim_median == 150.0  # median of the four defined values
    assert fit.undefined_seeds == 1 and "undefined in 1 of 5 seeds" in fit.reason
    assert fit.implausibility == pytest.approx(math.log10(1.5) / 0.5)
    assert fit.sim_p5 == pytest.approx(np.quantile([50, 100, 200, 1000], 0.05))
    half = fit_over_seeds(np.array([math.nan, 100.0]), ["no GPT-4-level model in 2023-01", ""], WIDE, rule)
    assert half.implausibility == math.inf and not half.inside_tolerance
    assert half.reason == "no GPT-4-level model in 2023-01 (in 1 of 2 seeds)"
    zero = fit_over_seeds(np.array([0.0, 0.0, 3.0]), ["", "", ""], WIDE, rule)
    assert zero.implausibility == math.inf and "not positive" in zero.reason


def test_seed_variance_widens_the_denominator_only_when_asked():
    values = np.array([100.0, 1000.0, 10000.0])  # log10 sd = 1
    off = fit_over_seeds(values, [""] * 3, WIDE, AcceptanceRule())
    on = fit_over_seeds(values, [""] * 3, WIDE, AcceptanceRule(seed_variance=True))
    assert off.seed_sd_log10 == pytest.approx(1.0)
    assert off.implausibility == pytest.approx(2.0)
    assert on.implausibility == pytest.approx(1.0 / math.sqrt(0.25 + 1.0))


def test_acceptance_with_and_without_excluding_the_worst_target():
    targets = [Target("a", "2020-01", 100, 10, 1000), Target("b", "2020-01", 100, 10, 1000),
               Target("c", "2020-01", 100, 10, 1000)]
    # point 0: I = 0, 2, 6 ; point 1: I = 2.5, 2.5, 2.5 ; point 2: one target undefined
    sims = {0: [100, 1000, 1e5], 1: [10 ** 3.25] * 3, 2: [100, 100, math.nan]}
    rows = [(p, 0, 1, t.id, v, "" if np.isfinite(v) else "no value") for p, vs in sims.items()
            for t, v in zip(targets, vs)]
    readings = pd.DataFrame(rows, columns=["point_id", "replicate", "seed", "target", "value", "reason"])
    strict = judge(score(readings, targets, AcceptanceRule(cutoff=3)), targets, AcceptanceRule(cutoff=3))
    assert list(strict["accepted"]) == [False, True, False]
    assert list(strict["max_implausibility"].round(6)) == [6.0, 2.5, math.inf]
    assert list(strict["worst_target"]) == ["c@2020-01", "a@2020-01", "c@2020-01"]
    assert list(strict["targets_inside"]) == [2, 0, 2]
    assert best_point(strict) == 1
    rule = AcceptanceRule(cutoff=3, exclude_worst=1)
    loose = judge(score(readings, targets, rule), targets, rule)
    assert list(loose["implausibility"].round(6)) == [2.0, 2.5, 0.0]
    assert list(loose["accepted"]) == [True, True, True]
    assert best_point(loose) == 2
    assert cut_implausibility(np.array([1.0, 5.0, 3.0]), 5) == 1.0  # never beyond the last target
