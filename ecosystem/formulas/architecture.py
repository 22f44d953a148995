"""The serving-relevant shape of a real decoder: attention type (MHA, GQA, MLA), mixture-of-experts, and what a token
costs to store (KV cache), to read (weights) and to compute (FLOPs).

``Architecture`` is built from ``data/reference/models.csv`` (``ecosystem.reference.model_architecture``) or, for a
model that has no public configuration (one trained in the simulation), from a parameter count by
``gqa_architecture_for_params``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecosystem.formulas.kv_cache import kv_cache_bytes_per_token
from ecosystem.formulas.shapes import approx_shape_for_params

ATTENTION_TYPES = ("MHA", "GQA", "MLA")
GQA_HEAD_DIM = 128  # the head size of every GQA model in models.csv (Llama 2/3, Mixtral, Qwen2.5)
GQA_MAX_KV_HEADS = 8  # the KV heads of every GQA model in models.csv


@dataclass(frozen=True)
class Architecture:
    """A decoder as the serving planner needs it. For MLA, ``kv_lora_rank`` and ``qk_rope_head_dim`` are the latent
    and the shared rotary key that are cached per layer and token. For a mixture of experts, ``n_experts`` routed
    experts of width ``moe_d_ff`` sit in every layer after the first ``n_dense_layers``; ``n_experts_active`` of them
    (plus ``n_shared_experts``) run per token. ``total_params`` and ``active_params`` are the published counts."""

    id: str
    attention: str
    n_layer: int
    d_model: int
    n_head: int
    n_kv_head: int
    head_dim: int
    d_ff: int
    vocab_size: int
    context_tokens: int
    total_params: float
    active_params: float
    n_experts: int = 0
    n_experts_active: int = 0
    n_shared_experts: int = 0
    moe_d_ff: int = 0
    n_dense_layers: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    def kv_bytes_per_token(self, bytes_per_element: float) -> float:
        """KV cache of one token over all layers (``formulas.kv_cache_bytes_per_token``)."""
        return kv_cache_bytes_per_token(self.attention, self.n_layer, self.n_kv_head, self.head_dim,
                                        bytes_per_element, self.kv_lora_rank, self.qk_rope_head_dim)

    def routed_expert_params(self) -> float:
        """Weights of all routed experts (three matrices d_model x moe_d_ff each, SwiGLU), at most the total."""
        if not self.is_moe:
            return 0.0
        moe_layers = self.n_layer - self.n_dense_layers
        return min(self.total_params, 3.0 * moe_layers * self.n_experts * self.d_model * self.moe_d_ff)

    def weights_read_params(self, batch: float) -> float:
        """Parameters a decode step of ``batch`` tokens reads: every dense weight, and each routed expert touched by
        at least one token, 1 - (1 - k/E)^batch of them when tokens pick experts independently."""
        routed = self.routed_expert_params()
        if routed == 0.0:
            return self.total_params
        touched = 1.0 - (1.0 - self.n_experts_active / self.n_experts) ** batch
        return self.total_params - routed + routed * touched

    def matmul_flops_per_token(self) -> float:
        """2 x the active weights that take part in matmuls (the input embedding is a lookup, not a matmul)."""
        return 2.0 * (self.active_params - self.vocab_size * self.d_model)

    def attention_flops_per_token(self, context_tokens: float) -> float:
        """Scores and weighted values of one token attending over ``context_tokens`` positions, all layers:
        2 x 2 x n_layer x context x n_head x head_dim; MLA in its absorbed form scores against the cached latent and
        rotary key (kv_lora_rank + qk_rope_head_dim) and weighs the latent (kv_lora_rank)."""
        if self.attention == "MLA":
            per_position = self.n_head * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
        else:
            per_position = 2 * self.n_head * self.head_dim
        return 2.0 * self.n_layer * context_tokens * per_position


def gqa_architecture_for_params(n_params: float, context_tokens: int = 8192, vocab_size: int = 128_256,
                                model_id: str | None = None) -> Architecture:
    """A dense GQA decoder of ``n_params`` parameters, for models without a public configuration.

    Layers and width from ``approx_shape_for_params``; heads of 128 (as every GQA model in models.csv); at most 8 KV
    heads (as every GQA model there); a 4 x d_model MLP. ``total_params`` = ``active_params`` = ``n_params``.
    """
    n_layer, d_model = approx_shape_for_params(n_params)
    n_head = max(1, round(d_model / GQA_HEAD_DIM))
    return Architecture(
        id=model_id or f"gqa-{n_params:.3g}", attention="GQA", n_layer=n_layer, d_model=d_model, n_head=n_head,
        n_kv_head=min(GQA_MAX_KV_HEADS, n_head), head_dim=GQA_HEAD_DIM, d_ff=4 * d_model,
        vocab_size=min(vocab_size, max(1, int(n_params / (4 * d_model)))),
        context_tokens=context_tokens, total_params=float(n_params), active_params=float(n_params))
