"""The bias-audit experiment: corpus, labeller pool, fairness metrics, bootstrap, real training, report, CLI, and the
transfer table the simulation reads."""

from __future__ import annotations

import base64
import csv
import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosystem.fairness import transfer as bt
from ecosystem.fairness.audit import AuditResult, run_audit
from ecosystem.fairness.corpus import DEFAULT_GROUPS, WordVocab, make_corpus, make_groups, tokenize
from ecosystem.fairness.labelling import LabellerPool, collect_labels, majority_error
from ecosystem.fairness.metrics import bootstrap_intervals, fairness_metrics
from ecosystem.fairness.replicated import run_many
from ecosystem.fairness.report import SECTIONS, group_bars_figure, report_html, report_markdown
from ecosystem.fairness.settings import AuditSettings
from ecosystem.reference import default

PRICE = default("label_price_usd.crowd_classification")

# Small but real audits: enough data and training for the group effect to be learned, short enough for the suite.
SMALL = dict(n_train=1500, epochs=8, n_test=2000, n_boot=300)
TINY = dict(n_train=200, epochs=1, n_test=200, n_boot=100)


# ----------------------------------------------------------------------------------------------- corpus

def test_corpus_is_deterministic_and_splits_differ():
    a = make_corpus(300, seed=4, split=1)
    b = make_corpus(300, seed=4, split=1)
    c = make_corpus(300, seed=4, split=2)
    assert a.texts() == b.texts()
    assert a.texts() != c.texts()


def test_labels_follow_the_score_and_are_independent_of_group():
    c = make_corpus(20000, seed=1)
    score = c.score
    assert np.all(score != 0)
    assert np.array_equal(c.label, (score > 0).astype(int))
    rates = [c.label[c.group == g].mean() for g in (0, 1)]
    shares = np.bincount(c.group) / len(c)
    # binomial standard error of a difference of two ~0.5 rates on ~10000 each is ~0.007
    assert abs(rates[0] - rates[1]) < 0.03
    assert np.all(np.abs(shares - 0.5) < 0.02)
    # a real share of sentences is ambiguous (small margin): that is where bias shows
    assert np.mean(np.abs(score) <= 1.0) > 0.1


def test_counterfactual_twin_swaps_only_the_group_term():
    c = make_corpus(200, seed=2)
    twin = c.twin(c.other_group())
    for s, t, g, g2 in zip(c.texts(), twin.texts(), c.group, twin.group):
        ts, tt = tokenize(s), tokenize(t)
        assert len(ts) == len(tt)
        diff = [(x, y) for x, y in zip(ts, tt) if x != y]
        assert len(diff) == 1
        assert diff[0][0] in DEFAULT_GROUPS[c.groups.names[g]]
        assert diff[0][1] in DEFAULT_GROUPS[c.groups.names[g2]]
        assert g != g2
    assert np.array_equal(c.label, twin.label)


def test_vocab_encodes_every_word_and_pads():
    c = make_corpus(100, seed=3)
    vocab = WordVocab(c.groups)
    ids, lengths = vocab.encode(c.texts())
    assert (ids[:, :1] > 1).all()  # no <unk>, no padding at the start
    assert not np.isin(1, ids)  # no unknown words
    for row, n, text in zip(ids, lengths, c.texts()):
        assert vocab.decode(row[:n]) == text
        assert (row[n:] == 0).all()


def test_user_groups_are_used():
    groups = {"women": ["she", "woman"], "men": ["he", "man"]}
    c = make_corpus(50, seed=0, groups=groups)
    assert c.groups.target == "men"
    words = {w for t in c.texts() for w in tokenize(t)}
    assert words & {"she", "woman"} and words & {"he", "man"}


