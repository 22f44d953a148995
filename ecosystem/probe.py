"""``python -m ecosystem probe``: measure the real small Transformer on this machine, beside the formulas.

For several model sizes it counts the FLOPs of a training step and of an inference forward pass with
``torch.utils.flop_counter.FlopCounterMode`` and sets them beside ``ecosystem.compute``'s analytic formulas; it
measures the machine's dense matmul peak, the training throughput and MFU, and the peak memory of a training step
beside the analytic sum of weights, gradients, AdamW state and activations. It times prefill and decoding with and
without the KV cache, quantises the Linear layers to int8, distils a large model into a small one, trains several
sizes on one token budget to fit a scaling exponent, and exports the attention weights of a sample sentence.

Public API: ``run_probe(quick, device, progress) -> dict`` (the JSON object), ``load_profile(path=None) -> dict``
(the shipped ``data/profiles/probe_cpu.json``), ``attention_for_sentence(text=None) -> dict`` (a tiny trained model's
attention, from the checkpoint ``data/profiles/attention_model.pt``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import io
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from ecosystem import compute
from ecosystem import corpus as corpus_mod
from ecosystem.model import GPT, GPTConfig, KVCache
from ecosystem.profiles import DEFAULT_PROBE_PROFILE as DEFAULT_PROFILE
from ecosystem.profiles import PROFILE_DIR, load_probe_profile
from ecosystem.reference import REPO_ROOT, chinchilla_fit
ATTENTION_CHECKPOINT = PROFILE_DIR / "attention_model.pt"
DEFAULT_SENTENCE = "the dog near the cats sleeps"
SCHEMA_VERSION = 1
DEVICES = ("cpu", "cuda")
MODES = ("full", "quick", "test")

Progress = Callable[[str], None]


# ---- what each mode runs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """One model shape and the batch it is trained with."""

    name: str
    n_layer: int
    n_head: int
    d_model: int
    n_ctx: int
    batch: int

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(vocab_size=vocab_size, n_layer=self.n_layer, n_head=self.n_head, d_model=self.d_model,
                         n_ctx=self.n_ctx)


@dataclass(frozen=True)
class Plan:
    sizes: tuple[Size, ...]  # the FLOP / MFU / memory table, smallest to largest
    warmup_steps: int
    timed_steps: int
    gemm_sizes: tuple[int, ...]
    gemm_reps: int
    scaling: tuple[Size, ...]  # trained on one token budget, smallest to largest
    scaling_steps: int
    kv: Size  # n_ctx >= prompt + new tokens
    kv_prompt: int
    kv_new: int
    kv_reps: int
    eval_windows: int
    train_tokens: int
    heldout_tokens: int
    infer_reps: int
    table_threads: int | None = None  # None: every core (the GEMM peak and the size table)
    small_threads: int | None = 1  # the small models (KV cache, scaling, quantisation, distillation) on the CPU


def _s(name, L, H, d, T, B):
    return Size(name, L, H, d, T, B)


PLANS: dict[tuple[str, str], Plan] = {
    ("cpu", "full"): Plan(
        sizes=(_s("xs", 2, 4, 128, 128, 16), _s("s", 2, 4, 256, 128, 16), _s("m", 4, 6, 384, 128, 16),
               _s("l", 4, 8, 512, 128, 16)),
        warmup_steps=1, timed_steps=6, gemm_sizes=(1024, 2048), gemm_reps=5,
        scaling=(_s("d16", 2, 2, 16, 64, 16), _s("d32", 2, 4, 32, 64, 16), _s("d64", 2, 4, 64, 64, 16),
                 _s("d128", 2, 4, 128, 64, 16)),
        scaling_steps=300, kv=_s("kv", 4, 4, 256, 320, 1), kv_prompt=64, kv_new=256, kv_reps=2,
        eval_windows=64, train_tokens=400_000, heldout_tokens=20_000, infer_reps=3),
    ("cpu", "quick"): Plan(
        sizes=(_s("xs", 1, 2, 64, 64, 8), _s("s", 2, 4, 128, 64, 8), _s("m", 2, 4, 192, 64, 8),
               _s("l", 2, 4, 256, 64, 16)),
        warmup_steps=1, timed_steps=2, gemm_sizes=(1024, 2048), gemm_reps=3,
        scaling=(_s("d16", 2, 2, 16, 32, 16), _s("d32", 2, 4, 32, 32, 16), _s("d64", 2, 4, 64, 32, 16)),
        scaling_steps=120, kv=_s("kv", 2, 4, 256, 320, 1), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=48, train_tokens=100_000, heldout_tokens=8_000, infer_reps=2),
    ("cpu", "test"): Plan(
        sizes=(_s("xs", 1, 2, 16, 16, 2), _s("s", 1, 2, 24, 16, 2), _s("m", 1, 2, 32, 16, 2),
               _s("l", 2, 2, 32, 16, 2)),
        warmup_steps=1, timed_steps=1, gemm_sizes=(256,), gemm_reps=2,
        scaling=(_s("d16", 1, 2, 16, 16, 8), _s("d24", 1, 2, 24, 16, 8), _s("d32", 1, 2, 32, 16, 8)),
        scaling_steps=15, kv=_s("kv", 1, 2, 32, 320, 1), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=8, train_tokens=5_000, heldout_tokens=1_000, infer_reps=1, table_threads=1),
    ("cuda", "full"): Plan(
        sizes=(_s("s", 4, 8, 512, 512, 16), _s("m", 8, 16, 1024, 512, 16), _s("l", 12, 12, 1536, 1024, 8),
               _s("xl", 16, 16, 2048, 1024, 8)),
        warmup_steps=3, timed_steps=10, gemm_sizes=(4096, 8192), gemm_reps=10,
        scaling=(_s("d64", 2, 4, 64, 128, 32), _s("d128", 2, 4, 128, 128, 32), _s("d256", 4, 4, 256, 128, 32),
                 _s("d512", 4, 8, 512, 128, 32)),
        scaling_steps=600, kv=_s("kv", 12, 12, 1536, 320, 128), kv_prompt=64, kv_new=256, kv_reps=2,
        eval_windows=256, train_tokens=2_000_000, heldout_tokens=60_000, infer_reps=5),
    ("cuda", "quick"): Plan(
        sizes=(_s("xs", 2, 4, 256, 256, 16), _s("s", 4, 8, 512, 256, 16), _s("m", 6, 8, 768, 512, 8),
               _s("l", 8, 16, 1024, 512, 8)),
        warmup_steps=2, timed_steps=5, gemm_sizes=(4096, 8192), gemm_reps=5,
        scaling=(_s("d64", 2, 4, 64, 64, 32), _s("d128", 2, 4, 128, 64, 32), _s("d256", 2, 4, 256, 64, 32)),
        scaling_steps=200, kv=_s("kv", 8, 16, 1024, 320, 128), kv_prompt=64, kv_new=256, kv_reps=1,
        eval_windows=64, train_tokens=300_000, heldout_tokens=10_000, infer_reps=3),
}
PLANS[("cuda", "test")] = PLANS[("cpu", "test")]


# ---- small helpers ------------------------------------------------------------------------------------------------


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _autocast(device: str):
    """bf16 autocast on CUDA (what training there really uses); nothing on the CPU (fp32 throughout)."""
    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _threads(n: int | None):
    """Run with ``n`` intra-op threads (None: leave as is), restoring the previous number afterwards."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _precision(device: str) -> str:
    return "bf16-autocast" if device == "cuda" else "fp32"


