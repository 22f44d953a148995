"""The scaling demo: several sizes trained on one token budget, their held-out loss beside the corpus's exact entropy,
and a fitted exponent (loss = E + A / N^alpha, E fixed to that entropy)."""

from __future__ import annotations

import math

from ecosystem.probe.runtime import mean
from ecosystem.transformer.corpus import Corpus
from ecosystem.transformer.train import windows


def eval_set(heldout: Corpus, seq_len: int, n_windows: int):
    """Non-overlapping held-out windows and the exact true entropy (nats/token) of their target tokens."""
    chosen, next_free = [], 0
    for s in windows(heldout, seq_len):
        if s >= next_free:
            chosen.append(s)
            next_free = s + seq_len
        if len(chosen) == n_windows:
            break
    if not chosen:
        raise ValueError(f"held-out corpus too short for windows of {seq_len + 1} tokens")
    surprisal = [heldout.surprisal_nats[s + 1 + i] for s in chosen for i in range(seq_len)]
    return chosen, surprisal


def fit_scaling(points: list[tuple[float, float]], entropy: float) -> dict:
    """Fit loss = E + A / N^alpha with E fixed to the corpus's exact entropy: a least-squares line through
    log(loss - E) against log N. Needs >= 2 points with loss > E."""
    usable = [(n, l - entropy) for n, l in points if l - entropy > 0]
    out = {"E_nats": entropy, "points": [{"n_params": n, "loss_nats": l} for n, l in points]}
    if len(usable) < 2:
        out.update(alpha=None, A=None, r2=None, note="fewer than two sizes above the entropy floor: no fit")
        return out
    xs = [math.log(n) for n, _ in usable]
    ys = [math.log(r) for _, r in usable]
    mx, my = mean(xs), mean(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    ss_tot = sum((b - my) ** 2 for b in ys)
    ss_res = sum((b - (intercept + slope * a)) ** 2 for a, b in zip(xs, ys))
    out.update(alpha=-slope, A=math.exp(intercept), r2=1.0 - ss_res / ss_tot if ss_tot > 0 else None)
    return out


def unigram_entropy(c: Corpus) -> float:
    """Entropy (nats) of the corpus's token frequencies: what a model that ignores context can reach."""
    counts: dict[int, int] = {}
    for i in c.ids:
        counts[i] = counts.get(i, 0) + 1
    n = len(c.ids)
    return -sum(k / n * math.log(k / n) for k in counts.values())
