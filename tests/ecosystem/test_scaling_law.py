"""The Chinchilla law and the quality index against hand computation from the published fits (scaling_laws.csv):
Hoffmann et al.'s L(70B, 1.4T) = 1.937, the compute-optimal split is the constrained minimum (checked by brute force
along the constraint), and the quality index's stated anchors (0 at 10M/200M, 1 at 10T/200T, 0.5 half-way in log)."""

from __future__ import annotations

import math

import pytest

from ecosystem.formulas import flops, scaling
from ecosystem.formulas.shapes import TransformerShape, matmul_params

HOFFMANN = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al. 2022 Eq. (10), as printed
EPOCH = dict(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)  # Besiroglu et al. 2024


def by_hand(f: dict, n: float, d: float) -> float:
    return f["E"] + f["A"] / n ** f["alpha"] + f["B"] / d ** f["beta"]


def test_chinchilla_loss_by_hand():
    assert scaling.loss(70e9, 1.4e12, "hoffmann") == pytest.approx(1.9368, abs=5e-4)  # 1.69 + 0.0836 + 0.1632
    for fit, f in (("hoffmann", HOFFMANN), ("epoch", EPOCH)):
        for n, d in ((1e8, 2e9), (7e9, 2e12), (4e11, 1.5e13)):
            assert scaling.loss(n, d, fit) == pytest.approx(by_hand(f, n, d), rel=1e-12)
    assert scaling.loss(7e9, 2e12) == pytest.approx(by_hand(EPOCH, 7e9, 2e12), rel=1e-12)  # epoch is the default
    with pytest.raises(ValueError, match="must be > 0"):
        scaling.loss(0, 1e9)
    with pytest.raises(ValueError, match="must be > 0"):
        scaling.loss(1e9, -1)


@pytest.mark.parametrize("fit", ["hoffmann", "epoch"])
@pytest.mark.parametrize("flops_budget", [1e20, 5.76e23, 1e26])
def test_optimal_allocation_is_the_minimum_along_6nd_equal_c(fit, flops_budget):
    f = HOFFMANN if fit == "hoffmann" else EPOCH
    a = scaling.optimal_allocation(flops_budget, fit)
    assert 6 * a.params * a.tokens == pytest.approx(flops_budget, rel=1e-12)
    assert a.predicted_loss == pytest.approx(by_hand(f, a.params, a.tokens), rel=1e-12)
    assert a.tokens_per_param == pytest.approx(a.tokens / a.params) and a.fit == fit and a.train_flops == flops_budget
    # brute force along the constraint: every other split of the same budget has a higher loss
    for k in (0.25, 0.5, 0.8, 0.95, 1.05, 1.25, 2.0, 4.0):
        n = a.params * k
        assert by_hand(f, n, flops_budget / 6 / n) > a.predicted_loss
    # exponent of N_opt in C: beta / (alpha + beta)
    bigger = scaling.optimal_allocation(flops_budget * 10, fit)
    assert math.log10(bigger.params / a.params) == pytest.approx(f["beta"] / (f["alpha"] + f["beta"]), rel=1e-9)
    with pytest.raises(ValueError, match="train_flops must be > 0"):
        scaling.optimal_allocation(0.0, fit)


def test_quality_index_anchors():
    for fit, f in (("hoffmann", HOFFMANN), ("epoch", EPOCH)):
        low = by_hand(f, 1e7, 2e8) - f["E"]
        high = by_hand(f, 1e13, 2e14) - f["E"]
        assert scaling.quality_from_loss(f["E"] + low, fit) == pytest.approx(0.0, abs=1e-12)
        assert scaling.quality_from_loss(f["E"] + high, fit) == pytest.approx(1.0, abs=1e-12)
        assert scaling.quality_from_loss(f["E"] + math.sqrt(low * high), fit) == pytest.approx(0.5, abs=1e-12)
        assert scaling.quality_from_loss(f["E"] + low * (high / low) ** 0.25, fit) == pytest.approx(0.25, abs=1e-12)
        assert scaling.quality_from_loss(f["E"] + 10 * low, fit) == 0.0  # clipped below
        assert scaling.quality_from_loss(f["E"] - 0.1, fit) == 1.0  # and above


def test_transformer_flops_by_hand():
    assert flops.attention_flops_per_token_forward(2, 128, 64) == 4 * 2 * 128 * 64
    assert flops.forward_flops_per_token(1e6) == 2e6
    assert flops.forward_flops_per_token(1e6, 2, 128, 64) == 2e6 + 65_536
    assert flops.train_flops_per_token(1e6, 2, 128, 64) == 6e6 + 196_608
    assert flops.train_flops(1e6, 1e3) == 6e9
    assert flops.train_flops(1e6, 1e3, 2, 128, 64) == (6e6 + 196_608) * 1e3
    shape = TransformerShape(vocab_size=100, n_layer=2, n_head=4, d_model=64, n_ctx=128)
    n = 2 * (4 * 64 * 64 + 2 * 64 * 256) + 64 * 100  # per layer QKV + output + MLP, plus the head: 104,704
    assert matmul_params(shape) == n == 104_704
    assert flops.shape_flops_per_token(shape) == 6 * n + 12 * 2 * 128 * 64
    assert flops.shape_flops_per_token(shape, training=False) == 2 * n + 4 * 2 * 128 * 64


def test_loss_at_one_parameter_and_one_token_is_e_plus_a_plus_b():
    f = HOFFMANN
    assert scaling.loss(1.0, 1.0, "hoffmann") == pytest.approx(f["E"] + f["A"] + f["B"], rel=1e-12)
    with pytest.raises(ValueError, match="must be > 0"):
        scaling.loss(1e9, 0.0)


def test_elementwise_flops_by_hand():
    # L=2, d=64, h=4, ff=256: per layer 2x8x64 + 7x4xt + 8x256 + (5x64 + 256) + 2x64, plus 8x64 + 64 once
    shape = TransformerShape(vocab_size=100, n_layer=2, n_head=4, d_model=64, n_ctx=128)
    assert flops.elementwise_flops_per_token_forward(shape) == 2 * (1024 + 3584 + 2048 + 576 + 128) + 576 == 15_296
    assert flops.elementwise_flops_per_token_forward(shape, seq_len=10) == 2 * (1024 + 280 + 2048 + 576 + 128) + 576