@pytest.mark.parametrize("groups, target, needle", [
    ({"only": ["x_person"]}, None, "at least 2"),
    ({"a": ["two words"], "b": ["y"]}, None, "'two words'"),
    ({"a": ["x"], "b": ["x"]}, None, "already a term"),
    ({"a": ["the"], "b": ["y"]}, None, "word of the sentence templates"),
    ({"a": [], "b": ["y"]}, None, "non-empty list"),
    ({"a": ["x"], "b": ["y"]}, "c", "target_group: 'c'"),
    ({"a|b": ["x"], "c": ["y"]}, None, "name 'a|b'"),
])
def test_bad_groups_get_one_clear_message(groups, target, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        make_groups(groups, target)


# ----------------------------------------------------------------------------------------------- labellers

@settings(max_examples=25, deadline=None)
@given(bias=st.floats(0.0, 1.0), seed=st.integers(0, 10_000))
def test_biased_pool_flips_positive_target_sentences_at_label_bias(bias, seed):
    n = 4000
    truth = np.ones(n, dtype=int)
    batch = collect_labels(truth, np.ones(n, dtype=bool), "single", label_noise=0.0, label_bias=bias, seed=seed)
    flip = np.mean(batch.labels == 0)
    se = math.sqrt(max(bias * (1 - bias), 1e-4) / n)
    assert abs(flip - bias) <= 4.5 * se + 0.005
    # bias touches only positive sentences about the target group: others keep their true label (noise 0)
    other = collect_labels(np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)],
                           np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)], "single", 0.0, bias, seed)
    assert np.array_equal(other.labels, np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)])


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 0.5), seed=st.integers(0, 10_000))
def test_majority_of_three_reduces_noise_as_theory_says(p, seed):
    n = 6000
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    target = rng.random(n) < 0.5
    for agg, expected in (("single", p), ("majority3", majority_error(p))):
        batch = collect_labels(truth, target, agg, label_noise=p, label_bias=0.0, seed=seed, spread=False)
        err = np.mean(batch.labels != truth)
        se = math.sqrt(max(expected * (1 - expected), 1e-4) / n)
        assert abs(err - expected) <= 4.5 * se + 0.003, (agg, p, err, expected)
    assert majority_error(p) <= p + 1e-12


def test_majority_error_formula():
    assert majority_error(0.0) == 0.0 and majority_error(0.5) == 0.5
    p = 0.1
    # two or three of three wrong
    assert math.isclose(majority_error(p), 3 * p**2 * (1 - p) + p**3)


def test_label_costs_follow_the_reference_price():
    n = 1000
    truth = np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)]
    target = np.arange(n) % 2 == 0
    single = collect_labels(truth, target, "single", 0.05, 0.2, seed=1)
    maj = collect_labels(truth, target, "majority3", 0.05, 0.2, seed=1)
    gold = collect_labels(truth, target, "gold", 0.05, 0.2, seed=1, n_labellers=40, gold_questions=10)
    assert single.label_cost_usd == pytest.approx(n * PRICE)
    assert maj.label_cost_usd == pytest.approx(3 * n * PRICE)
    assert gold.label_cost_usd == pytest.approx((n + 40 * 10) * PRICE)
    assert gold.n_gold_answers == 400


@settings(max_examples=10, deadline=None)
@given(bias=st.floats(0.2, 0.6), seed=st.integers(0, 1000))
def test_gold_screening_keeps_less_biased_labellers(bias, seed):
    n = 4000
    truth = np.ones(n, dtype=int)
    target = np.ones(n, dtype=bool)
    gold = collect_labels(truth, target, "gold", 0.05, bias, seed=seed)
    assert gold.n_excluded > 0
    assert gold.details["kept_mean_bias"] < gold.details["pool_mean_bias"]
    single = collect_labels(truth, target, "single", 0.05, bias, seed=seed)
    assert np.mean(gold.labels == 0) < np.mean(single.labels == 0)


def test_pool_spread_keeps_the_means():
    pool = LabellerPool.make(0.1, 0.3, n_labellers=50, seed=0)
    assert pool.bias.mean() == pytest.approx(0.3, abs=1e-9)
    assert pool.error_rate.mean() == pytest.approx(0.1, abs=1e-9)
    assert pool.bias.std() > 0.1  # some labellers are much more biased than others
    same = LabellerPool.make(0.1, 0.3, n_labellers=50, seed=0)
    assert np.array_equal(pool.bias, same.bias)


