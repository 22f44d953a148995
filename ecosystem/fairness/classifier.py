"""The audited model: the small Transformer with a two-class head, trained on the bought labels, and its predictions.

Imports torch; ``ecosystem.fairness.audit`` imports this module only when an audit runs, so that the fairness package
(corpus, labellers, metrics, report, transfer table) stays importable without torch.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import torch
from torch.nn import functional as F

from ecosystem.fairness.corpus import FairnessCorpus, WordVocab
from ecosystem.fairness.settings import Progress, TrainSettings
from ecosystem.transformer.model import GPT, GPTConfig
from ecosystem.transformer.train import lr_at, make_optimizer, train_loop


@contextmanager
def torch_threads(n: int):
    """Run with ``n`` torch threads, restoring the previous number afterwards."""
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_classifier(corpus: FairnessCorpus, labels: np.ndarray, vocab: WordVocab, settings: TrainSettings,
                     seed: int = 0, progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0)):
    """Train ``GPT(n_classes=2)`` on the corpus with the given labels; returns (model, info dict).

    The project's one training loop (``ecosystem.transformer.train``): plain (unfused) AdamW, cosine decay from
    ``settings.lr`` to 0 without warm-up, epochs of batches shuffled by a generator seeded with ``seed``."""
    ids, lengths = vocab.encode(corpus.texts())
    X = torch.from_numpy(ids)
    L = torch.from_numpy(lengths)
    Y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    n = X.shape[0]
    cfg = GPTConfig(vocab_size=len(vocab), n_layer=settings.n_layer, n_head=settings.n_head,
                    d_model=settings.d_model, n_ctx=max(int(X.shape[1]), 24), n_classes=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT(cfg)
    opt = make_optimizer(model, settings.lr, settings.weight_decay, fused=False)
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = (n + settings.batch_size - 1) // settings.batch_size
    total = settings.epochs * steps_per_epoch
    losses: list[float] = []
    running = {"loss": 0.0}
    t0 = time.perf_counter()

    def batches():
        for _ in range(settings.epochs):
            perm = torch.randperm(n, generator=gen)
            for start in range(0, n, settings.batch_size):
                yield perm[start:start + settings.batch_size]

    def loss_fn(net, batch):
        return F.cross_entropy(net.classify(X[batch], L[batch]), Y[batch])

    def on_step(step: int, batch, loss) -> None:
        running["loss"] += loss.item() * len(batch)
        if (step + 1) % steps_per_epoch:
            return
        epoch = (step + 1) // steps_per_epoch - 1
        losses.append(running["loss"] / n)
        running["loss"] = 0.0
        if progress is not None:
            frac = span[0] + (span[1] - span[0]) * (epoch + 1) / settings.epochs
            progress(frac, f"training epoch {epoch + 1}/{settings.epochs}, loss {losses[-1]:.3f}")

    model.train()
    train_loop(model, opt, batches(), loss_fn, lambda step: lr_at(step, total, settings.lr), on_step=on_step)
    model.eval()
    info = {"n_params": int(model.n_params()), "epochs": settings.epochs, "batch_size": settings.batch_size,
            "lr": settings.lr, "n_layer": settings.n_layer, "n_head": settings.n_head, "d_model": settings.d_model,
            "n_ctx": cfg.n_ctx, "vocab_size": cfg.vocab_size, "train_loss_by_epoch": [round(x, 5) for x in losses],
            "train_seconds": round(time.perf_counter() - t0, 3), "optimizer": "AdamW, cosine decay"}
    return model, info


def predict(model, vocab: WordVocab, corpus: FairnessCorpus, batch: int = 1024) -> np.ndarray:
    """Predicted class (0 or 1) of every sentence of ``corpus``."""
    ids, lengths = vocab.encode(corpus.texts())
    out = []
    with torch.no_grad():
        for s in range(0, len(ids), batch):
            logits = model.classify(torch.from_numpy(ids[s:s + batch]), torch.from_numpy(lengths[s:s + batch]))
            out.append(logits.argmax(dim=1).numpy())
    return np.concatenate(out).astype(np.int64)
