"""The shape of a GPT-style decoder and its parameter counts (matmul parameters ``N`` and all parameters).

Conventions as in ``ecosystem.formulas.flops``: ``N`` counts the weights of the matrix multiplications (attention
projections, MLP and the output head); embeddings, layer norms and biases are counted only by ``total_params``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransformerShape:
    """Shape of a GPT-style decoder. ``d_ff`` defaults to 4 x ``d_model``."""

    n_layer: int
    d_model: int
    n_head: int
    n_ctx: int
    vocab_size: int
    d_ff: int | None = None
    tied_head: bool = False

    @property
    def ff(self) -> int:
        return self.d_ff if self.d_ff is not None else 4 * self.d_model


def matmul_params(shape: TransformerShape) -> int:
    """Weights that take part in matrix multiplications: per layer 4 d^2 (QKV + output) + 2 d d_ff, plus the head.

    With a tied head the head matrix is the token embedding; it is still one matmul per token, so it counts once here.
    """
    d, ff = shape.d_model, shape.ff
    per_layer = 4 * d * d + 2 * d * ff
    head = d * shape.vocab_size
    return shape.n_layer * per_layer + head


def total_params(shape: TransformerShape) -> int:
    """All trainable parameters of the GPT-2-style ``ecosystem.transformer.model.GPT`` (weights, biases, norms,
    embeddings)."""
    d, ff, L = shape.d_model, shape.ff, shape.n_layer
    per_layer = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 2 * (2 * d)  # attention, MLP, two layer norms
    embeddings = shape.vocab_size * d + shape.n_ctx * d
    head = 0 if shape.tied_head else shape.vocab_size * d
    return L * per_layer + embeddings + 2 * d + head  # final layer norm


def approx_shape_for_params(n_params: float, d_model_per_layer: float = 128.0) -> tuple[int, int]:
    """A plausible (n_layer, d_model) for a model of ``n_params`` (N ~ 12 n_layer d_model^2, d_model ~ 128 n_layer).

    Used to add the attention term to published models whose shape the tables do not give. Returns integers >= 1.
    """
    # N = 12 L d^2 with d = r L  =>  N = 12 r^2 L^3
    n_layer = max(1, round((n_params / (12.0 * d_model_per_layer**2)) ** (1.0 / 3.0)))
    d_model = max(1, round(d_model_per_layer * n_layer))
    return n_layer, d_model
