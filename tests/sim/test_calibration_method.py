"""The calibration method on a toy model with known parameters: it must recover them (the truth is accepted and
inside the accepted sets' range, the best set is near it, the accepted range is much narrower than the prior), the
refinement must not lose ground, and the outputs must say so."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments.calibration.method import assess, calibrate_function, evaluate, screening_design
from sim.experiments.calibration.spec import CalibrationSpecError, validate_calibration_spec
from sim.experiments.calibration.targets import Target, read_targets, targets_from_frame

DATES = [f"{y}-{m:02d}" for y in range(2000, 2006) for m in range(1, 13)]
YEARS = np.arange(len(DATES)) / 12.0
TRUTH = {"level": 50.0, "rate": 0.6, "share": 0.2}
PRIOR = {"level": {"low": 1.0, "high": 1000.0, "log": True}, "rate": {"low": 0.0, "high": 1.5},
         "share": {"low": 0.02, "high": 1.0, "log": True}}


def toy(params: dict[str, float], seed: int) -> pd.DataFrame:
    """A stock growing exponentially from ``level`` at ``rate`` a year with 3% noise by seed, and a monthly flow
    that is ``share`` of it."""
    rng = np.random.default_rng(seed)
    stock = params["level"] * np.exp(params["rate"] * YEARS) * np.exp(rng.normal(0.0, 0.03, len(YEARS)))
    return pd.DataFrame({"date": DATES, "stock": stock, "flow": params["share"] * stock})


def toy_targets(band: float) -> list[Target]:
    """Targets read from the true parameters' run (another seed than the calibration's), band x/÷ ``band``."""
    rows = []
    for metric, date, unit in [("stock", "2000-06", "units"), ("stock", "2002-01", "units"),
                               ("stock", "2005-12", "units"), ("flow", "2003", "units per year"),
                               ("flow", "2001", "units per month")]:
        value = read_targets(toy(TRUTH, 99), [Target(metric, date, 1, 1, 1, unit)])[0].value
        rows.append(dict(metric=metric, date=date, value=value, low=value / band, high=value * band, unit=unit))
    return targets_from_frame(pd.DataFrame(rows))


def toy_spec(**extra):
    return validate_calibration_spec({"name": "toy", "parameters": PRIOR, "samples": 300, "seeds": 3, "seed": 7,
                                      **extra})


def test_calibration_recovers_the_true_parameters(tmp_path):
    targets = toy_targets(band=1.5)
    spec = toy_spec(samples=1500, seeds=2)
    result = calibrate_function(toy, spec, targets)
    accepted = result.accepted
    assert len(accepted) >= 5
    # the truth itself is not implausible
    truth_design = pd.DataFrame([{"point_id": 0, **TRUTH}])
    truth_readings = evaluate(toy, truth_design, spec.parameter_names, result.seeds, targets)
    _, truth_points = assess(truth_readings, truth_design, spec.parameter_names, targets, result.rule)
    assert bool(truth_points["accepted"].iloc[0])
    for name, p in spec.parameters.items():
        lo, hi = accepted[name].min(), accepted[name].max()
        assert lo <= TRUTH[name] <= hi, name
        scale = math.log10 if p.log else (lambda x: x)
        prior_width = scale(p.high) - scale(p.low)
        assert (scale(hi) - scale(lo)) < 0.5 * prior_width, name  # the posterior range shrinks
    best = result.best
    assert abs(math.log10(best["level"] / TRUTH["level"])) < 0.25
    assert abs(best["rate"] - TRUTH["rate"]) < 0.15
    assert abs(math.log10(best["share"] / TRUTH["share"])) < 0.25

    out = result.write(tmp_path / "toy")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["accepted"] == len(accepted) and summary["samples"] == 1500 and summary["runs"] == 3000
    assert summary["best"]["params"] == pytest.approx(best)
    assert summary["best"]["targets_inside_tolerance"] == 5
    assert summary["parameters"]["rate"]["accepted_min"] <= 0.6 <= summary["parameters"]["rate"]["accepted_max"]
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == [t.id for t in targets]
    assert fit["inside_tolerance"].all() and (fit["implausibility"] <= 2).all()
    assert (fit["sim_p5"] <= fit["sim_median"]).all() and (fit["sim_median"] <= fit["sim_p95"]).all()
    assert (fit["accepted_sets"] == len(accepted)).all()
    assert summary["best"]["median_abs_log10_error"] == pytest.approx(fit["log10_error"].abs().median(), abs=1e-6)
    table = pd.read_csv(out / "accepted.csv")
    assert len(table) == len(accepted) and (table["implausibility"] <= 3).all()
    assert table["implausibility"].is_monotonic_increasing
    assert {f"I[{t.id}]" for t in targets} <= set(table.columns)


def test_refinement_improves_on_the_best_screened_set(tmp_path):
    targets = toy_targets(band=1.3)
    spec = toy_spec(samples=60, refine={"max_evaluations": 40})
    result = calibrate_function(toy, spec, targets)
    ref = result.refinement
    assert ref.evaluations <= 40 and len(ref.history) == ref.evaluations
    assert ref.objective <= ref.objective_start
    assert ref.objective == pytest.approx(ref.history["objective"].min())
    refined = result.points[result.points["source"] == "refine"]
    assert len(refined) == 1
    screened_best = result.points[result.points["source"] == "lhs"]["implausibility"].min()
    assert refined["implausibility"].iloc[0] <= screened_best + 1e-9
    for name, p in spec.parameters.items():
        assert p.low <= ref.params[name] <= p.high
    result.write(tmp_path / "r")
    assert len(pd.read_csv(tmp_path / "r" / "refine.csv")) == ref.evaluations


def test_the_same_spec_gives_the_same_design_and_seeds():
    targets = toy_targets(band=2.0)
    a, seeds_a = screening_design(toy_spec(), targets)
    b, seeds_b = screening_design(toy_spec(), targets)
    pd.testing.assert_frame_equal(a, b)
    assert seeds_a == seeds_b and len(set(seeds_a)) == 3
    c, _ = screening_design(toy_spec(seed=8), targets)
    assert not np.allclose(a["rate"], c["rate"])


def test_excluding_as_many_targets_as_there_are_is_refused():
    with pytest.raises(CalibrationSpecError, match=r"acceptance.exclude_worst: value 5 is not allowed; allowed: 0 "
                                                    r"to 4"):
        calibrate_function(toy, toy_spec(acceptance={"exclude_worst": 5}), toy_targets(2.0))
