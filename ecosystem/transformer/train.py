"""The one way the small Transformer is trained: one AdamW builder, one learning-rate schedule (linear warm-up, then
cosine decay to a floor) and one loop (set the step's rate, compute the loss, step the optimiser).

The probe trains language models with it (``train_lm``: random sentence-aligned windows of the PCFG corpus, optionally
distilled from a teacher); the bias audit trains a classifier with it (``ecosystem.fairness.classifier``: epochs of
shuffled batches). Each passes its own batches, loss and schedule settings; the numerics of both are those of the
loops they replaced (same optimiser settings, schedule and order of random draws).
"""

from __future__ import annotations

import contextlib
import math
from typing import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

from ecosystem.transformer.corpus import Corpus
from ecosystem.transformer.model import GPT, GPTConfig

LossFn = Callable[[nn.Module, object], torch.Tensor]


def autocast(device: str):
    """bf16 autocast on CUDA (what training there really uses); nothing on the CPU (fp32 throughout)."""
    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_optimizer(model: nn.Module, lr: float = 1e-3, weight_decay: float = 0.01,
                   fused: bool = True) -> torch.optim.Optimizer:
    """AdamW; with ``fused``, the fused kernel (one kernel, no temporaries) where this build of torch offers it for
    the device, else the plain one."""
    if fused:
        try:
            return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


def lr_at(step: int, total_steps: int, peak: float, *, warmup_steps: int = 0, floor: float = 0.0) -> float:
    """The learning rate of ``step`` (0-based): linear warm-up to ``peak`` over ``warmup_steps``, then cosine decay
    from ``peak`` to ``floor x peak`` over the remaining steps (angle pi x steps done / steps of the decay)."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    angle = math.pi * (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return peak * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(angle)))


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """Back-propagate ``loss`` and update the weights (gradients cleared first)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def train_loop(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Iterable, loss_fn: LossFn,
               lr_for_step: Callable[[int], float], device: str = "cpu",
               on_step: Callable[[int, object, torch.Tensor], None] | None = None) -> None:
    """The training loop: for each batch, set the step's learning rate, compute ``loss_fn(model, batch)`` (under bf16
    autocast on CUDA), step the optimiser, then call ``on_step(step, batch, loss)``."""
    for step, batch in enumerate(batches):
        for group in optimizer.param_groups:
            group["lr"] = lr_for_step(step)
        with autocast(device):
            loss = loss_fn(model, batch)
        optimizer_step(optimizer, loss)
        if on_step is not None:
            on_step(step, batch, loss)


# ---- language models on the PCFG corpus -----------------------------------------------------------------------------


def windows(corpus: Corpus, seq_len: int) -> list[int]:
    """Sentence starts from which a full window of ``seq_len + 1`` tokens fits."""
    limit = corpus.n_tokens - seq_len - 1
    return [s for s in corpus.starts if s <= limit]


def batch_of(corpus: Corpus, starts: list[int], seq_len: int, device: str):
    """Inputs and next-token targets of the windows at ``starts``: two (len(starts), seq_len) tensors."""
    ids = torch.tensor([corpus.ids[s:s + seq_len + 1] for s in starts], dtype=torch.long, device=device)
    return ids[:, :-1], ids[:, 1:]


class WindowSampler:
    """Deterministic random windows, each starting at a ``<bos>`` so every target has its whole sentence prefix."""

    def __init__(self, corpus: Corpus, seq_len: int, seed: int, device: str) -> None:
        self.corpus, self.seq_len, self.device = corpus, seq_len, device
        self.starts = windows(corpus, seq_len)
        if not self.starts:
            raise ValueError(f"corpus of {corpus.n_tokens} tokens is too short for windows of {seq_len + 1} tokens")
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, batch: int):
        pick = torch.randint(len(self.starts), (batch,), generator=self.gen).tolist()
        return batch_of(self.corpus, [self.starts[i] for i in pick], self.seq_len, self.device)


def default_lr(d_model: int) -> float:
    """Peak learning rate: 3e-3 at d_model 64, falling as 1/sqrt(d_model) (a common small-model heuristic)."""
    return 3e-3 * math.sqrt(64.0 / d_model)


def lm_loss(teacher: GPT | None = None, distill_weight: float = 0.5) -> LossFn:
    """Next-token cross-entropy; with a ``teacher``, ``(1 - w) CE(data) + w KL(teacher || student)`` (knowledge
    distillation)."""

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        x, y = batch
        logits = model(x).float()
        loss = F.cross_entropy(logits.reshape(-1, model.cfg.vocab_size), y.reshape(-1))
        if teacher is not None:
            with torch.no_grad():
                target = F.log_softmax(teacher(x).float(), dim=-1)
            kl = F.kl_div(F.log_softmax(logits, dim=-1), target, log_target=True, reduction="none").sum(-1).mean()
            loss = (1.0 - distill_weight) * loss + distill_weight * kl
        return loss

    return loss_fn


def train_lm(cfg: GPTConfig, train: Corpus, steps: int, batch: int, seed: int = 0, device: str = "cpu",
             lr: float | None = None, teacher: GPT | None = None, distill_weight: float = 0.5) -> GPT:
    """Train a GPT on random sentence-aligned windows of ``train``; deterministic for a seed. Fused AdamW, 10% linear
    warm-up, cosine decay to a tenth of the peak rate (``default_lr`` unless given)."""
    torch.manual_seed(seed)
    model = GPT(cfg).to(device)
    peak = default_lr(cfg.d_model) if lr is None else lr
    opt = make_optimizer(model, peak)
    sample = WindowSampler(train, cfg.n_ctx, seed, device)
    warmup = max(1, steps // 10)
    train_loop(model, opt, (sample(batch) for _ in range(steps)), lm_loss(teacher, distill_weight),
               lambda step: lr_at(step, steps, peak, warmup_steps=warmup, floor=0.1), device)
    model.eval()
    return model


@torch.no_grad()
def evaluate(model: GPT, heldout: Corpus, starts: list[int], device: str = "cpu", batch: int = 32) -> list[float]:
    """Per-token held-out loss (nats) of ``model`` on the targets of the windows at ``starts``."""
    was_training = model.training
    model.eval()
    out: list[float] = []
    seq_len = model.cfg.n_ctx
    for i in range(0, len(starts), batch):
        x, y = batch_of(heldout, starts[i:i + batch], seq_len, device)
        logits = model(x).float()
        out.extend(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none").tolist())
    model.train(was_training)
    return out
