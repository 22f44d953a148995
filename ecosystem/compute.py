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


# ---- training memory, as measured by the probe ----------------------------------------------------------------------

PRECISIONS = ("fp32", "bf16-autocast")


def training_activation_bytes(shape: TransformerShape, batch: int, seq_len: int | None = None,
                              precision: str = "fp32") -> float:
    """Bytes that one training step of ``ecosystem.model.GPT`` saves for the backward pass (nothing recomputed).

    Per layer and token, the tensors autograd keeps are: the block input (saved by layer norm 1), its output (saved by
    the QKV matmul), Q, K and V (3 d, saved by the two attention matmuls), the attention probabilities (``n_head x
    seq_len``, the softmax output, also the input of ``A V``), the attention output (saved by the projection), the
    residual after attention and its norm (2 d), the MLP hidden before and after GELU (2 d_ff), and mean and 1/std of
    the two norms (4). Per token once: the final norm's input, output and statistics, and the log-softmax of the loss
    (``vocab_size``). In fp32 every element is 4 bytes:

        per layer per token: 8 d + 2 d_ff + n_head seq_len + 4   elements
        per token:           2 d + 2 + vocab_size               elements

    Under bf16 autocast (CUDA) the residual stream, norm outputs, softmax and log-softmax stay fp32 and autocast keeps
    a bf16 copy of each matmul input, so per layer per token: 20 d + 4 d_ff + 6 n_head seq_len + 16 bytes, and per
    token 6 d + 8 + 4 vocab_size bytes.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    t = shape.n_ctx if seq_len is None else seq_len
    d, ff, h, v = shape.d_model, shape.ff, shape.n_head, shape.vocab_size
    if precision == "fp32":
        per_layer = 4.0 * (8 * d + 2 * ff + h * t + 4)
        per_token = 4.0 * (2 * d + 2 + v)
    else:
        per_layer = 20.0 * d + 4.0 * ff + 6.0 * h * t + 16.0
        per_token = 6.0 * d + 8.0 + 4.0 * v
    return float(batch * t * (shape.n_layer * per_layer + per_token))


def training_memory_breakdown_bytes(shape: TransformerShape, batch: int, seq_len: int | None = None,
                                    precision: str = "fp32") -> dict[str, float]:
    """Analytic peak memory of an AdamW training step, by part: fp32 weights, gradients and the two AdamW moments
    (4 bytes x all parameters each), the saved activations, the causal-mask buffers (one byte per n_ctx^2 per layer)
    and, under bf16 autocast, the bf16 copies of the matmul weights that autocast keeps for the backward pass."""
    n = float(total_params(shape))
    parts = {
        "weights": 4.0 * n,
        "gradients": 4.0 * n,
        "adamw_moments": 8.0 * n,
        "activations": training_activation_bytes(shape, batch, seq_len, precision),
        "mask_buffers": float(shape.n_layer * shape.n_ctx * shape.n_ctx),
        "autocast_weight_copies": 2.0 * matmul_params(shape) if precision == "bf16-autocast" else 0.0,
    }
    parts["total"] = sum(parts.values())
    return parts


def training_peak_memory_bytes(shape: TransformerShape, batch: int, seq_len: int | None = None,
                               precision: str = "fp32") -> float:
    """Weights + gradients + AdamW state + activations (+ mask buffers, + autocast copies) of one training step."""
    return training_memory_breakdown_bytes(shape, batch, seq_len, precision)["total"]


# ---- what the matmul convention leaves out ------------------------------------------------------------------------

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
