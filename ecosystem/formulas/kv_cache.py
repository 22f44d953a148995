"""The KV cache of decoding: keys and values of every layer and position (bytes)."""

from __future__ import annotations


def kv_cache_bytes(n_layer: int, n_ctx: int, d_model: int, bytes_per_element: float = 2.0, batch: int = 1) -> float:
    """Keys and values for every layer and position: 2 x n_layer x n_ctx x d_model x bytes x batch."""
    return 2.0 * n_layer * n_ctx * d_model * bytes_per_element * batch