def _make_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """AdamW, fused where this build of torch offers it for the device (one kernel, no temporaries)."""
    try:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)


def _train_step(model: GPT, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, device: str) -> torch.Tensor:
    with _autocast(device):
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.detach()


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the profiler's C++ start/stop lines on fd 2 (Python exceptions still propagate)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _windows(corpus: corpus_mod.Corpus, seq_len: int) -> list[int]:
    """Sentence starts from which a full window of ``seq_len + 1`` tokens fits."""
    limit = corpus.n_tokens - seq_len - 1
    return [s for s in corpus.starts if s <= limit]


def _batch(corpus: corpus_mod.Corpus, starts: list[int], seq_len: int, device: str):
    ids = torch.tensor([corpus.ids[s:s + seq_len + 1] for s in starts], dtype=torch.long, device=device)
    return ids[:, :-1], ids[:, 1:]


class _Sampler:
    """Deterministic random windows, each starting at a ``<bos>`` so every target has its whole sentence prefix."""

    def __init__(self, corpus: corpus_mod.Corpus, seq_len: int, seed: int, device: str) -> None:
        self.corpus, self.seq_len, self.device = corpus, seq_len, device
        self.starts = _windows(corpus, seq_len)
        if not self.starts:
            raise ValueError(f"corpus of {corpus.n_tokens} tokens is too short for windows of {seq_len + 1} tokens")
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, batch: int):
        pick = torch.randint(len(self.starts), (batch,), generator=self.gen).tolist()
        return _batch(self.corpus, [self.starts[i] for i in pick], self.seq_len, self.device)


def _eval_set(heldout: corpus_mod.Corpus, seq_len: int, n_windows: int):
    """Non-overlapping held-out windows and the exact true entropy (nats/token) of their target tokens."""
    chosen, next_free = [], 0
    for s in _windows(heldout, seq_len):
        if s >= next_free:
            chosen.append(s)
            next_free = s + seq_len
        if len(chosen) == n_windows:
            break
    if not chosen:
        raise ValueError(f"held-out corpus too short for windows of {seq_len + 1} tokens")
    surprisal = [heldout.surprisal_nats[s + 1 + i] for s in chosen for i in range(seq_len)]
    return chosen, surprisal


