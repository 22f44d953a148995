"""Transformer compute and memory formulas (units in the names).

Conventions (PaLM, Chowdhery et al. 2022, App. B; Kaplan et al. 2020, Table 1):

* ``N`` counts the parameters of the matrix multiplications (attention projections, MLP, and the output head). Token
  and position embedding look-ups, layer norms and biases are not matmuls and cost no multiply-adds.
* A forward pass costs ``2 N`` FLOPs per token for the weight matmuls, plus the attention score and value matmuls:
  ``Q K^T`` and ``A V`` each cost ``2 n_ctx d_model`` per token per layer, so ``4 n_layer n_ctx d_model``.
  (Kaplan writes ``2 n_layer n_ctx d_attn`` for the same term, counting only the causal half.)
* Training is three forward passes' worth (backward = 2 x forward): ``6 N + 12 n_layer n_ctx d_model`` per token.
* Softmax, GELU, layer norms and the optimiser update are element-wise and O(d) per token, not O(d^2): they are left out,
  as in PaLM's MFU; for the models here they are well under 1% of the total.
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
    """All trainable parameters of the GPT-2-style model in ``ecosystem.model`` (weights, biases, norms, embeddings)."""
    d, ff, L = shape.d_model, shape.ff, shape.n_layer
    per_layer = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 2 * (2 * d)  # attention, MLP, two layer norms
    embeddings = shape.vocab_size * d + shape.n_ctx * d
    head = 0 if shape.tied_head else shape.vocab_size * d
    return L * per_layer + embeddings + 2 * d + head  # final layer norm


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


def approx_shape_for_params(n_params: float, d_model_per_layer: float = 128.0) -> tuple[int, int]:
    """A plausible (n_layer, d_model) for a model of ``n_params`` (N ~ 12 n_layer d_model^2, d_model ~ 128 n_layer).

    Used to add the attention term to published models whose shape the tables do not give. Returns integers >= 1.
    """
    # N = 12 L d^2 with d = r L  =>  N = 12 r^2 L^3
    n_layer = max(1, round((n_params / (12.0 * d_model_per_layer**2)) ** (1.0 / 3.0)))
    d_model = max(1, round(d_model_per_layer * n_layer))
    return n_layer, d_model


# ---- memory ---------------------------------------------------------------------------------------------------------


def weights_bytes(n_params: float, bytes_per_param: float = 2.0) -> float:
    """Bytes for the weights alone (2 for bf16, 4 for fp32, 1 for int8)."""
    return n_params * bytes_per_param


def kv_cache_bytes(n_layer: int, n_ctx: int, d_model: int, bytes_per_element: float = 2.0, batch: int = 1) -> float:
    """Keys and values for every layer and position: 2 x n_layer x n_ctx x d_model x bytes x batch."""
    return 2.0 * n_layer * n_ctx * d_model * bytes_per_element * batch


def adamw_training_state_bytes(n_params: float, bytes_per_param: float = 4.0) -> float:
    """Weights + gradients + AdamW's two moments, all in ``bytes_per_param`` (4 for fp32): 4 copies of N."""
    return 4.0 * n_params * bytes_per_param
