"""Replicated audits: intervals that cover training and test-set variation, paired comparisons, reproducibility,
the model card's words and dots, and the comparison on the command line (the flags' error messages are tested with the
others in test_fairness.py). Training happens once, in ``tiny_runs`` (tiny models,
three replicates, two aggregations); the coverage checks simulate replicate figures and train nothing."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as sps

from ecosystem.fairness.hierarchical import SCALARS, interval, resample_stats, small_sample_factor, two_stage_means
from ecosystem.fairness.replicated import (pool_comparison, pool_replicates, replicate_seeds, replicated_audit,
                                           run_many)
from ecosystem.fairness.report import comparison_html, comparison_markdown, report_markdown
from ecosystem.fairness.settings import AuditSettings
from tests.ecosystem.test_fairness import TINY

SEED = 4
SEEDS = replicate_seeds(SEED, 3)
CELLS = ((0.3, "single"), (0.3, "majority3"))


def _settings(bias, agg):
    return AuditSettings(bias, 0.05, agg, seed=SEED, **TINY)


@pytest.fixture(scope="module")
def tiny_runs():
    """{(label_bias, aggregation): [(result dict, AuditArrays) per replicate seed]}, tiny models, in this process."""
    outputs = run_many([replace(_settings(*cell), seed=s) for cell in CELLS for s in SEEDS], jobs=1)
    return {cell: outputs[i * len(SEEDS):(i + 1) * len(SEEDS)] for i, cell in enumerate(CELLS)}


@pytest.fixture(scope="module")
def pooled(tiny_runs):
    return {cell: pool_replicates(runs, _settings(*cell), SEEDS) for cell, runs in tiny_runs.items()}


# ----------------------------------------------------------------------------------------------- synthetic coverage

def _coverage(k, tau, sigma_w, runs=400, b=150, seed=0, replicates=True):
    """Share of simulated replicated audits whose interval holds the true mean 0.15. Replicate i's own figure is
    0.15 + training effect (sd tau) + test-set noise (sd sigma_w); its test resamples scatter by sigma_w around it."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(runs):
        own = 0.15 + rng.normal(0, tau, k) + rng.normal(0, sigma_w, k)
        stats = own[:, None] + rng.normal(0, sigma_w, (k, b))
        samples = two_stage_means(stats, 600, rng, replicates=replicates)
        lo, hi = interval(samples, own.mean(), k if replicates else 1)
        hits += lo <= 0.15 <= hi
    return hits / runs


def test_combined_interval_covers_close_to_nominal_when_training_noise_dominates():
    # between-replicate sd ~4x the test-only sd, as the audits measure; binomial sd of 400 runs at 0.95 is 0.011
    assert 0.91 <= _coverage(10, 0.03, 0.008) <= 0.985
    assert 0.90 <= _coverage(5, 0.03, 0.008, seed=1) <= 0.99


def test_test_only_interval_undercovers_and_combined_is_conservative_without_training_noise():
    assert _coverage(10, 0.03, 0.008, runs=200, replicates=False) < 0.6
    assert _coverage(10, 0.0, 0.008, runs=200, seed=2) >= 0.95


def test_small_sample_factor_is_t_over_z():
    assert small_sample_factor(1) == 1.0
    assert small_sample_factor(10) == pytest.approx(sps.t.ppf(0.975, 9) / sps.norm.ppf(0.975))
    assert small_sample_factor(3) > small_sample_factor(30) > 1.0


def test_two_stage_means_without_replicate_stage_keeps_every_replicate():
    stats = np.array([[0.1] * 5, [0.3] * 5])  # no test noise: the test-only mean is exactly 0.2
    rng = np.random.default_rng(0)
    assert np.allclose(two_stage_means(stats, 50, rng, replicates=False), 0.2)
    both = two_stage_means(stats, 400, rng)
    assert set(np.round(both, 6)) == {0.1, 0.2, 0.3}


# ----------------------------------------------------------------------------------------------- real replicates

def test_resampled_figures_match_the_audit_on_its_own_predictions(tiny_runs):
    d, arrays = tiny_runs[(0.3, "single")][0]
    _, point = resample_stats(arrays, 50, np.random.default_rng(0))
    for key in SCALARS:
        assert point[key] == pytest.approx(d[key]), key
    for g, name in enumerate(d["groups"]):
        assert point["selection_rate_by_group"][g] == pytest.approx(d["selection_rate_by_group"][name])


def test_combined_interval_is_wider_than_test_only_when_training_noise_exists(pooled, tiny_runs):
    r = pooled[(0.3, "single")]
    for key in ("counterfactual_flip_rate", "accuracy"):
        pts = r["per_replicate"][key]
        assert r[key] == pytest.approx(np.mean(pts))
        assert r[key + "_sd"] == pytest.approx(np.std(pts, ddof=1)) and r[key + "_sd"] > 0
        lo, hi = r[key + "_ci95"]
        tlo, thi = r[key + "_test_only_ci95"]
        assert lo <= r[key] <= hi and tlo <= r[key] <= thi
        assert hi - lo > thi - tlo, key
        # wider already before the small-sample widening: the replicate stage adds the training spread
        stats = np.stack([resample_stats(a, 200, np.random.default_rng(s))[0][key]
                          for (_, a), s in zip(tiny_runs[(0.3, "single")], SEEDS)])
        rng = np.random.default_rng(0)
        both, test_only = two_stage_means(stats, 2000, rng), two_stage_means(stats, 2000, rng, replicates=False)
        assert np.ptp(np.quantile(both, [0.025, 0.975])) > np.ptp(np.quantile(test_only, [0.025, 0.975])), key


