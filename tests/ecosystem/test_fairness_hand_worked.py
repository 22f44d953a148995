"""Fairness metrics on data small enough to work by hand, three groups, against fairlearn and against a plain bootstrap
written here (resample, count, take percentiles): the point estimates exactly, the intervals within resampling noise,
and degenerate cases whose intervals are known without any resampling."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference

from ecosystem.fairness.metrics import bootstrap_intervals, fairness_metrics

# group 0: 4 items, 3 predicted positive; group 1: 4 items, 1 positive; group 2: 4 items, 2 positive
Y_TRUE = np.array([1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1])
GROUP = np.array([0] * 4 + [1] * 4 + [2] * 4)
NAMES = np.array(["g0", "g1", "g2"], dtype=object)[GROUP]


def test_three_groups_by_hand_and_by_fairlearn():
    m = fairness_metrics(Y_TRUE, Y_PRED, NAMES)
    assert m["selection_rate_by_group"] == pytest.approx({"g0": 3 / 4, "g1": 1 / 4, "g2": 2 / 4})
    assert m["tpr_by_group"] == pytest.approx({"g0": 1.0, "g1": 1 / 2, "g2": 1 / 2})
    assert m["fpr_by_group"] == pytest.approx({"g0": 1 / 2, "g1": 0.0, "g2": 1 / 2})
    assert m["accuracy_by_group"] == pytest.approx({"g0": 3 / 4, "g1": 3 / 4, "g2": 2 / 4})
    assert m["accuracy"] == pytest.approx(8 / 12)
    assert m["demographic_parity_difference"] == pytest.approx(3 / 4 - 1 / 4)
    assert m["demographic_parity_ratio"] == pytest.approx((1 / 4) / (3 / 4))
    assert m["equalized_odds_difference"] == pytest.approx(1 / 2)  # TPR gap 1/2, FPR gap 1/2
    assert m["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=NAMES))
    assert m["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(Y_TRUE, Y_PRED, sensitive_features=NAMES))
    assert m["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(Y_TRUE, Y_PRED, sensitive_features=NAMES))


def test_bootstrap_point_estimates_are_the_hand_figures():
    flipped = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], dtype=bool)
    ci = bootstrap_intervals(Y_TRUE, Y_PRED, GROUP, 3, flipped, n_boot=20)
    p = ci["point"]
    assert p["selection_rate_by_group"] == pytest.approx([3 / 4, 1 / 4, 2 / 4])
    assert p["tpr_by_group"] == pytest.approx([1.0, 1 / 2, 1 / 2])
    assert p["fpr_by_group"] == pytest.approx([1 / 2, 0.0, 1 / 2])
    assert p["accuracy_by_group"] == pytest.approx([3 / 4, 3 / 4, 2 / 4])
    assert p["accuracy"] == pytest.approx(8 / 12) and p["flip_rate"] == pytest.approx(3 / 12)
    assert ci["n_boot"] == 20 and ci["selection_rate_by_group"].shape == (2, 3)


def test_degenerate_intervals_are_known_without_resampling():
    # group 0 always predicted positive, group 1 never: every resample has the same rates
    y_true = np.array([1, 0] * 20)
    y_pred = np.array([1] * 20 + [0] * 20)
    group = np.array([0] * 20 + [1] * 20)
    ci = bootstrap_intervals(y_true, y_pred, group, 2, n_boot=200, seed=1)
    assert ci["demographic_parity_difference"] == pytest.approx([1.0, 1.0])
    assert ci["demographic_parity_ratio"][1] < 1e-9
    assert ci["equalized_odds_difference"] == pytest.approx([1.0, 1.0])
    assert ci["selection_rate_by_group"] == pytest.approx(np.array([[1.0, 0.0], [1.0, 0.0]]))
    # identical groups: the difference interval starts at 0 (folded), the ratio interval ends at 1
    same = np.array([1, 1, 0, 1, 0] * 8)
    grp = np.array([0, 1] * 20)
    ci = bootstrap_intervals(same, same, grp, 2, n_boot=400, seed=2)
    assert ci["demographic_parity_difference"][0] == 0.0 and ci["demographic_parity_difference"][1] > 0.05
    assert ci["demographic_parity_ratio"][1] == pytest.approx(1.0)
    assert ci["accuracy"] == pytest.approx([1.0, 1.0])  # predictions equal the labels in every resample


def test_intervals_agree_with_a_plain_bootstrap():
    rng = np.random.default_rng(7)
    n = 300
    group = rng.integers(0, 2, n)
    y_true = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < np.where(group == 0, 0.7, 0.35)).astype(int)
    ci = bootstrap_intervals(y_true, y_pred, group, 2, n_boot=3000, seed=3)
    sel, acc = [], []
    for _ in range(3000):
        i = rng.integers(0, n, n)
        g, p, t = group[i], y_pred[i], y_true[i]
        sel.append([p[g == 0].mean(), p[g == 1].mean()])
        acc.append((p == t).mean())
    sel = np.array(sel)
    lo, hi = np.percentile(sel[:, 0] - sel[:, 1], [2.5, 97.5])
    assert lo > 0  # a clear gap: the folded interval is the plain one
    assert ci["demographic_parity_difference"] == pytest.approx([lo, hi], abs=0.02)
    assert ci["accuracy"] == pytest.approx(np.percentile(acc, [2.5, 97.5]), abs=0.02)
    assert ci["selection_rate_by_group"] == pytest.approx(np.percentile(sel, [2.5, 97.5], axis=0), abs=0.02)
    r_lo, r_hi = np.percentile(sel[:, 1] / sel[:, 0], [2.5, 97.5])
    assert ci["demographic_parity_ratio"] == pytest.approx([r_lo, r_hi], abs=0.03)


def test_bootstrap_is_seeded_and_reports_the_flip_rate():
    flipped = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], dtype=bool)
    default = bootstrap_intervals(Y_TRUE, Y_PRED, GROUP, 3, flipped, n_boot=60)
    again = bootstrap_intervals(Y_TRUE, Y_PRED, GROUP, 3, flipped, n_boot=60, seed=0)
    other = bootstrap_intervals(Y_TRUE, Y_PRED, GROUP, 3, flipped, n_boot=60, seed=1)
    assert default["accuracy"] == again["accuracy"] and default["counterfactual_flip_rate"] == again[
        "counterfactual_flip_rate"]
    assert default["accuracy"] != other["accuracy"] or default["selection_rate_by_group"].tolist() != other[
        "selection_rate_by_group"].tolist()
    lo, hi = default["counterfactual_flip_rate"]
    assert lo <= 3 / 12 <= hi and hi - lo > 0.1
