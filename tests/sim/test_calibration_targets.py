"""Calibration targets: the shipped file, the reading rules (a month's value, a per-year sum, a yearly mean) and the
file's checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.calibration.spec import DEFAULT_TARGETS, REPO_ROOT
from sim.experiments.calibration.targets import (CALIBRATION_CUTOFF, Target, TargetsError, load_targets,
                                                 read_target, read_targets, targets_from_frame, with_dates)


def _frame(start_year: int, values: list[float]) -> pd.DataFrame:
    dates = [f"{start_year + i // 12:04d}-{i % 12 + 1:02d}" for i in range(len(values))]
    return pd.DataFrame({"date": dates, "x": values})


def test_shipped_targets_load_dated_before_the_cutoff_with_sources():
    targets = load_targets(REPO_ROOT / DEFAULT_TARGETS)
    raw = pd.read_csv(REPO_ROOT / DEFAULT_TARGETS, dtype={"date": str})
    assert len(targets) == len(raw) == 22
    assert raw["source"].str.len().min() > 10
    assert all(t.last_month <= CALIBRATION_CUTOFF for t in targets)
    yearly = {t.id: t.per_year for t in targets if t.yearly}
    assert yearly == {"gpu_capex_usd@2023": True, "energy_kwh@2022": True}


values = st.lists(st.floats(min_value=0.0, max_value=1e12, allow_nan=False), min_size=36, max_size=60)


@settings(max_examples=60, deadline=None)
@given(values, st.integers(0, 2))
def test_per_year_sum_and_yearly_mean_and_month_value(xs, year_offset):
    frame = _frame(2020, xs)
    year = 2020 + year_offset
    months = xs[12 * year_offset: 12 * year_offset + 12]
    per_year = Target("x", str(year), 1, 1, 1, "USD per year")
    mean = Target("x", str(year), 1, 1, 1, "USD per month")
    month = Target("x", f"{year}-07", 1, 1, 1, "USD per month")
    got = read_targets(frame, [per_year, mean, month])
    assert got[0].value == pytest.approx(math.fsum(months), rel=1e-12, abs=1e-9)
    assert got[1].value == pytest.approx(math.fsum(months) / 12, rel=1e-12, abs=1e-9)
    assert got[2].value == months[6]
    assert all(r.reason == "" for r in got)


def test_a_month_with_several_rows_is_read_at_its_last_row():
    frame = pd.DataFrame({"date": ["2020-01", "2020-01", "2020-02"], "x": [1.0, 5.0, 7.0]})
    assert read_target(frame, Target("x", "2020-01", 1, 1, 1)).value == 5.0


def test_undefined_readings_carry_their_reason():
    xs = [1.0] * 18 + [math.nan] * 6
    frame = _frame(2020, xs)
    nan_month = read_target(frame, Target("x", "2021-08", 1, 1, 1))
    assert math.isnan(nan_month.value) and "undefined (NaN) in 2021-08" in nan_month.reason
    outside = read_target(frame, Target("x", "2023-01", 1, 1, 1))
    assert "does not cover 2023-01" in outside.reason and "2020-01 to 2021-12" in outside.reason
    partial_sum = read_target(frame, Target("x", "2021", 1, 1, 1, "units per year"))
    assert math.isnan(partial_sum.value) and "6 of the 12 months of 2021" in partial_sum.reason
    # a yearly mean skips undefined months
    assert read_target(frame, Target("x", "2021", 1, 1, 1, "units")).value == 1.0
    short = read_target(_frame(2020, [1.0] * 6), Target("x", "2020", 1, 1, 1, "units per year"))
    assert "covers 6 of the 12 months of 2020" in short.reason
    missing = read_target(frame, Target("y", "2020-01", 1, 1, 1))
    assert "no column 'y'" in missing.reason


def test_dates_from_steps():
    frame = pd.DataFrame({"step": [0, 1, 2, 12], "x": [0.0, 1.0, 2.0, 3.0]})
    assert list(with_dates(frame, "2019-11")["date"]) == ["2019-11", "2019-12", "2020-01", "2020-11"]


def test_targets_file_checks_name_row_and_field():
    frame = pd.DataFrame([
        dict(metric="a", date="2023-03", value=10, low=5, high=20, unit="u"),
        dict(metric="a", date="2025-01", value=10, low=5, high=20, unit="u"),
        dict(metric="b", date="2023-13", value=10, low=5, high=20, unit="u"),
        dict(metric="c", date="2023", value=30, low=5, high=20, unit="u"),
        dict(metric="d", date="2022-01", value=0, low=0, high=20, unit="u"),
        dict(metric="a", date="2023-03", value=10, low=5, high=20, unit="u"),
    ])
    with pytest.raises(TargetsError) as err:
        targets_from_frame(frame, where="t.csv")
    text = "\n".join(err.value.problems)
    assert "t.csv row 2: date 2025-01 is after 2024-12" in text
    assert "t.csv row 3: date '2023-13' is month out of range" in text
    assert "t.csv row 4: band low=5, value=30, high=20; allowed: low <= value <= high" in text
    assert "t.csv row 5: value 0 is not allowed; allowed: a number > 0" in text
    assert "t.csv row 6: a at 2023-03 is given twice" in text
    with pytest.raises(TargetsError, match="columns high, unit are missing"):
        targets_from_frame(frame.drop(columns=["high", "unit"]))


def test_metrics_filter_names_unknown_metrics(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame([dict(metric="a", date="2023-03", value=10, low=5, high=20, unit="u")]).to_csv(path, index=False)
    assert [t.id for t in load_targets(path, ["a"])] == ["a@2023-03"]
    with pytest.raises(TargetsError, match="metrics: zz have no target"):
        load_targets(path, ["zz"])
    with pytest.raises(TargetsError, match="does not exist"):
        load_targets(tmp_path / "nope.csv")
    assert np.isfinite(load_targets(path)[0].value)