@torch.no_grad()
def evaluate(model: GPT, heldout: corpus_mod.Corpus, starts: list[int], device: str = "cpu",
             batch: int = 32) -> list[float]:
    """Per-token held-out loss (nats) of ``model`` on the targets of the windows at ``starts``."""
    was_training = model.training
    model.eval()
    out: list[float] = []
    seq_len = model.cfg.n_ctx
    for i in range(0, len(starts), batch):
        x, y = _batch(heldout, starts[i:i + batch], seq_len, device)
        logits = model(x).float()
        out.extend(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none").tolist())
    model.train(was_training)
    return out


def _lr_at(step: int, steps: int, peak: float) -> float:
    warm = max(1, steps // 10)
    if step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def default_lr(d_model: int) -> float:
    """Peak learning rate: 3e-3 at d_model 64, falling as 1/sqrt(d_model) (a common small-model heuristic)."""
    return 3e-3 * math.sqrt(64.0 / d_model)


def train_lm(cfg: GPTConfig, train: corpus_mod.Corpus, steps: int, batch: int, seed: int = 0, device: str = "cpu",
             lr: float | None = None, teacher: GPT | None = None, distill_weight: float = 0.5) -> GPT:
    """Train a GPT on random sentence-aligned windows of ``train``; deterministic for a seed.

    With a ``teacher`` the loss is ``(1 - w) CE(data) + w KL(teacher || student)`` (knowledge distillation).
    """
    torch.manual_seed(seed)
    model = GPT(cfg).to(device)
    peak = default_lr(cfg.d_model) if lr is None else lr
    opt = _make_optimizer(model, peak)
    sample = _Sampler(train, cfg.n_ctx, seed, device)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, steps, peak)
        x, y = sample(batch)
        with _autocast(device):
            logits = model(x).float()
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
            if teacher is not None:
                with torch.no_grad():
                    target = F.log_softmax(teacher(x).float(), dim=-1)
                kl = F.kl_div(F.log_softmax(logits, dim=-1), target, log_target=True, reduction="none").sum(-1).mean()
                loss = (1.0 - distill_weight) * loss + distill_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    return model


# ---- measurements -------------------------------------------------------------------------------------------------


def measure_gemm_peak(device: str = "cpu", sizes: tuple[int, ...] = (1024, 2048), reps: int = 5) -> dict:
    """Best dense matmul rate over square products of each size (fp32 on the CPU, bf16 on CUDA)."""
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    per_size = {}
    for n in sizes:
        gen = torch.Generator().manual_seed(n)
        a = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
        b = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
        inner = 10 if device == "cuda" else 1  # several products between synchronisations on a GPU
        a @ b
        _sync(device)
        best = math.inf
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(inner):
                a @ b
            _sync(device)
            best = min(best, (time.perf_counter() - t0) / inner)
        per_size[str(n)] = 2.0 * n**3 / best
        del a, b
    return {"flops_per_s": max(per_size.values()), "dtype": str(dtype).replace("torch.", ""), "reps": reps,
            "per_size_flops_per_s": per_size}


def count_flops(model: GPT, x: torch.Tensor, y: torch.Tensor | None = None,
                opt: torch.optim.Optimizer | None = None, device: str = "cpu") -> float:
    """FLOPs that FlopCounterMode counts for one training step (forward, backward, optimizer) when ``y`` is given,
    else for one inference forward pass."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        if y is None:
            with torch.no_grad(), _autocast(device):
                model(x)
        else:
            _train_step(model, opt, x, y, device)
    return float(counter.get_total_flops())


def _cpu_allocator_peak(fn: Callable[[], object]) -> tuple[float, float]:
    """Peak and final of the running sum of every CPU allocation and free the profiler records while ``fn`` runs."""
    from torch.profiler import ProfilerActivity, profile

    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_ns())
    cur = peak = 0
    for e in events:
        cur += e.nbytes()
        peak = max(peak, cur)
    return float(peak), float(cur)


def measure_training_memory(cfg: GPTConfig, batch: int, device: str = "cpu", steps: int = 2) -> dict:
    """Peak bytes of building the model and optimizer and running ``steps`` training steps (AdamW state exists from
    the first step on, so the second step is the steady state).

    CPU: the PyTorch profiler records every allocation and free of the CPU allocator; the peak of their running sum is
    the measurement, and its final value must equal parameters + gradients + optimizer state + buffers + the batch,
    which the probe checks. CUDA: ``torch.cuda.max_memory_allocated`` over the same work.
    """
    held: dict = {}

    def work():
        torch.manual_seed(0)
        model = GPT(cfg).to(device)
        opt = _make_optimizer(model)
        x = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx), device=device)
        y = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx), device=device)
        for _ in range(steps):
            _train_step(model, opt, x, y, device)
        held.update(model=model, opt=opt, x=x, y=y)

    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        work()
        torch.cuda.synchronize()
        peak, final = float(torch.cuda.max_memory_allocated() - base), float(torch.cuda.memory_allocated() - base)
        method = "torch.cuda.max_memory_allocated over model build + optimizer + training steps"
    else:
        peak, final = _cpu_allocator_peak(work)
        method = ("PyTorch profiler (profile_memory=True): peak of the running sum of every CPU allocation and free "
                  "from model build through the training steps")
    model, opt = held["model"], held["opt"]
    accounted = sum(t.numel() * t.element_size() for t in model.parameters())
    accounted += sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    accounted += sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values()
                     if torch.is_tensor(t) and t.device.type == device)
    accounted += sum(b.numel() * b.element_size() for b in model.buffers())
    accounted += sum(t.numel() * t.element_size() for t in (held["x"], held["y"]))
    breakdown = compute.training_memory_breakdown_bytes(cfg.shape, batch, precision=_precision(device))
    del held
    return {"peak_bytes": peak, "final_live_bytes": final, "accounted_live_bytes": float(accounted),
            "method": method, "analytic_breakdown_bytes": breakdown}


def probe_size(size: Size, vocab_size: int, plan: Plan, device: str, train: corpus_mod.Corpus,
               peak_flops: float) -> dict:
    cfg = size.config(vocab_size)
    shape = cfg.shape
    torch.manual_seed(0)
    model = GPT(cfg).to(device)
    opt = _make_optimizer(model)
    sample = _Sampler(train, cfg.n_ctx, 0, device)

    # counted FLOPs: one sequence at full context (the count per token does not depend on the batch)
    x1, y1 = sample(1)
    t = cfg.n_ctx
    train_counted = count_flops(model, x1, y1, opt, device) / t
    infer_counted = count_flops(model, x1, device=device) / t
    train_analytic = compute.shape_flops_per_token(shape, training=True)
    infer_analytic = compute.shape_flops_per_token(shape, training=False)

    # training throughput
    tokens_per_step = size.batch * t
    for _ in range(plan.warmup_steps):
        _train_step(model, opt, *sample(size.batch), device)
    _sync(device)
    times = []
    for _ in range(plan.timed_steps):
        x, y = sample(size.batch)
        _sync(device)
        t0 = time.perf_counter()
        _train_step(model, opt, x, y, device)
        _sync(device)
        times.append(time.perf_counter() - t0)
    # best step, like the best-of-reps GEMM peak: neither figure is dragged down by other work on a shared machine
    step_s = min(times)
    tokens_per_s = tokens_per_step / step_s
    achieved = tokens_per_s * train_counted
    tokens_per_s_median = tokens_per_step / statistics.median(times)

    # inference throughput (a full-context forward of the training batch)
    model.eval()
    x, _ = sample(size.batch)
    tokens_per_s_infer = tokens_per_step / _forward_time(model, x, plan.infer_reps, device)
    del model, opt

    mem = measure_training_memory(cfg, size.batch, device)
    analytic_mem = mem["analytic_breakdown_bytes"]["total"]
    elementwise = compute.elementwise_flops_per_token_forward(shape)
    n_total = compute.total_params(shape)
    adamw = compute.ADAMW_FLOPS_PER_PARAM_STEP * n_total / tokens_per_step
    return {
        "name": size.name,
        "n_params": n_total,
        "n_params_matmul": compute.matmul_params(shape),
        "n_layer": cfg.n_layer, "n_head": cfg.n_head, "d_model": cfg.d_model, "d_ff": cfg.d_ff, "n_ctx": cfg.n_ctx,
        "vocab_size": cfg.vocab_size, "batch": size.batch, "tokens_per_step": tokens_per_step,
        "precision": _precision(device),
        "train_flops_per_token_counted": train_counted,
        "train_flops_per_token_analytic": train_analytic,
        "train_flops_ratio": train_counted / train_analytic,
        "infer_flops_per_token_counted": infer_counted,
        "infer_flops_per_token_analytic": infer_analytic,
        "infer_flops_ratio": infer_counted / infer_analytic,
        "uncounted_flops_per_token_estimate": {
            "elementwise_forward": elementwise,
            "elementwise_train": 3.0 * elementwise,
            "adamw_per_token": adamw,
            "share_of_train": (3.0 * elementwise + adamw) / train_analytic,
        },
        "step_s_best": step_s, "step_s_median": statistics.median(times), "timed_steps": len(times),
        "tokens_per_s_train": tokens_per_s,
        "achieved_flops_per_s": achieved,
        "mfu": achieved / peak_flops,
        "tokens_per_s_train_median": tokens_per_s_median,
        "mfu_median": tokens_per_s_median * train_counted / peak_flops,
        "tokens_per_s_infer": tokens_per_s_infer,
        "peak_memory_bytes_measured": mem["peak_bytes"],
        "peak_memory_bytes_analytic": analytic_mem,
        "memory_ratio": mem["peak_bytes"] / analytic_mem,
        "memory_breakdown_bytes": mem["analytic_breakdown_bytes"],
        "memory_final_live_bytes": mem["final_live_bytes"],
        "memory_accounted_live_bytes": mem["accounted_live_bytes"],
        "memory_method": mem["method"],
    }


def _time_generate(model: GPT, prompt: torch.Tensor, n: int, use_cache: bool, device: str, reps: int):
    best, out = math.inf, None
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        out = model.generate(prompt, n, use_cache=use_cache)
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best, out


@torch.no_grad()
def probe_kv_cache(plan: Plan, vocab_size: int, train: corpus_mod.Corpus, device: str) -> dict:
    """Prefill and decode rates with and without the KV cache, and the cache's bytes against the formula."""
    size = plan.kv
    if plan.kv_prompt + plan.kv_new > size.n_ctx:
        raise ValueError(f"kv test: prompt {plan.kv_prompt} + new {plan.kv_new} exceeds n_ctx {size.n_ctx}")
    cfg = size.config(vocab_size)
    torch.manual_seed(0)
    model = GPT(cfg).to(device).eval()
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = model.to(dtype)
    x, _ = _Sampler(train, plan.kv_prompt, 0, device)(size.batch)
    model(x)  # warm-up
    prefill_s = {}
    for name in ("cached", "uncached"):  # the same matmuls; the cached pass also stores K and V
        best = math.inf
        for _ in range(plan.kv_reps):
            cache = KVCache(cfg.n_layer) if name == "cached" else None
            _sync(device)
            t0 = time.perf_counter()
            model(x, cache)
            _sync(device)
            best = min(best, time.perf_counter() - t0)
        prefill_s[name] = best
    t_cached, out_cached = _time_generate(model, x, plan.kv_new, True, device, plan.kv_reps)
    t_uncached, out_uncached = _time_generate(model, x, plan.kv_new, False, device, plan.kv_reps)
    new_tokens = out_cached.shape[1] - x.shape[1]
    # bytes: fill a cache to the full context and compare with 2 n_layer n_ctx d_model bytes batch
    full = torch.randint(vocab_size, (size.batch, cfg.n_ctx), device=device)
    cache = KVCache(cfg.n_layer)
    model(full, cache)
    elem = torch.empty((), dtype=dtype).element_size()
    analytic = compute.kv_cache_bytes(cfg.n_layer, cfg.n_ctx, cfg.d_model, elem, size.batch)
    return {
        "n_layer": cfg.n_layer, "n_head": cfg.n_head, "d_model": cfg.d_model, "n_ctx": cfg.n_ctx,
        "n_params": model.n_params(), "batch": size.batch, "dtype": str(dtype).replace("torch.", ""),
        "prompt_tokens": plan.kv_prompt, "new_tokens": int(new_tokens),
        "prefill_tokens_per_s": size.batch * plan.kv_prompt / prefill_s["cached"],
        "prefill_tokens_per_s_uncached": size.batch * plan.kv_prompt / prefill_s["uncached"],
        "decode_tokens_per_s_cached": size.batch * new_tokens / t_cached,
        "decode_tokens_per_s_uncached": size.batch * new_tokens / t_uncached,
        "decode_s_cached": t_cached, "decode_s_uncached": t_uncached,
        "speedup": t_uncached / t_cached,
        "identical_greedy_tokens": bool(torch.equal(out_cached, out_uncached)),
        "bytes_measured": float(cache.nbytes()),
        "bytes_analytic": analytic,
        "bytes_ratio": cache.nbytes() / analytic,
        "cache_tokens": cache.length,
    }


def _state_bytes(model: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def _forward_time(model: nn.Module, x: torch.Tensor, reps: int, device: str = "cpu") -> float:
    best = math.inf
    with torch.no_grad(), _autocast(device):
        model(x)
        for _ in range(reps):
            _sync(device)
            t0 = time.perf_counter()
            model(x)
            _sync(device)
            best = min(best, time.perf_counter() - t0)
    return best


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def probe_quantization(model: GPT, heldout, starts, reps: int) -> dict:
    """int8 dynamic quantisation of every nn.Linear (weights int8, activations quantised on the fly), on the CPU."""
    from torch.ao.quantization import quantize_dynamic

    fp32 = copy.deepcopy(model).cpu().float().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = quantize_dynamic(copy.deepcopy(fp32), {nn.Linear}, dtype=torch.qint8)
    loss_fp32 = _mean(evaluate(fp32, heldout, starts))
    loss_int8 = _mean(evaluate(int8, heldout, starts))
    x, _ = _batch(heldout, starts[:32], fp32.cfg.n_ctx, "cpu")
    t_fp32 = _forward_time(fp32, x, reps)
    t_int8 = _forward_time(int8, x, reps)
    b_fp32, b_int8 = _state_bytes(fp32), _state_bytes(int8)
    return {"device": "cpu", "engine": torch.backends.quantized.engine, "n_params": fp32.n_params(),
            "int8_speedup": t_fp32 / t_int8, "size_ratio": b_int8 / b_fp32,
            "bytes_fp32": b_fp32, "bytes_int8": b_int8,
            "loss_fp32_nats": loss_fp32, "loss_int8_nats": loss_int8, "loss_delta": loss_int8 - loss_fp32}


def probe_distillation(teacher: GPT, student_cfg: GPTConfig, baseline_loss: float, train, heldout, starts,
                       steps: int, batch: int, device: str, reps: int) -> dict:
    """Distil the teacher into a small student on the same token budget; compare with the same size trained on data."""
    student = train_lm(student_cfg, train, steps, batch, seed=0, device=device, teacher=teacher.eval())
    loss_t = _mean(evaluate(teacher, heldout, starts, device))
    loss_s = _mean(evaluate(student, heldout, starts, device))
    x, _ = _batch(heldout, starts[:32], student_cfg.n_ctx, device)
    t_t = _forward_time(teacher, x, reps, device)
    t_s = _forward_time(student, x, reps, device)
    return {"method": "knowledge distillation: 0.5 cross-entropy on data + 0.5 KL(teacher || student)",
            "teacher_params": teacher.n_params(), "student_params": student.n_params(),
            "speedup": t_t / t_s, "size_ratio": _state_bytes(student) / _state_bytes(teacher),
            "loss_teacher_nats": loss_t, "loss_student_nats": loss_s, "loss_delta": loss_s - loss_t,
            "loss_same_size_from_data_nats": baseline_loss,
            "distillation_gain_nats": baseline_loss - loss_s, "steps": steps}


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
    mx, my = _mean(xs), _mean(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    ss_tot = sum((b - my) ** 2 for b in ys)
    ss_res = sum((b - (intercept + slope * a)) ** 2 for a, b in zip(xs, ys))
    out.update(alpha=-slope, A=math.exp(intercept), r2=1.0 - ss_res / ss_tot if ss_tot > 0 else None)
    return out


def probe_learning(plan: Plan, device: str, progress: Progress) -> dict:
    """Corpus facts; the scaling demo; int8 quantisation and distillation of its largest model; attention sample."""
    train = corpus_mod.generate(plan.train_tokens, seed=0)
    heldout = corpus_mod.generate(plan.heldout_tokens, seed=1, surprisal=True)
    vocab = train.tokenizer.vocab_size
    seq_len = plan.scaling[0].n_ctx
    starts, true_surprisal = _eval_set(heldout, seq_len, plan.eval_windows)
    entropy = _mean(true_surprisal)
    unigram = _unigram_entropy(train)
    models, points, rows = [], [], []
    for size in plan.scaling:
        progress(f"scaling: training {size.name} ({plan.scaling_steps} steps x {size.batch} x {size.n_ctx} tokens)")
        cfg = size.config(vocab)
        t0 = time.perf_counter()
        model = train_lm(cfg, train, plan.scaling_steps, size.batch, seed=0, device=device)
        losses = evaluate(model, heldout, starts, device)
        loss = _mean(losses)
        diffs = [a - b for a, b in zip(losses, true_surprisal)]
        se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else 0.0
        models.append(model)
        points.append((float(model.n_params()), loss))
        rows.append({"name": size.name, "n_params": model.n_params(), "n_layer": cfg.n_layer,
                     "d_model": cfg.d_model, "heldout_loss_nats": loss, "excess_over_entropy_nats": loss - entropy,
                     "excess_standard_error_nats": se, "train_s": time.perf_counter() - t0})
    fit = fit_scaling(points, entropy)
    hoffmann, epoch = chinchilla_fit("hoffmann"), chinchilla_fit("epoch")
    tokens_budget = plan.scaling_steps * plan.scaling[0].batch * seq_len
    fit.update(sizes=rows, tokens_per_model=tokens_budget,
               chinchilla_alpha_hoffmann=hoffmann.alpha, chinchilla_alpha_epoch=epoch.alpha,
               caveat=("toy scale: a few-million-token grammar, models of 10^4-10^6 parameters trained for a fixed, "
                       "short token budget (not to convergence), E fixed at the grammar's exact entropy; the "
                       "exponent describes this toy, not language at large, and need not match Chinchilla's"))
    teacher, student_size = models[-1], plan.scaling[0]
    progress("int8 dynamic quantisation of the largest scaling model")
    quant = probe_quantization(teacher, heldout, starts, plan.infer_reps)
    progress(f"distillation into {student_size.name}")
    distil = probe_distillation(teacher, student_size.config(vocab), points[0][1], train, heldout, starts,
                                plan.scaling_steps, student_size.batch, device, plan.infer_reps)
    attention = attention_maps(teacher.cpu().float(), DEFAULT_SENTENCE)
    attention["model"] = plan.scaling[-1].name
    corpus_facts = {
        "kind": "probabilistic context-free grammar (ecosystem/corpus.py), generated in code",
        "vocab_size": vocab, "train_tokens": train.n_tokens, "heldout_tokens": heldout.n_tokens,
        "entropy_rate_nats_per_token": corpus_mod.entropy_rate(),
        "heldout_eval_tokens": len(true_surprisal),
        "heldout_eval_true_entropy_nats": entropy,
        "unigram_entropy_nats": unigram,
        "expected_sentence_tokens": corpus_mod.expected_length() + 1.0,
    }
    return {"corpus": corpus_facts, "scaling_fit": fit, "quantization": quant, "distillation": distil,
            "attention": attention}


def _unigram_entropy(c: corpus_mod.Corpus) -> float:
    counts: dict[int, int] = {}
    for i in c.ids:
        counts[i] = counts.get(i, 0) + 1
    n = len(c.ids)
    return -sum(k / n * math.log(k / n) for k in counts.values())


# ---- attention export ---------------------------------------------------------------------------------------------


@torch.no_grad()
def attention_maps(model: GPT, text: str | None = None) -> dict:
    """Attention weights of every layer and head for one sentence: tokens and [layer][head][query][key] matrices."""
    tok = corpus_mod.WordTokenizer()
    sentence = DEFAULT_SENTENCE if text is None else text
    ids = tok.encode(sentence, add_bos=True)
    if len(ids) > model.cfg.n_ctx:
        raise ValueError(f"sentence: {len(ids)} tokens (with <bos>) exceed the model's n_ctx={model.cfg.n_ctx}")
    was_training = model.training
    model.eval()
    model.record_attention(True)
    try:
        logits = model(torch.tensor([ids]))
        maps = [m[0].tolist() for m in model.attention_maps()]
    finally:
        model.record_attention(False)
        model.train(was_training)
    nxt = torch.softmax(logits[0, -1].float(), -1)
    top = torch.topk(nxt, 5)
    return {
        "sentence": sentence,
        "tokens": tok.decode(ids).split(" "),
        "n_layer": model.cfg.n_layer, "n_head": model.cfg.n_head,
        "layers": [[[[round(v, 5) for v in row] for row in head] for head in layer] for layer in maps],
        "next_token_top5": [{"token": tok.vocab[i], "p": round(float(p), 5)} for p, i in
                            zip(top.values.tolist(), top.indices.tolist())],
        "layout": "layers[layer][head][query_position][key_position]; rows sum to 1; causal (zero above diagonal)",
    }


ATTENTION_MODEL = GPTConfig(vocab_size=corpus_mod.WordTokenizer().vocab_size, n_layer=2, n_head=4, d_model=64,
                            n_ctx=32)


def train_attention_model(steps: int = 600, batch: int = 32, seed: int = 0) -> GPT:
    """The Classroom page's tiny model (2 layers, 4 heads, d_model 64), trained on the grammar corpus."""
    train = corpus_mod.generate(max(50_000, steps * batch), seed=0)
    return train_lm(ATTENTION_MODEL, train, steps, batch, seed=seed)


def save_attention_checkpoint(model: GPT, path: Path = ATTENTION_CHECKPOINT, note: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save({"config": model.cfg.to_dict(), "state_dict": state, "vocab": corpus_mod.WordTokenizer().vocab,
                "note": note}, path)
    return path


def load_attention_model(path: Path = ATTENTION_CHECKPOINT) -> GPT | None:
    """The shipped tiny model, or None when the file is missing or does not fit this code's vocabulary."""
    path = Path(path)
    if not path.is_file():
        return None
    model = _load_checkpoint(str(path), path.stat().st_mtime_ns)
    return None if model is None else copy.deepcopy(model)  # a private copy: recording attention mutates the model


@functools.lru_cache(maxsize=4)
def _load_checkpoint(path: str, _mtime_ns: int) -> GPT | None:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("vocab") != corpus_mod.WordTokenizer().vocab:
            return None
        model = GPT(GPTConfig(**blob["config"]))
        model.load_state_dict(blob["state_dict"])
    except (RuntimeError, TypeError, KeyError, ValueError, AttributeError):
        return None  # an old or foreign checkpoint: the caller trains a fresh model instead
    return model.eval()


def attention_for_sentence(text: str | None = None, checkpoint: Path | None = None) -> dict:
    """Attention maps of a tiny trained model for ``text`` (default: a sentence where a verb agrees across a
    prepositional phrase). Loads the shipped checkpoint; trains a small model in a few seconds if it is missing."""
    path = ATTENTION_CHECKPOINT if checkpoint is None else Path(checkpoint)
    model = load_attention_model(path)
    source = str(path.relative_to(REPO_ROOT)) if model is not None and path.is_relative_to(REPO_ROOT) else str(path)
    if model is None:
        model = train_attention_model(steps=150, batch=16)
        source = "trained now (150 steps; the checkpoint was missing)"
    out = attention_maps(model, text)
    out["source"] = source
    return out


# ---- the probe ----------------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(device: str) -> dict:
    facts = {
        "cpu_model": _cpu_model(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__, "python_version": platform.python_version(),
        "platform": platform.platform(), "device": device,
    }
    if hasattr(os, "getloadavg"):
        facts["load_average_at_start"] = list(os.getloadavg())
    if device == "cuda":
        facts["gpu_name"] = torch.cuda.get_device_name(0)
        facts["gpu_memory_bytes"] = torch.cuda.get_device_properties(0).total_memory
        facts["cuda_version"] = torch.version.cuda
    return facts


def _check(quick: bool, device: str, mode: str | None) -> str:
    if device not in DEVICES:
        raise ValueError(f"device: {device!r} is not one of {', '.join(DEVICES)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: 'cuda' requested but this torch ({torch.__version__}) sees no CUDA GPU; "
                         "allowed here: cpu")
    mode = mode if mode is not None else ("quick" if quick else "full")
    if mode not in MODES:
        raise ValueError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    return mode


def run_probe(quick: bool = False, device: str = "cpu", progress: Progress | None = None,
              mode: str | None = None) -> dict:
    """Run the probe and return the profile (the JSON object). ``quick`` runs small sizes (< 60 s on 2 cores);
    ``mode="test"`` is a seconds-long smoke run for the test suite."""
    mode = _check(quick, device, mode)
    with _threads(torch.get_num_threads()):  # restores the caller's thread count afterwards
        return _run(PLANS[(device, mode)], mode, device, progress or (lambda _msg: None))


def _run(plan: Plan, mode: str, device: str, say: Progress) -> dict:
    start = time.perf_counter()
    sections: dict[str, float] = {}

    def tick(name: str, t0: float) -> None:
        sections[name] = round(time.perf_counter() - t0, 3)

    out: dict = {"schema_version": SCHEMA_VERSION, "mode": mode, "device": device, "machine": machine_facts(device)}
    out["machine"]["small_model_threads"] = plan.small_threads if device == "cpu" else None
    t0 = time.perf_counter()
    say(f"GEMM peak: {plan.gemm_reps} reps of square matmuls {plan.gemm_sizes}")
    if device == "cpu":
        # every core, and one: on a machine shared with other work, one thread can beat two (a descheduled thread
        # stalls every parallel region); the table then runs with whichever delivered more, and says so
        candidates = sorted({plan.table_threads or os.cpu_count() or 1, 1}, reverse=True)
        per_threads = {}
        for n in candidates:
            with _threads(n):
                per_threads[n] = measure_gemm_peak(device, plan.gemm_sizes, plan.gemm_reps)
        table_threads = max(per_threads, key=lambda n: per_threads[n]["flops_per_s"])
        gemm = dict(per_threads[table_threads])
        gemm["threads"] = table_threads
        gemm["per_threads_flops_per_s"] = {str(n): g["flops_per_s"] for n, g in per_threads.items()}
        torch.set_num_threads(table_threads)
        out["machine"]["torch_threads"] = table_threads
    else:
        gemm = measure_gemm_peak(device, plan.gemm_sizes, plan.gemm_reps)
    out["gemm_peak_flops_per_s"] = gemm["flops_per_s"]
    out["gemm_peak"] = gemm
    tick("gemm_peak", t0)
    say(f"GEMM peak {gemm['flops_per_s'] / 1e9:.1f} GFLOP/s ({gemm['dtype']})")

    train = corpus_mod.generate(max(20_000, plan.train_tokens // 4), seed=0)
    vocab = train.tokenizer.vocab_size
    sizes = []
    samples = [gemm["flops_per_s"]]
    for size in plan.sizes:
        t0 = time.perf_counter()
        say(f"size {size.name}: L={size.n_layer} d={size.d_model} T={size.n_ctx} batch={size.batch}")
        row = probe_size(size, vocab, plan, device, train, gemm["flops_per_s"])
        sizes.append(row)
        # the peak again after each size, so that it is the best of samples spread over the whole table: a
        # snapshot taken while other work held the cores would make the later training steps look > 100% of it
        samples.append(measure_gemm_peak(device, plan.gemm_sizes[-1:], plan.gemm_reps)["flops_per_s"])
        tick(f"size_{size.name}", t0)
        say(f"  {row['n_params'] / 1e6:.2f}M params, FLOP ratio {row['train_flops_ratio']:.4f}, "
            f"{row['tokens_per_s_train']:.0f} tok/s ({row['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s), "
            f"memory ratio {row['memory_ratio']:.3f}")
    peak = max(samples)
    gemm["flops_per_s"] = peak
    gemm["samples_flops_per_s"] = samples
    out["gemm_peak_flops_per_s"] = peak
    for row in sizes:
        row["mfu"] = row["achieved_flops_per_s"] / peak
        row["mfu_median"] = row["tokens_per_s_train_median"] * row["train_flops_per_token_counted"] / peak
        say(f"size {row['name']}: MFU {row['mfu']:.1%} (median step {row['mfu_median']:.1%}) of "
            f"{peak / 1e9:.1f} GFLOP/s")
    out["sizes"] = sizes
    out["largest"] = {"name": sizes[-1]["name"], "mfu": sizes[-1]["mfu"],
                      "achieved_flops_per_s": sizes[-1]["achieved_flops_per_s"]}

    t0 = time.perf_counter()
    say(f"KV cache: decode {plan.kv_new} tokens with and without the cache (n_ctx {plan.kv.n_ctx})")
    with _threads(plan.small_threads if device == "cpu" else None):
        out["kv_cache"] = probe_kv_cache(plan, vocab, train, device)
        out["kv_cache"]["torch_threads"] = torch.get_num_threads()
    tick("kv_cache", t0)
    say(f"  speed-up {out['kv_cache']['speedup']:.1f}x")

    t0 = time.perf_counter()
    with _threads(plan.small_threads if device == "cpu" else None):
        learning = probe_learning(plan, device, say)
        learning["scaling_fit"]["torch_threads"] = torch.get_num_threads()
    out.update(learning)
    tick("learning", t0)
    fit = out["scaling_fit"]
    if fit["alpha"] is not None:
        say(f"  scaling alpha {fit['alpha']:.3f} (Chinchilla {fit['chinchilla_alpha_hoffmann']})")
    out["timings_s"] = {"total": round(time.perf_counter() - start, 3), **sections}
    if hasattr(os, "getloadavg"):
        out["machine"]["load_average_at_end"] = list(os.getloadavg())
    out["notes"] = [
        "FLOPs: FlopCounterMode counts matmuls only (mm, addmm, bmm); embedding look-ups, layer norms, softmax, "
        "GELU, bias adds and the AdamW update are not counted, as in the analytic 6N + 12 L T d convention; "
        "uncounted_flops_per_token_estimate sizes them.",
        "MFU = tokens/s of the best timed step x counted train FLOPs per token / measured GEMM peak (the best of "
        "samples taken before and after each size, gemm_peak.samples_flops_per_s); mfu_median uses the median step.",
        "Timings on a shared machine vary with other load; see machine.load_average_*. The GEMM peak is measured "
        "with every core and with one; the size table runs with whichever delivered more (gemm_peak.threads), "
        "which is every core on a quiet machine. The small models (KV cache, scaling, quantisation, distillation) "
        "run on one thread on the CPU (machine.small_model_threads): their matmuls are too small to split, and "
        "thread barriers on a busy machine cost more than they save.",
    ]
    return out


def load_profile(path: str | Path | None = None) -> dict:
    """The shipped probe profile (``data/profiles/probe_cpu.json`` unless a path is given); see
    ``ecosystem.profiles.load_probe_profile``, which reads it without importing torch."""
    return load_probe_profile(path)


# ---- command line -------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes, short training (< 60 s on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--device", default="cpu", choices=DEVICES, help="where to run (default cpu)")
    parser.add_argument("--out", metavar="PATH", help="also write the JSON profile to PATH")
    parser.add_argument("--test-mode", action="store_true", help=argparse.SUPPRESS)


def _table(profile: dict) -> str:
    lines = [f"LLM Chain Lab probe ({profile['mode']}, {profile['device']}: {profile['machine']['cpu_model']}, "
             f"{profile['machine']['torch_threads']} threads, torch {profile['machine']['torch_version']})",
             f"GEMM peak: {profile['gemm_peak_flops_per_s'] / 1e9:.1f} GFLOP/s ({profile['gemm_peak']['dtype']})", "",
             f"{'size':<5}{'params':>11}{'train F/tok counted':>21}{'analytic':>12}{'ratio':>8}{'tok/s':>10}"
             f"{'MFU':>7}{'mem MB meas':>13}{'analytic':>10}"]
    for r in profile["sizes"]:
        lines.append(f"{r['name']:<5}{r['n_params']:>11,}{r['train_flops_per_token_counted']:>21.4g}"
                     f"{r['train_flops_per_token_analytic']:>12.4g}{r['train_flops_ratio']:>8.4f}"
                     f"{r['tokens_per_s_train']:>10.0f}{r['mfu']:>7.1%}{r['peak_memory_bytes_measured'] / 1e6:>13.1f}"
                     f"{r['peak_memory_bytes_analytic'] / 1e6:>10.1f}")
    kv, q, d, fit = profile["kv_cache"], profile["quantization"], profile["distillation"], profile["scaling_fit"]
    lines += ["",
              f"KV cache: decode {kv['new_tokens']} tokens {kv['speedup']:.1f}x faster with the cache "
              f"({kv['decode_tokens_per_s_cached']:.0f} vs {kv['decode_tokens_per_s_uncached']:.0f} tok/s); "
              f"bytes {kv['bytes_measured']:.0f} measured vs {kv['bytes_analytic']:.0f} analytic",
              f"int8 quantisation: {q['int8_speedup']:.2f}x speed, size x{q['size_ratio']:.2f}, "
              f"loss {q['loss_delta']:+.4f} nats",
              f"distillation: {d['speedup']:.2f}x speed, size x{d['size_ratio']:.2f}, loss {d['loss_delta']:+.4f} "
              f"nats vs teacher ({d['distillation_gain_nats']:+.4f} vs same size from data)",
              f"corpus entropy {profile['corpus']['heldout_eval_true_entropy_nats']:.4f} nats/token; "
              + (f"scaling alpha {fit['alpha']:.3f} (R^2 {fit['r2']:.3f}) vs Chinchilla "
                 f"{fit['chinchilla_alpha_hoffmann']}" if fit["alpha"] is not None else fit.get("note", "")),
              f"total {profile['timings_s']['total']:.1f} s"]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"[probe {time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    out_path = Path(args.out) if args.out else None
    if out_path is not None and not out_path.parent.is_dir():
        print(f"probe: --out {args.out!r}: folder {str(out_path.parent)!r} does not exist", file=sys.stderr)
        return 2
    try:
        profile = run_probe(quick=args.quick, device=args.device, progress=progress,
                            mode="test" if args.test_mode else None)
    except ValueError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(profile, indent=1)
    if out_path is not None:
        tmp = out_path.with_suffix(out_path.suffix + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(out_path)
        progress(f"wrote {out_path}")
    print(text if args.json else _table(profile))
    return 0

