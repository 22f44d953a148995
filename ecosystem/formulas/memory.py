"""Memory of training a GPT: weights, gradients, AdamW state and the activations autograd saves (bytes).

The probe (``ecosystem.probe.memory``) measures the same step and sets the figures side by side.
"""

from __future__ import annotations

from ecosystem.checks import check_choice
from ecosystem.formulas.shapes import TransformerShape, matmul_params, total_params


def weights_bytes(n_params: float, bytes_per_param: float = 2.0) -> float:
    """Bytes for the weights alone (2 for bf16, 4 for fp32, 1 for int8)."""
    return n_params * bytes_per_param


def adamw_training_state_bytes(n_params: float, bytes_per_param: float = 4.0) -> float:
    """Weights + gradients + AdamW's two moments, all in ``bytes_per_param`` (4 for fp32): 4 copies of N."""
    return 4.0 * n_params * bytes_per_param


PRECISIONS = ("fp32", "bf16-autocast")


def training_activation_bytes(shape: TransformerShape, batch: int, seq_len: int | None = None,
                              precision: str = "fp32") -> float:
    """Bytes that one training step of ``ecosystem.transformer.model.GPT`` saves for the backward pass (none
    recomputed).

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
    check_choice("precision", precision, PRECISIONS)
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
