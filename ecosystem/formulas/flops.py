"""Transformer compute and memory formulas (units in the names).

Conventions (PaLM, Chowdhery et al. 2022, App. B; Kaplan et al. 2020, Table 1):

* ``N`` counts the parameters of the matrix multiplications (attention projections, MLP, and the output head). Token
  and position embedding look-ups, layer norms and biases are not matmuls and cost no multiply-adds.
* A forward pass costs ``2 N`` FLOPs per token for the weight matmuls, plus the attention score and value matmuls:
  ``Q K^T`` and ``A V`` each cost ``2 n_ctx d_model`` per token per layer, so ``4 n_layer n_ctx d_model``.
  (Kaplan writes ``2 n_layer n_ctx d_attn`` for the same term, counting only the causal half.)
* Training is three forward passes' worth (backward = 2 x forward): ``6 N + 12 n_layer n_ctx d_model`` per token.
* Softmax, GELU, layer norms and the optimiser update are element-wise and O(d) per token, not O(d^2): they are left out,
  as in PaLM's MFU; for the probe's sizes they are about 0.7-5% of the total (``elementwise_flops_per_token_forward``).
"""

from __future__ import annotations

from ecosystem.formulas.shapes import TransformerShape, matmul_params


def attention_flops_per_token_forward(n_layer: int, n_ctx: int, d_model: int) -> float:
    """Q K^T and A V matmuls: 4 n_layer n_ctx d_model FLOPs per token of a forward pass at full context."""
    return 4.0 * n_layer * n_ctx * d_model


def forward_flops_per_token(n_params: float, n_layer: int = 0, n_ctx: int = 0, d_model: int = 0) -> float:
    """Inference forward FLOPs per token: 2 N plus attention (0 when the shape is not given)."""
    return 2.0 * n_params + attention_flops_per_token_forward(n_layer, n_ctx, d_model)


def train_flops_per_token(n_params: float, n_layer: int = 0, n_ctx: int = 0, d_model: int = 0) -> float:
    """Training FLOPs per token (forward + backward): 6 N plus 12 n_layer n_ctx d_model."""
    return 3.0 * forward_flops_per_token(n_params, n_layer, n_ctx, d_model)


def train_flops(n_params: float, n_tokens: float, n_layer: int = 0, n_ctx: int = 0, d_model: int = 0) -> float:
    """Total training FLOPs for ``n_tokens`` tokens: (6 N + attention) D. With no shape given this is 6 N D."""
    return train_flops_per_token(n_params, n_layer, n_ctx, d_model) * n_tokens


def shape_flops_per_token(shape: TransformerShape, training: bool = True) -> float:
    """Analytic FLOPs per token of a concrete shape at full context."""
    fn = train_flops_per_token if training else forward_flops_per_token
    return fn(matmul_params(shape), shape.n_layer, shape.n_ctx, shape.d_model)


ADAMW_FLOPS_PER_PARAM_STEP = 14.0
"""Operation count of one AdamW update per parameter: decay (2), first moment (3), second moment (4), bias-corrected
step with square root, epsilon and division (5). An operation count of the algorithm, not a published figure."""


def elementwise_flops_per_token_forward(shape: TransformerShape, seq_len: int | None = None) -> float:
    """Rough count of the non-matmul forward FLOPs per token that FlopCounterMode and the 2N rule leave out.

    Layer norm ~8 per element (2 per layer + 1 final), softmax with scale and mask ~7 per score (n_head x seq_len per
    layer), GELU ~8 per hidden element, bias adds and residual adds (3d + d + d_ff + d, and 2 d per layer), and the
    position-embedding add (d). An estimate for the README's 'terms left out' table; backward is about twice this.
    """
    t = shape.n_ctx if seq_len is None else seq_len
    d, ff, h, L = shape.d_model, shape.ff, shape.n_head, shape.n_layer
    per_layer = 2 * 8 * d + 7 * h * t + 8 * ff + (5 * d + ff) + 2 * d
    return float(L * per_layer + 8 * d + d)