def test_pooled_result_keeps_audit_keys_and_per_replicate_values(pooled):
    r = json.loads(json.dumps(pooled[(0.3, "majority3")]))
    assert r["replicates"] == 3 and r["per_replicate"]["seed"] == SEEDS
    for g in r["groups"]:
        assert len(r["per_replicate"]["selection_rate_by_group"][g]) == 3
        lo, hi = r["selection_rate_by_group_ci95"][g]
        assert 0.0 <= lo <= r["selection_rate_by_group"][g] <= hi <= 1.0
    assert r["passes_threshold"] == (r["demographic_parity_difference"] <= r["dp_threshold"])
    assert r["threshold_verdict"] in ("pass", "fail", "uncertain")


def test_comparison_of_identical_settings_is_zero(tiny_runs):
    runs = tiny_runs[(0.3, "single")]
    cmp = pool_comparison(runs + runs, _settings(0.3, "single"), ["single", "single"], SEEDS)
    for key, d in cmp["differences"]["single - single"].items():
        lo, hi = d["ci95"]
        assert lo <= 0.0 <= hi and d["mean"] == 0.0, key
        assert d["share_better"] == 0.0


def test_comparison_reports_paired_differences(tiny_runs):
    runs = tiny_runs[(0.3, "single")] + tiny_runs[(0.3, "majority3")]
    cmp = pool_comparison(runs, _settings(0.3, "single"), ["single", "majority3"], SEEDS)
    d = cmp["differences"]["majority3 - single"]["counterfactual_flip_rate"]
    single, maj = cmp["results"]["single"], cmp["results"]["majority3"]
    expected = np.subtract(maj["per_replicate"]["counterfactual_flip_rate"],
                           single["per_replicate"]["counterfactual_flip_rate"])
    assert d["per_replicate"] == pytest.approx(expected.tolist())
    assert d["mean"] == pytest.approx(expected.mean())
    assert d["share_better"] == pytest.approx(np.mean(expected < 0))
    assert d["relative_change"] == pytest.approx(expected.mean() / single["counterfactual_flip_rate"])
    assert d["ci95"][0] <= d["mean"] <= d["ci95"][1]
    md, page = comparison_markdown(cmp), comparison_html(cmp)
    assert "majority3 against single" in md and "same 3 replicates" in md
    assert page.startswith("<!DOCTYPE html>") and page.count("plotly.js v") <= 1


def test_replicate_seeds_start_with_the_seed_and_do_not_overlap():
    assert replicate_seeds(7, 1) == [7]
    a, b = replicate_seeds(0, 20), replicate_seeds(1, 20)
    assert a[0] == 0 and len(set(a)) == 20
    assert not set(a[1:]) & set(b[1:])
    assert replicate_seeds(0, 5) == a[:5]


def test_replicated_audit_is_reproducible_and_pool_matches_serial(pooled):
    a = replicated_audit(_settings(0.3, "single"), replicates=3, jobs=2)  # worker processes
    b = dict(pooled[(0.3, "single")])  # the same seeds, run one after the other in this process
    for d in (a, b):
        for key in ("seconds", "per_replicate", "training"):
            d.pop(key)
    assert a == b


def test_model_card_states_both_sources_and_shows_each_model(pooled):
    r = pooled[(0.3, "single")]
    md = report_markdown(r)
    assert "(1) training" in md and "(2) testing" in md and "test-only" in md
    assert "sd across models" in md
    flips = ", ".join(f"{v:.3f}" for v in r["per_replicate"]["counterfactual_flip_rate"])
    assert flips in md


# ----------------------------------------------------------------------------------------------- CLI

def test_cli_compare_prints_json_and_writes_the_comparison(capsys, tmp_path):
    from ecosystem.__main__ import main

    md = tmp_path / "cmp.md"
    rc = main(["audit", "--compare", "single,gold", "--replicates", "2", "--jobs", "1", "--label-bias", "0.3",
               "--n-train", "200", "--epochs", "1", "--n-test", "200", "--n-boot", "100", "--json",
               "--report-md", str(md)])
    out, err = capsys.readouterr()
    assert rc == 0
    data = json.loads(out)
    assert data["settings"] == ["single", "gold"] and data["replicates"] == 2
    assert set(data["differences"]["gold - single"]) == set(SCALARS)
    assert data["results"]["gold"]["config"]["replicate_seeds"] == data["replicate_seeds"]
    assert "audit 2/4: training epoch" in err
    assert md.read_text().startswith("# Comparison of label aggregations")