@pytest.mark.parametrize("kwargs, needle", [
    (dict(label_bias=1.5), "label_bias: 1.5 is out of range; allowed: 0 to 1"),
    (dict(label_bias=-0.1), "label_bias"),
    (dict(label_noise=0.6), "label_noise: 0.6 is out of range; allowed: 0 to 0.5"),
    (dict(label_noise=float("nan")), "label_noise"),
    (dict(aggregation="median"), "aggregation: 'median' is not allowed; allowed: single, majority3, gold"),
    (dict(seed=-1), "seed: -1 is out of range"),
    (dict(n_train=10), "n_train: 10 is out of range"),
    (dict(label_bias="lots"), "label_bias: 'lots' is not a number"),
])
def test_run_audit_rejects_bad_arguments(kwargs, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        run_audit(**kwargs)


# ----------------------------------------------------------------------------------------------- metrics

def test_fairness_metrics_equal_fairlearn_and_hand_computation():
    y_true = np.array([1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0])
    y_pred = np.array([1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    groups = np.array(["a"] * 6 + ["b"] * 6, dtype=object)
    m = fairness_metrics(y_true, y_pred, groups)
    assert m["selection_rate_by_group"] == pytest.approx({"a": 4 / 6, "b": 1 / 6})
    assert m["tpr_by_group"] == pytest.approx({"a": 1.0, "b": 1 / 3})
    assert m["fpr_by_group"] == pytest.approx({"a": 1 / 3, "b": 0.0})
    assert m["accuracy_by_group"] == pytest.approx({"a": 5 / 6, "b": 4 / 6})
    assert m["demographic_parity_difference"] == pytest.approx(0.5)
    assert m["demographic_parity_ratio"] == pytest.approx(0.25)
    assert m["equalized_odds_difference"] == pytest.approx(2 / 3)
    # the vectorised bootstrap computes the same rates on the unresampled set
    point = bootstrap_intervals(y_true, y_pred, (groups == "b").astype(int), 2, n_boot=50)["point"]
    assert point["selection_rate_by_group"] == pytest.approx([4 / 6, 1 / 6])
    assert point["tpr_by_group"] == pytest.approx([1.0, 1 / 3])
    assert point["fpr_by_group"] == pytest.approx([1 / 3, 0.0])


def _predictions(draw_seed: int, n: int, skew: float):
    rng = np.random.default_rng(draw_seed)
    group = rng.integers(0, 2, n)
    y_true = rng.integers(0, 2, n)
    # every group needs both classes for TPR and FPR to exist
    y_true[:4] = [0, 1, 0, 1]
    group[:4] = [0, 0, 1, 1]
    p_pos = np.where(y_true == 1, 0.8, 0.2) - skew * group
    y_pred = (rng.random(n) < np.clip(p_pos, 0, 1)).astype(int)
    return y_true, y_pred, group


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 400), skew=st.floats(0.0, 0.5))
def test_vectorised_rates_match_fairlearn(seed, n, skew):
    y_true, y_pred, group = _predictions(seed, n, skew)
    names = np.array(["g0", "g1"], dtype=object)[group]
    m = fairness_metrics(y_true, y_pred, names)
    ci = bootstrap_intervals(y_true, y_pred, group, 2, n_boot=50, seed=seed)
    point = ci["point"]
    for key in ("selection_rate_by_group", "tpr_by_group", "fpr_by_group", "accuracy_by_group"):
        assert point[key] == pytest.approx([m[key]["g0"], m[key]["g1"]])
    sel = point["selection_rate_by_group"]
    assert m["demographic_parity_difference"] == pytest.approx(abs(sel[0] - sel[1]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 400), skew=st.floats(0.0, 0.5))
def test_bootstrap_intervals_cover_their_point_estimates(seed, n, skew):
    y_true, y_pred, group = _predictions(seed, n, skew)
    flipped = np.random.default_rng(seed + 1).random(n) < 0.1
    names = np.array(["g0", "g1"], dtype=object)[group]
    m = fairness_metrics(y_true, y_pred, names)
    ci = bootstrap_intervals(y_true, y_pred, group, 2, flipped, n_boot=200, seed=seed)
    for key in ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference"):
        lo, hi = ci[key]
        # log rates are clipped at 1e-12, so a ratio of exactly 0 gets an interval from about 1e-12
        assert 0.0 <= lo <= m[key] + 1e-9 and m[key] - 1e-9 <= hi <= 1.0, key
    lo, hi = ci["counterfactual_flip_rate"]
    assert lo <= flipped.mean() <= hi
    lo, hi = ci["accuracy"]
    assert lo <= np.mean(y_true == y_pred) <= hi
    for key in ("selection_rate_by_group", "tpr_by_group", "fpr_by_group"):
        for g in (0, 1):
            assert ci[key][0, g] <= ci["point"][key][g] <= ci[key][1, g]


# ----------------------------------------------------------------------------------------------- real audits

AUDITED = ((0.0, "single"), (0.3, "single"), (0.3, "majority3"))
AUDIT_SEEDS = (0, 1)


@pytest.fixture(scope="module")
def audits():
    """Real audits (small corpus, short training), two seeds per setting, on two worker processes."""
    tasks = [AuditSettings(bias, 0.05, agg, seed=s, **SMALL) for bias, agg in AUDITED for s in AUDIT_SEEDS]
    outputs = run_many(tasks, jobs=2)
    n = len(AUDIT_SEEDS)
    return {cell: [AuditResult.from_dict(d) for d, _ in outputs[i * n:(i + 1) * n]] for i, cell in enumerate(AUDITED)}


def _mean(results, attr):
    return float(np.mean([getattr(r, attr) for r in results]))


def test_model_bias_grows_with_label_bias(audits):
    clean, biased = audits[(0.0, "single")], audits[(0.3, "single")]
    for attr in ("counterfactual_flip_rate", "demographic_parity_difference", "equalized_odds_difference"):
        assert _mean(biased, attr) > _mean(clean, attr) + 0.08, attr
    # the biased model selects the target group less often, and the flips go against it
    for r in biased:
        assert r.selection_rate_by_group["group_b"] < r.selection_rate_by_group["group_a"]
        assert r.flips_against_target_share > 0.8
        assert not r.passes_80_rule or not r.passes_threshold
    for r in clean:
        assert r.passes_80_rule


def test_majority_of_three_lowers_bias_at_a_label_cost_premium(audits):
    single, maj = audits[(0.3, "single")], audits[(0.3, "majority3")]
    assert _mean(maj, "counterfactual_flip_rate") < _mean(single, "counterfactual_flip_rate")
    assert _mean(maj, "demographic_parity_difference") < _mean(single, "demographic_parity_difference")
    for s, m in zip(single, maj):
        assert m.label_cost_usd_per_example == pytest.approx(3 * s.label_cost_usd_per_example)
        assert s.label_cost_usd == pytest.approx(SMALL["n_train"] * PRICE)
        assert m.label_quality["measured_error_rate_other"] < s.label_quality["measured_error_rate_other"]


def test_audit_intervals_cover_point_estimates(audits):
    for results in audits.values():
        for r in results:
            for key in ("accuracy", "demographic_parity_difference", "demographic_parity_ratio",
                        "equalized_odds_difference", "counterfactual_flip_rate"):
                lo, hi = getattr(r, key + "_ci95")
                assert lo <= getattr(r, key) <= hi, key
            for key in ("accuracy_by_group", "selection_rate_by_group", "tpr_by_group", "fpr_by_group"):
                for g in r.groups:
                    lo, hi = getattr(r, key + "_ci95")[g]
                    assert lo <= getattr(r, key)[g] <= hi, (key, g)


def test_audit_figures_agree_with_fairlearn_on_its_own_predictions(audits):
    r = audits[(0.3, "single")][0]
    sel = r.selection_rate_by_group
    assert r.demographic_parity_difference == pytest.approx(abs(sel["group_a"] - sel["group_b"]))
    assert r.demographic_parity_ratio == pytest.approx(min(sel.values()) / max(sel.values()))
    eo = max(abs(r.tpr_by_group["group_a"] - r.tpr_by_group["group_b"]),
             abs(r.fpr_by_group["group_a"] - r.fpr_by_group["group_b"]))
    assert r.equalized_odds_difference == pytest.approx(eo)
    assert r.passes_80_rule == (r.demographic_parity_ratio >= 0.8)
    assert r.passes_threshold == (r.demographic_parity_difference <= r.dp_threshold)


def test_audit_is_deterministic():
    a = run_audit(0.2, 0.1, "gold", seed=3, **TINY).to_dict()
    b = run_audit(0.2, 0.1, "gold", seed=3, **TINY).to_dict()
    for d in (a, b):
        d.pop("seconds")
        d["training"].pop("train_seconds")
    assert a == b


# ----------------------------------------------------------------------------------------------- report

def test_report_verdict_follows_the_two_rules(audits):
    """PASS only when the 80% rule and the threshold both hold; otherwise FAIL naming each broken rule."""
    verdicts = set()
    for results in audits.values():
        for r in results:
            line = report_markdown(r).split("**Verdict: ", 1)[1].split("\n", 1)[0]
            verdict = line.split(":", 1)[0]
            assert verdict == ("PASS" if r.passes_80_rule and r.passes_threshold else "FAIL")
            assert ("(80% rule)" in line) == (not r.passes_80_rule)
            assert ("> threshold" in line) == (not r.passes_threshold)
            verdicts.add(verdict)
    assert verdicts == {"PASS", "FAIL"}  # the audits here exercise both branches


def test_markdown_report_has_every_model_card_section(audits):
    r = audits[(0.3, "single")][0]
    md = report_markdown(r)
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert headings == list(SECTIONS)
    uri = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", md)
    svg = ET.fromstring(base64.b64decode(uri.group(1)))
    assert svg.tag.endswith("svg")
    assert len([e for e in svg.iter() if e.tag.endswith("rect")]) >= 4 * len(r.groups)
    # the JSON form renders the same report
    assert report_markdown(json.loads(json.dumps(r.to_dict()))).split("\n", 1)[1] == md.split("\n", 1)[1]


def test_html_report_is_self_contained_with_every_section(audits):
    r = audits[(0.3, "majority3")][0]
    page = report_html(r)
    assert page.startswith("<!DOCTYPE html>")
    assert re.findall(r"<h2>(.+?)</h2>", page) == list(SECTIONS)
    assert page.count("plotly.js v") == 1  # plotly.js inlined exactly once
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched from the network
    assert page.count('class="plotly-graph-div"') == 2


def test_group_bars_figure_shows_the_rates(audits):
    r = audits[(0.0, "single")][0]
    fig = group_bars_figure(r)
    assert len(fig.data) == len(r.groups)
    for trace, g in zip(fig.data, r.groups):
        assert list(trace.y) == pytest.approx([r.accuracy_by_group[g], r.selection_rate_by_group[g],
                                               r.tpr_by_group[g], r.fpr_by_group[g]])


def test_audit_with_user_groups():
    r = run_audit(0.0, 0.05, "single", seed=0, groups={"women": ["she", "woman"], "men": ["he", "man"]}, **TINY)
    assert r.groups == ["women", "men"] and r.target_group == "men"
    assert set(r.selection_rate_by_group) == {"women", "men"}
    assert "`she`, `woman`" in report_markdown(r)


# ----------------------------------------------------------------------------------------------- CLI

def test_cli_json_prints_one_object_with_the_audit_keys(capsys, tmp_path):
    from ecosystem.__main__ import main

    md, page = tmp_path / "card.md", tmp_path / "card.html"
    rc = main(["audit", "--replicates", "1", "--label-bias", "0.3", "--aggregation", "majority3", "--n-train", "200",
               "--epochs", "1",
               "--n-test", "200", "--n-boot", "100", "--json", "--report-md", str(md), "--report-html", str(page)])
    out, err = capsys.readouterr()
    assert rc == 0
    data = json.loads(out)
    for key in ("demographic_parity_difference", "equalized_odds_difference", "counterfactual_flip_rate",
                "accuracy_by_group", "selection_rate_by_group", "tpr_by_group", "fpr_by_group", "label_cost_usd",
                "passes_80_rule", "passes_threshold"):
        assert key in data
    for key in ("demographic_parity_difference", "equalized_odds_difference", "counterfactual_flip_rate"):
        lo, hi = data[key + "_ci95"]
        assert lo <= data[key] <= hi
    assert data["label_cost_usd"] == pytest.approx(3 * 200 * PRICE)
    assert "training epoch" in err  # progress goes to stderr
    assert md.read_text().startswith("# Model card") and page.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("argv, needle", [
    (["--label-bias", "1.5"], "--label-bias: 1.5 is out of range; allowed: 0 to 1"),
    (["--label-noise", "0.7"], "--label-noise: 0.7 is out of range; allowed: 0 to 0.5"),
    (["--aggregation", "median"], "--aggregation: 'median' is not allowed; allowed: single, majority3, gold"),
    (["--seed", "-2"], "--seed: -2 is out of range"),
    (["--dp-threshold", "2"], "--dp-threshold: 2 is out of range; allowed: 0 to 1"),
    (["--group", "women"], "--group: 'women' is not allowed; write NAME=term1,term2"),
    (["--group", "a=x y", "--group", "b=z"], "--group ['a']: term 'x y' is not allowed"),
    (["--label-noise", "abc"], "argument --label-noise: invalid float value: 'abc'"),
    (["--n-train", "5"], "--n-train: 5 is out of range; allowed: 100 to 200000"),
    (["--target-group", "nobody"], "--target-group: 'nobody' is not one of the groups; allowed: group_a, group_b"),
    (["--replicates", "0"], "--replicates: 0 is out of range; allowed: 1 to 200"),
    (["--jobs", "0"], "--jobs: 0 is out of range; allowed: 1 to 64"),
    (["--compare", "single"], "--compare: 'single' names 1 setting; name at least two"),
    (["--compare", "single,median"], "--compare: 'median' is not allowed; allowed: single, majority3, gold"),
    (["--replicates", "two"], "argument --replicates: invalid int value: 'two'"),
])
def test_cli_bad_arguments_get_one_clear_line(capsys, argv, needle):
    from ecosystem.__main__ import main

    try:
        rc = main(["audit", *argv])
    except SystemExit as exc:  # argparse's own checks (types, unknown options) exit
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err


# ----------------------------------------------------------------------------------------------- transfer table

def _write_table(path, biases, noises, value):
    cols = ["label_bias", "label_noise", "aggregation", "seeds", "model_dp_difference", "model_eo_difference",
            "model_flip_rate", "label_cost_usd_per_example"]
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(cols)
        for b in biases:
            for e in noises:
                for k, agg in enumerate(("single", "majority3", "gold")):
                    v = value(b, e, agg)
                    w.writerow([b, e, agg, "0", v, v + 0.01, v / 2, PRICE * (1, 3, 1.2)[k]])


@pytest.fixture()
def synthetic_table(tmp_path):
    path = tmp_path / "bias_transfer.csv"
    biases, noises = [0.0, 0.2, 0.4, 1.0], [0.0, 0.1, 0.2]
    # deliberately not monotone at bias 0.2 for single (a measurement dip)
    _write_table(path, biases, noises,
                 lambda b, e, agg: {0.0: 0.02, 0.2: 0.01 if agg == "single" else 0.08, 0.4: 0.2, 1.0: 0.5}[b] + e / 10)
    bt.load_table.cache_clear()
    return bt.load_table(path)


def test_model_bias_interpolates_the_table(synthetic_table):
    t = synthetic_table
    assert bt.model_bias(0.4, 0.1, "majority3", table=t) == pytest.approx(0.21)
    assert bt.model_bias(0.7, 0.1, "majority3", table=t) == pytest.approx(0.5 * (0.21 + 0.51))
    assert bt.model_bias(0.4, 0.15, "gold", table=t) == pytest.approx(0.215)
    assert bt.model_bias(0.4, 0.5, "gold", table=t) == pytest.approx(0.22)  # noise beyond the grid: clamped
    assert bt.model_bias(0.4, 0.1, "gold", metric="flip_rate", table=t) == pytest.approx(0.105)
    # the dip at 0.2 is pooled away: isotonic fit of (0.02, 0.01) is (0.015, 0.015)
    assert bt.model_bias(0.0, 0.0, "single", table=t) == pytest.approx(0.015)
    assert bt.model_bias(0.2, 0.0, "single", table=t) == pytest.approx(0.015)
    assert bt.label_cost_multiplier("single", table=t) == pytest.approx(1.0)
    assert bt.label_cost_multiplier("majority3", table=t) == pytest.approx(3.0)
    assert bt.label_cost_multiplier("gold", table=t) == pytest.approx(1.2)


@settings(max_examples=200, deadline=None)
@given(b1=st.floats(0, 1), b2=st.floats(0, 1), e=st.floats(0, 0.5), agg=st.sampled_from(["single", "majority3", "gold"]),
       metric=st.sampled_from(list(bt.METRICS)))
def test_model_bias_is_monotone_in_label_bias(b1, b2, e, agg, metric):
    lo, hi = sorted((b1, b2))
    assert bt.model_bias(lo, e, agg, metric) <= bt.model_bias(hi, e, agg, metric) + 1e-12


def test_committed_table_shows_transfer_and_costs():
    bt.load_table.cache_clear()
    t = bt.load_table()
    assert bt.label_cost_multiplier("single") == pytest.approx(1.0)
    assert bt.label_cost_multiplier("majority3") == pytest.approx(3.0)
    assert 1.0 < bt.label_cost_multiplier("gold") < 3.0
    assert t.biases[0] == 0.0 and t.biases[-1] == 1.0
    for agg in ("single", "majority3"):
        assert bt.model_bias(0.4, 0.05, agg) > bt.model_bias(0.0, 0.05, agg) + 0.03
    for agg in ("single", "majority3", "gold"):  # gold screening holds the bias down longer, not for ever
        assert bt.model_bias(0.6, 0.05, agg) > bt.model_bias(0.0, 0.05, agg) + 0.05
    meta = json.loads((bt.TABLE_PATH.parent / "bias_transfer.json").read_text())
    assert meta["made_by"] == "scripts/make_bias_transfer.py"
    with bt.TABLE_PATH.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for r in rows:  # every cell from replicates: mean inside its spread band and its interval
        n = int(r["n_replicates"])
        assert n >= 3 and len(r["seeds"].split()) == n
        for metric in ("model_dp_difference", "model_flip_rate"):
            mean, sd = float(r[metric]), float(r[metric + "_seed_sd"])
            assert float(r[metric + "_band_lo"]) <= mean <= float(r[metric + "_band_hi"])
            assert float(r[metric + "_band_hi"]) == pytest.approx(mean + sd, abs=1e-5)
            assert float(r[metric + "_mean_ci95_lo"]) <= mean <= float(r[metric + "_mean_ci95_hi"])


@pytest.mark.parametrize("kwargs, needle", [
    (dict(label_bias=1.2), "label_bias: 1.2 is out of range; allowed: 0 to 1"),
    (dict(label_noise=0.9), "label_noise: 0.9 is out of range; allowed: 0 to 0.5"),
    (dict(aggregation="vote"), "aggregation: 'vote' is not allowed"),
    (dict(metric="gini"), "metric: 'gini' is not allowed; allowed: dp_difference, eo_difference, flip_rate"),
])
def test_model_bias_rejects_bad_arguments(synthetic_table, kwargs, needle):
    args = dict(label_bias=0.1, label_noise=0.05, aggregation="single") | kwargs
    with pytest.raises(ValueError, match=re.escape(needle)):
        bt.model_bias(**args, table=synthetic_table)


def test_model_bias_reads_the_table_once():
    # the simulation calls model_bias for every model it trains: the table is parsed once and cached
    bt.load_table.cache_clear()
    first = bt.model_bias(0.3, 0.05, "single")
    for _ in range(100):
        assert bt.model_bias(0.3, 0.05, "single") == first
    assert bt.load_table.cache_info().misses == 1
