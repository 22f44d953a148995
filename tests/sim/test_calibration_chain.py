"""Calibrating the chain model through the sweep machinery: outputs, undefined readings, resume after a lost batch,
and the command's errors. Targets here are made up for the test (today's model has no calendar yet)."""

from __future__ import annotations

import argparse
import json
import math

import pandas as pd
import pytest
import yaml

from sim.experiments.calibration import cli
from sim.experiments.calibration.chain import CalibrationError, calibrate_chain
from sim.experiments.calibration.machinery import ResultsStore

TARGETS = [
    dict(metric="app_users", date="2022-01", value=5e7, low=1.5e7, high=1.5e8, unit="users", source="test"),
    dict(metric="tokens_served", date="2021", value=2e14, low=5e13, high=8e14, unit="tokens per year",
         source="test"),
    dict(metric="api_price_usd_per_mtok", date="2020-06", value=5, low=1, high=20, unit="USD per 1M tokens",
         source="test: no token is served in the first year, so the price is undefined"),
]


def write_spec(tmp_path, **extra) -> str:
    pd.DataFrame(TARGETS).to_csv(tmp_path / "targets.csv", index=False)
    spec = {"name": "chain_test", "base": {"scenario": "baseline"}, "start_date": "2020-01",
            "parameters": {"market.demand_growth_multiplier": {"low": 0.5, "high": 2.0, "log": True},
                           "apps.candidates": {"low": 2, "high": 8}},
            "targets": "targets.csv", "samples": 6, "seeds": 2, "seed": 11,
            "acceptance": {"cutoff": 3.0, "exclude_worst": 1}, "refine": {"max_evaluations": 4}, **extra}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def read_outputs(out) -> dict:
    return {name: pd.read_csv(out / name) for name in ("accepted.csv", "points.csv", "fit.csv")}


def test_chain_calibration_writes_its_outputs_and_resumes(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "cal"
    result = calibrate_chain(spec, out, workers=1)
    first = read_outputs(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["samples"] == 6 and summary["runs"] == 12 and summary["seeds_per_sample"] == 2
    assert summary["refinement"]["evaluations"] <= 4
    store = ResultsStore(out / "sweep")
    assert store.progress() == (12, 12)
    assert store.manifest()["spec"]["options"]["months"] == 24  # just long enough for 2022-01
    assert set(first["points.csv"]["apps.candidates"]) <= set(range(2, 9))  # an integer field stays whole
    fit = first["fit.csv"].set_index("target")
    price = fit.loc["api_price_usd_per_mtok@2020-06"]
    assert math.isinf(price["implausibility"]) and "undefined (NaN) in 2020-06 (in 2 of 2 seeds)" in price["reason"]
    assert result.best_point_id in set(first["points.csv"]["point_id"])
    assert (first["points.csv"]["targets_undefined"] >= 1).all()
    # tokens served over 2021 read from the stored series equals the sum of that run's months 12..23
    series = store.series(columns=["tokens_served"])
    runs = store.runs(columns=["run_id", "point_id", "replicate"])
    sums = [series[(series["run_id"] == rid) & series["step"].between(12, 23)]["tokens_served"].sum()
            for rid in runs[runs["point_id"] == 0]["run_id"]]
    assert len(sums) == 2 and min(sums) > 0
    median = (sums[0] + sums[1]) / 2
    # the band is a factor 4 either side of 2e14: s_obs = log10(4) / 2
    expected = abs(math.log10(median / 2e14)) / (math.log10(4) / 2)
    point0 = first["points.csv"].set_index("point_id").loc[0]
    assert point0["I[tokens_served@2021]"] == pytest.approx(expected, rel=1e-9)

    with pytest.raises(CalibrationError, match="is not empty; allowed: a new directory, or --resume"):
        calibrate_chain(spec, out, workers=1)

    # lose one finished batch, as a killed screening would, and resume
    part = sorted((out / "sweep" / "results").glob("part-*.parquet"))[0]
    lost = len(pd.read_parquet(part))
    part.unlink()
    calibrate_chain(spec, out, workers=1, resume=True)
    sessions = ResultsStore(out / "sweep").manifest()["sessions"]
    assert sessions[-1]["runs_before"] == 12 - lost and sessions[-1]["runs_run"] == lost
    again = read_outputs(out)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, again[name], check_exact=True)


def test_the_command_reports_problems_on_stderr_and_exits_2(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    bad = write_spec(tmp_path, parameters={"market.no_such_field": {"low": 1, "high": 2}}, samples=1)
    assert cli.main(parser.parse_args([bad, "--out", str(tmp_path / "o"), "--quiet"])) == 2
    err = capsys.readouterr().err
    assert "samples: value 1 is not allowed; allowed: greater than or equal to 2" in err
    assert "Traceback" not in err

    unknown = write_spec(tmp_path, parameters={"market.no_such_field": {"low": 1, "high": 2}})
    assert cli.main(parser.parse_args([unknown, "--out", str(tmp_path / "o"), "--quiet"])) == 2
    assert "parameters.market.no_such_field: not a numeric field of the scenario" in capsys.readouterr().err

    # a target naming a metric the model does not have
    bad = tmp_path / "bad_targets.csv"
    bad.write_text("metric,date,value,low,high,unit,how_measured,source\n"
                   "no_such_metric,2021-06,1,0.5,2,count,x,test\n"
                   "app_users,2021-06,1,0.5,2,users,x,test\n", encoding="utf-8")
    missing = write_spec(tmp_path, targets=str(bad))
    assert cli.main(parser.parse_args([missing, "--out", str(tmp_path / "o"), "--quiet"])) == 2
    assert "targets: metric 'no_such_metric' is not a column of the model's metrics" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_command_runs_a_calibration(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    spec = write_spec(tmp_path, samples=3, seeds=1, refine=None)
    assert cli.main(parser.parse_args([spec, "--out", str(tmp_path / "o"), "--workers", "1"])) == 0
    captured = capsys.readouterr()
    assert "calibrate chain_test:" in captured.out and "sets accepted" in captured.out
    assert "calibrate spec [" in captured.err  # the progress bar
    assert (tmp_path / "o" / "summary.json").exists()
