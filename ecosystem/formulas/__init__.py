"""Transformer cost formulas and scaling laws, by subject (units in every name):

* ``shapes``: ``TransformerShape``, matmul and total parameter counts, a plausible shape for a parameter count;
* ``flops``: forward and training FLOPs per token (PaLM's MFU convention) and what that convention leaves out;
* ``memory``: weights, AdamW state and the activations of a training step;
* ``kv_cache``: the bytes of a decoding KV cache (per token by attention type: MHA, GQA, MLA);
* ``architecture``: ``Architecture`` of a real decoder (GQA/MLA, MoE) and a GQA shape for a parameter count;
* ``scaling``: the Chinchilla loss L(N, D), the compute-optimal split of a budget, a 0..1 quality index.

All but ``scaling`` are re-exported here (``from ecosystem import formulas; formulas.train_flops(...)``).
"""

from ecosystem.formulas.architecture import ATTENTION_TYPES, Architecture, gqa_architecture_for_params
from ecosystem.formulas.flops import (ADAMW_FLOPS_PER_PARAM_STEP, attention_flops_per_token_forward,
                                      elementwise_flops_per_token_forward, forward_flops_per_token,
                                      shape_flops_per_token, train_flops, train_flops_per_token)
from ecosystem.formulas.kv_cache import kv_cache_bytes, kv_cache_bytes_per_token
from ecosystem.formulas.memory import (PRECISIONS, adamw_training_state_bytes, training_activation_bytes,
                                       training_memory_breakdown_bytes, training_peak_memory_bytes, weights_bytes)
from ecosystem.formulas.shapes import TransformerShape, approx_shape_for_params, matmul_params, total_params

__all__ = [
    "ADAMW_FLOPS_PER_PARAM_STEP", "ATTENTION_TYPES", "PRECISIONS", "Architecture", "TransformerShape",
    "adamw_training_state_bytes", "approx_shape_for_params", "attention_flops_per_token_forward",
    "elementwise_flops_per_token_forward", "forward_flops_per_token", "gqa_architecture_for_params",
    "kv_cache_bytes", "kv_cache_bytes_per_token", "matmul_params", "shape_flops_per_token", "total_params",
    "train_flops", "train_flops_per_token", "training_activation_bytes", "training_memory_breakdown_bytes",
    "training_peak_memory_bytes", "weights_bytes",
]
