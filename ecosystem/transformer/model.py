"""A small GPT-2-style decoder, written out so that every FLOP is visible.

Pre-LayerNorm blocks, GELU MLP, learned positions, causal self-attention as explicit matmuls
(softmax(Q K^T / sqrt(d_k)) V, no fused kernel) so that ``torch.utils.flop_counter.FlopCounterMode`` counts it, an
optional tied output head, an optional KV cache for decoding, and an optional classification head (used by the bias
audit). The analytic counterparts of its cost live in ``ecosystem.formulas``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from ecosystem.formulas.shapes import TransformerShape


@dataclass
class GPTConfig:
    vocab_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 128
    n_ctx: int = 128
    d_ff: int | None = None  # default 4 x d_model
    tied_head: bool = False
    n_classes: int = 0  # > 0 adds a classification head on the last position
    dropout: float = 0.0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        if self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})")

    @property
    def shape(self) -> TransformerShape:
        return TransformerShape(self.n_layer, self.d_model, self.n_head, self.n_ctx, self.vocab_size, self.d_ff,
                                self.tied_head)

    def to_dict(self) -> dict:
        return asdict(self)


class KVCache:
    """Per-layer keys and values of shape (batch, n_head, t, d_head), grown one step at a time."""

    def __init__(self, n_layer: int) -> None:
        self.k: list[torch.Tensor | None] = [None] * n_layer
        self.v: list[torch.Tensor | None] = [None] * n_layer

    @property
    def length(self) -> int:
        return 0 if self.k[0] is None else int(self.k[0].shape[2])

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.k + self.v if t is not None)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.d_head = cfg.d_model // cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        mask = torch.tril(torch.ones(cfg.n_ctx, cfg.n_ctx, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, cfg.n_ctx, cfg.n_ctx), persistent=False)
        self.last_attention: torch.Tensor | None = None  # (batch, n_head, t, t) when recording
        self.record = False

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.view(b, t, self.n_head, self.d_head).transpose(1, 2)
        k = k.view(b, t, self.n_head, self.d_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, self.d_head).transpose(1, 2)
        past = 0
        if cache is not None:
            if cache.k[layer] is not None:
                past = cache.k[layer].shape[2]
                k = torch.cat([cache.k[layer], k], dim=2)
                v = torch.cat([cache.v[layer], v], dim=2)
            cache.k[layer], cache.v[layer] = k, v
        total = past + t
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.d_head)  # (b, h, t, total)
        scores = scores.masked_fill(~self.mask[:, :, past:total, :total], float("-inf"))
        att = F.softmax(scores, dim=-1)
        if self.record:
            self.last_attention = att.detach()
        y = self.drop(att) @ v  # (b, h, t, d_head)
        y = y.transpose(1, 2).contiguous().view(b, t, d)
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.d_ff)
        self.out = nn.Linear(cfg.d_ff, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.out(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), cache, layer)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Decoder-only Transformer. ``forward(idx)`` returns next-token logits (b, t, vocab)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.n_ctx, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tied_head:
            self.head.weight = self.tok_emb.weight
        self.cls_head = nn.Linear(cfg.d_model, cfg.n_classes) if cfg.n_classes > 0 else None
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def hidden(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        b, t = idx.shape
        start = 0 if cache is None else cache.length
        if start + t > self.cfg.n_ctx:
            raise ValueError(f"sequence of {start + t} tokens exceeds n_ctx={self.cfg.n_ctx}")
        pos = torch.arange(start, start + t, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        return self.ln_f(x)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        return self.head(self.hidden(idx, cache))

    def classify(self, idx: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits from the hidden state at each sequence's last real token (b, n_classes)."""
        if self.cls_head is None:
            raise ValueError("this model has no classification head (n_classes=0)")
        h = self.hidden(idx)
        if lengths is None:
            last = h[:, -1, :]
        else:
            last = h[torch.arange(h.shape[0], device=h.device), lengths - 1]
        return self.cls_head(last)

    def record_attention(self, on: bool = True) -> None:
        for block in self.blocks:
            block.attn.record = on

    def attention_maps(self) -> list[torch.Tensor]:
        """Attention weights (b, n_head, t, t) of each layer from the last recorded forward pass."""
        return [block.attn.last_attention for block in self.blocks]

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, use_cache: bool = True,
                 temperature: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Greedy (temperature 0) or sampled decoding, with or without the KV cache."""
        cache = KVCache(self.cfg.n_layer) if use_cache else None
        out = idx
        logits = self(idx, cache)[:, -1, :]
        for _ in range(max_new_tokens):
            if temperature > 0:
                probs = F.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator)
            else:
                nxt = logits.argmax(dim=-1, keepdim=True)
            out = torch.cat([out, nxt], dim=1)
            if out.shape[1] >= self.cfg.n_ctx:
                break
            logits = (self(nxt, cache) if use_cache else self(out))[:, -1, :]
        return out
