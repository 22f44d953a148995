"""Calibration specs: every problem reported at once, each naming the field, the value and what is allowed."""

from __future__ import annotations

import pytest

from sim.experiments.calibration.spec import (DEFAULT_TARGETS, CalibrationSpecError, calibration_spec_from_yaml,
                                              load_calibration_spec, targets_path, validate_calibration_spec)

GOOD = {"name": "ok", "parameters": {"market.api_margin": {"low": 0.1, "high": 0.6}}, "samples": 10}


def problems(data) -> list[str]:
    with pytest.raises(CalibrationSpecError) as err:
        validate_calibration_spec(data)
    return err.value.problems


def test_a_good_spec_gets_the_defaults():
    spec = validate_calibration_spec(GOOD)
    assert spec.targets == DEFAULT_TARGETS and spec.seeds == 1 and spec.refine is None
    assert spec.acceptance.cutoff == 3.0 and spec.acceptance.exclude_worst == 0
    assert spec.base.scenario == "baseline"
    assert targets_path(spec).name == "calibration_targets.csv" and targets_path(spec).exists()


def test_every_problem_names_its_field():
    found = problems({"name": "bad name", "parameters": {"market.api_margin": [0.1, 0.2],
                                                        "clouds.price_markup": {"low": 2, "high": 1},
                                                        "x": {"low": 1, "high": 2, "levels": 3}},
                      "samples": 1, "seeds": 0, "acceptance": {"cutoff": -1, "colour": "red"},
                      "refine": {"method": "annealing"}, "start_date": "2020"})
    text = "\n".join(found)
    assert "name: value 'bad name' is not allowed; allowed: String should match pattern" in text
    assert "parameters.market.api_margin: value list [0.1, 0.2] is not allowed; allowed: a range {low, high}" in text
    assert "parameters.clouds.price_markup: range low=2.0 is not below high=1.0" in text
    assert "samples: value 1 is not allowed; allowed: greater than or equal to 2" in text
    assert "seeds: value 0 is not allowed; allowed: greater than or equal to 1" in text
    assert "acceptance.cutoff: value -1 is not allowed; allowed: greater than 0" in text
    assert "acceptance.colour: unknown field; remove it or check its spelling" in text
    assert "refine.method: value 'annealing' is not allowed; allowed: 'nelder-mead' or 'powell'" in text
    assert "start_date: value '2020' is not allowed; allowed: YYYY-MM" in text


def test_value_lists_and_levels_are_refused():
    found = problems({**GOOD, "parameters": {"market.api_margin": {"values": [0.1, 0.2]},
                                             "clouds.price_markup": {"low": 1, "high": 2, "levels": 3}}})
    assert found == ["parameters.market.api_margin: a value list is not allowed; allowed: a range {low, high} "
                     "(optionally log: true)",
                     "parameters.clouds.price_markup: levels 3 is not allowed; allowed: omit it (levels are for "
                     "grid sweeps)"]


def test_missing_fields_and_yaml_errors():
    assert problems({"name": "x"}) == ["parameters: required field is missing", "samples: required field is missing"]
    with pytest.raises(CalibrationSpecError, match="file: not valid YAML at line 3, column 1"):
        calibration_spec_from_yaml("name: x\nparameters: [\n")
    with pytest.raises(CalibrationSpecError, match="neither a file nor a bundled calibration; allowed: a path or "
                                                   "one of history_2020"):
        load_calibration_spec("nope")


def test_the_bundled_spec_is_valid():
    spec = load_calibration_spec("history_2020")
    assert len(spec.parameters) >= 10 and spec.samples * spec.seeds >= 2000
    assert spec.targets == DEFAULT_TARGETS
