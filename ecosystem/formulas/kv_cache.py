"""The KV cache of decoding: keys and values of every layer and position (bytes)."""

from __future__ import annotations


def kv_cache_bytes(n_layer: int, n_ctx: int, d_model: int, bytes_per_element: float = 2.0, batch: int = 1) -> float:
    """Keys and values for every layer and position: 2 x n_layer x n_ctx x d_model x bytes x batch."""
    return 2.0 * n_layer * n_ctx * d_model * bytes_per_element * batch


def kv_cache_bytes_per_token(attention: str, n_layer: int, n_kv_head: int, head_dim: int,
                             bytes_per_element: float = 2.0, kv_lora_rank: int = 0, qk_rope_head_dim: int = 0) -> float:
    """KV cache of one token over all layers, by attention type.

    MHA and GQA store a key and a value per KV head: 2 x n_layer x n_kv_head x head_dim x bytes (MHA has as many KV
    heads as query heads; GQA shares each among several). MLA stores one compressed latent and one rotary key per
    layer, shared by all heads: n_layer x (kv_lora_rank + qk_rope_head_dim) x bytes.
    """
    if attention == "MLA":
        return float(n_layer * (kv_lora_rank + qk_rope_head_dim) * bytes_per_element)
    if attention in ("MHA", "GQA"):
        return float(2 * n_layer * n_kv_head * head_dim * bytes_per_element)
    raise ValueError(f"attention: {attention!r} is not an attention type; allowed: MHA, GQA, MLA")
