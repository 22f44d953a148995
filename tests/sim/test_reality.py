"""The reality check (``sim.experiments.reality``): the later facts are out of sample (dated after the calibration
cut-off, with sources, refused otherwise), the calibrated run is extended to the last fact, and the fit table reads
runs as the calibration does (median over runs, log10 error, tolerance)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments.calibration.targets import CALIBRATION_CUTOFF, Target, TargetsError, month_index
from sim.experiments.reality import (IN_SAMPLE, OUT_OF_SAMPLE, fit_summary, fit_table, load_all,
                                     load_validation_facts, reality_scenario)


def test_validation_facts_are_later_than_the_calibration_and_carry_sources():
    targets, facts = load_all()
    assert len(facts) >= 8
    assert all((f"{f.date}-01" if f.yearly else f.date) > CALIBRATION_CUTOFF for f in facts)
    assert all(t.last_month <= CALIBRATION_CUTOFF for t in targets)
    assert all(f.source.startswith(("[S]", "[P]", "[D]")) for f in facts)
    raw = pd.read_csv("data/reference/validation_facts.csv")
    assert raw["use"].str.contains("out-of-sample").all()
    # nothing in the facts file is also a calibration target
    assert not {f.id for f in facts} & {t.id for t in targets}


def test_a_fact_in_the_calibration_window_is_refused(tmp_path):
    bad = tmp_path / "facts.csv"
    bad.write_text("metric,date,value,low,high,unit,source\napp_users,2024-12,1e8,5e7,2e8,users,x\n"
                   "app_users,2025-13,1e8,5e7,2e8,users,x\ntokens_served,2025-06,1e8,2e8,3e8,tokens,x\n")
    with pytest.raises(TargetsError) as err:
        load_validation_facts(bad)
    text = "\n".join(err.value.problems)
    assert "row 1: date 2024-12 is not after 2024-12; allowed: later facts only" in text
    assert "row 2: date '2025-13'" in text
    assert "row 3: band low=200000000.0, value=100000000.0" in text


def test_the_calibrated_run_is_extended_to_the_last_fact():
    _, facts = load_all()
    scenario = reality_scenario(facts)
    last = max(month_index(f.last_month) for f in facts)
    assert month_index(scenario.start_date) + scenario.horizon_months >= last
    assert scenario.name == "history_2020"


def _run(set_id: int, seed: int, users: list[float]) -> pd.DataFrame:
    dates = ["2024-12", "2025-01", "2025-02", "2025-03"]
    return pd.DataFrame({"set_id": set_id, "seed": seed, "step": range(4), "date": dates, "app_users": users})


def test_fit_table_reads_each_run_and_fits_the_median():
    runs = pd.concat([_run(0, 1, [1e8, 2e8, 3e8, 4e8]), _run(0, 2, [2e8, 3e8, 4e8, 6e8]),
                      _run(0, 3, [4e8, 5e8, 6e8, 9e8])], ignore_index=True)
    target = Target("app_users", "2024-12", 8e8, 3e8, 2e9, "users")
    fact = Target("app_users", "2025-03", 5e8, 5e8, 1.5e9, "users")
    table = fit_table(runs, [target], [fact]).set_index("target")
    t, f = table.loc["app_users@2024-12"], table.loc["app_users@2025-03"]
    assert (t["kind"], f["kind"]) == (IN_SAMPLE, OUT_OF_SAMPLE)
    assert t["sim_median"] == 2e8 and not t["inside_tolerance"]
    assert t["log10_error"] == pytest.approx(math.log10(2e8 / 8e8))
    assert f["sim_median"] == 6e8 and f["inside_tolerance"]
    assert f["sim_p5"] == pytest.approx(np.percentile([4e8, 6e8, 9e8], 5))
    summary = fit_summary(table.reset_index()).set_index("kind")
    assert summary.loc[OUT_OF_SAMPLE, "inside_tolerance"] == 1 and summary.loc[IN_SAMPLE, "inside_tolerance"] == 0
    assert summary.loc[IN_SAMPLE, "median_abs_log10_error"] == pytest.approx(abs(math.log10(0.25)))
