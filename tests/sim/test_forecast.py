"""Forecasts over accepted sets x seeds (``sim.experiments.forecast``): bands are ordered and equal independently
computed quantiles, results are deterministic (in process, in a pool, from the cache), a lever at a date leaves
every earlier month unchanged, and the unmodified forecast against itself differs by exactly zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.__main__ import main as sim_main
from sim.experiments.forecast import (QUANTILES, Levers, bands, forecast, load_parameter_sets, paired_bands,
                                      parse_shock)
from sim.scenario import Shock

MONTHS = 20  # 2020-01 .. 2021-09: short runs keep the tests fast
SHOCK_AT = "2021-03"


@pytest.fixture(scope="module")
def sets():
    return load_parameter_sets(limit=2)


@pytest.fixture(scope="module")
def shocked(sets, tmp_path_factory):
    levers = Levers(shocks=[Shock(kind="gpu_price", change=-0.6, at=SHOCK_AT)])
    cache = tmp_path_factory.mktemp("cache")
    return forecast("forecast_2031", levers, parameter_sets=sets, seeds=2, months=MONTHS, cache_dir=cache), cache


def _ordered(frame: pd.DataFrame) -> None:
    defined = frame[frame["runs"] > 0]
    names = list(QUANTILES)
    for lo, hi in zip(names, names[1:]):
        assert (defined[lo] <= defined[hi]).all(), (lo, hi)


def test_accepted_sets_are_the_dotted_columns_best_first(sets):
    frame = pd.read_csv("data/calibration/history_2020_accepted.csv")
    assert len(sets) == min(2, len(frame))
    dotted = [c for c in frame.columns if "." in c]
    assert sorted(sets[0]) == sorted(dotted)
    assert all(sets[0][c] == pytest.approx(frame[c].iloc[0]) for c in dotted)


def test_bands_are_ordered_for_every_variant(shocked):
    fc, _ = shocked
    assert set(fc.bands["variant"]) == {"forecast", "what_if", "difference", "relative_change"}
    for _, frame in fc.bands.groupby("variant"):
        _ordered(frame)
    # 2 sets x 2 seeds = 4 runs; a month's band counts the runs defined there
    assert fc.bands["runs"].max() == 4
    assert fc.bands["date"].max() == "2021-09"


def test_bands_equal_quantiles_computed_from_the_runs(shocked):
    fc, _ = shocked
    runs = fc.runs[fc.runs["variant"] == "forecast"]
    values = runs.loc[runs["date"] == "2021-06", "app_users"].to_numpy()
    row = fc.band("app_users").set_index("date").loc["2021-06"]
    assert row["median"] == pytest.approx(np.median(values))
    assert row["p5"] == pytest.approx(np.percentile(values, 5))
    assert row["p95"] == pytest.approx(np.percentile(values, 95))


def test_difference_is_paired_by_set_and_seed(shocked):
    fc, _ = shocked
    keys = ["set_id", "seed", "date"]
    base = fc.runs[fc.runs["variant"] == "forecast"].set_index(keys)["gpu_price_h100_equiv_usd_per_hour"]
    what = fc.runs[fc.runs["variant"] == "what_if"].set_index(keys)["gpu_price_h100_equiv_usd_per_hour"]
    pairs = (what - base).xs("2021-06", level="date").to_numpy()
    row = fc.band("gpu_price_h100_equiv_usd_per_hour", "difference").set_index("date").loc["2021-06"]
    assert row["median"] == pytest.approx(np.median(pairs))
    assert row["p25"] == pytest.approx(np.percentile(pairs, 25))


def test_a_lever_at_a_date_changes_nothing_before_it(shocked):
    fc, _ = shocked
    diff = fc.bands[fc.bands["variant"] == "difference"]
    before = diff[(diff["date"] < SHOCK_AT) & (diff["runs"] > 0)]
    assert len(before) > 0
    assert (before[list(QUANTILES)] == 0).all().all()
    # ... and does change the market from that month on (the shock cuts the GPU price)
    at = diff[(diff["date"] == SHOCK_AT) & (diff["metric"] == "gpu_price_h100_equiv_usd_per_hour")]
    assert float(at["p95"].iloc[0]) < 0
    early = fc.runs[fc.runs["date"] < SHOCK_AT]
    f = early[early["variant"] == "forecast"].drop(columns="variant").reset_index(drop=True)
    w = early[early["variant"] == "what_if"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(f, w)


def test_unmodified_forecast_against_itself_is_zero(sets, tmp_path):
    # no levers, and a lever set to the scenario's own value (no carbon price): both are the unmodified forecast
    for levers in (Levers(), Levers(overrides={"policy.carbon_price_usd_per_tco2": 0.0})):
        fc = forecast("forecast_2031", levers, parameter_sets=sets[:1], seeds=2, months=12, cache_dir=tmp_path)
        for variant in ("difference", "relative_change"):
            frame = fc.bands[(fc.bands["variant"] == variant) & (fc.bands["runs"] > 0)]
            assert len(frame) > 0
            assert (frame[list(QUANTILES)] == 0).all().all()


def test_forecasts_are_deterministic_in_process_in_a_pool_and_from_the_cache(shocked, sets):
    fc, cache = shocked
    cached = list(cache.glob("*.parquet"))
    assert len(cached) == 2 * 2 * 2  # sets x seeds x (unmodified, what-if), keyed by scenario content and seed
    again = forecast("forecast_2031", fc.levers, parameter_sets=sets, seeds=2, months=MONTHS, cache_dir=cache)
    pd.testing.assert_frame_equal(fc.bands, again.bands)
    assert sorted(cache.glob("*.parquet")) == sorted(cached)  # read, not rerun
    pooled = forecast("forecast_2031", fc.levers, parameter_sets=sets, seeds=2, months=MONTHS, cache_dir=None,
                      workers=2)
    pd.testing.assert_frame_equal(fc.bands, pooled.bands)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=3, max_size=3),
                min_size=1, max_size=9))
def test_bands_are_ordered_and_match_numpy_on_any_runs(rows):
    # each inner list: one run's values of a metric over 3 months (NaN where undefined)
    runs = pd.DataFrame([{"set_id": i, "seed": 0, "step": k, "date": f"2020-0{k + 1}", "x": v}
                         for i, values in enumerate(rows) for k, v in enumerate(values)])
    b = bands(runs, ["x"])
    _ordered(b)
    for k in range(3):
        col = np.array([r[k] for r in rows], dtype=float)
        defined = col[np.isfinite(col)]
        row = b[b["step"] == k].iloc[0]
        assert row["runs"] == len(defined)
        if len(defined):
            assert row["median"] == pytest.approx(np.median(defined))
        else:
            assert np.isnan(row["median"])
    zero = paired_bands(runs, runs, ["x"])
    assert (zero.loc[zero["runs"] > 0, list(QUANTILES)] == 0).all().all()


def test_cli_writes_bands_and_summary(tmp_path, capsys):
    out = tmp_path / "fc"
    code = sim_main(["forecast", "--out", str(out), "--sets", "1", "--seeds", "1", "--months", "6", "--quiet",
                     "--cache", str(tmp_path / "cache"), "--shock", "demand:0.5@2020-04"])
    assert code == 0
    b = pd.read_parquet(out / "bands.parquet")
    assert list(b.columns) == ["variant", "metric", "date", "step", "runs", "p5", "p25", "median", "p75", "p95"]
    assert (out / "summary.json").exists() and (out / "runs.parquet").exists()
    text = capsys.readouterr().out
    assert "1 sets x 1 seeds" in text and "demand +50% at 2020-04" in text


@pytest.mark.parametrize("argv, message", [
    (["--shock", "gpu_price:half@2027-01"], "change 'half', not a number"),
    (["--shock", "gpu_price:-0.5@2027-13"], "month 13"),
    (["--shock", "rain:-0.5@2027-01"], "'gpu_price' or 'demand'"),
    (["--set", "market.no_such=1"], "market.no_such: no such field"),
    (["--sets", "0"], "sets: 0 is out of range; allowed: 1 to 100000"),
    (["--accepted", "nope.csv"], "--accepted: file 'nope.csv' does not exist"),
])
def test_cli_bad_input_is_one_message_and_exit_2(tmp_path, capsys, argv, message):
    code = sim_main(["forecast", "--out", str(tmp_path / "o"), "--months", "3", "--no-cache", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err


def test_parse_shock_reads_kind_change_and_date():
    shock = parse_shock("gpu_price:-0.5@2027-01")
    assert (shock.kind, shock.change, shock.at, shock.month) == ("gpu_price", -0.5, "2027-01", None)


@pytest.mark.parametrize("levers", [
    Levers(overrides={"policy.open_weights_release.at": SHOCK_AT}),
    Levers(overrides={"policy.bias_audit.enabled": True, "policy.bias_audit.start_at": SHOCK_AT,
                      "policy.bias_audit.threshold": 0.01}),
    Levers(shocks=[Shock(kind="demand", change=1.0, at=SHOCK_AT)]),
], ids=["open_weights_at", "bias_audit_start_at", "demand_shock_at"])
def test_every_dated_lever_leaves_the_months_before_its_date_alone(sets, tmp_path, levers):
    fc = forecast("forecast_2031", levers, parameter_sets=sets[:1], seeds=1, months=MONTHS, cache_dir=tmp_path)
    diff = fc.bands[(fc.bands["variant"] == "difference") & (fc.bands["runs"] > 0)]
    before, after = diff[diff["date"] < SHOCK_AT], diff[diff["date"] >= SHOCK_AT]
    assert (before[list(QUANTILES)] == 0).all().all()
    assert (after[list(QUANTILES)].abs() > 0).any().any()  # the lever does act from its date on


def test_the_run_cache_key_follows_the_scenario_content_and_the_seed():
    from sim.experiments.forecast import run_key
    from sim.scenario import load_scenario

    s = load_scenario("forecast_2031")
    assert run_key(s, 1) == run_key(load_scenario("forecast_2031"), 1)
    assert run_key(s, 1) != run_key(s, 2)
    assert run_key(s, 1) != run_key(s.with_overrides({"market.api_margin": 0.3}), 1)
