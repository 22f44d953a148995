"""The KV cache: prefill and decode rates with and without it, and its bytes against the formula."""

from __future__ import annotations

import math
import time

import torch

from ecosystem import formulas
from ecosystem.probe.plans import Plan
from ecosystem.probe.runtime import sync
from ecosystem.transformer.corpus import Corpus
from ecosystem.transformer.model import GPT, KVCache
from ecosystem.transformer.train import WindowSampler


def time_generate(model: GPT, prompt: torch.Tensor, n: int, use_cache: bool, device: str, reps: int):
    best, out = math.inf, None
    for _ in range(reps):
        sync(device)
        t0 = time.perf_counter()
        out = model.generate(prompt, n, use_cache=use_cache)
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return best, out


@torch.no_grad()
def probe_kv_cache(plan: Plan, vocab_size: int, train: Corpus, device: str) -> dict:
    """Prefill and decode rates with and without the KV cache, and the cache's bytes against the formula."""
    size = plan.kv
    if plan.kv_prompt + plan.kv_new > size.n_ctx:
        raise ValueError(f"kv test: prompt {plan.kv_prompt} + new {plan.kv_new} exceeds n_ctx {size.n_ctx}")
    cfg = size.config(vocab_size)
    torch.manual_seed(0)
    model = GPT(cfg).to(device).eval()
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = model.to(dtype)
    x, _ = WindowSampler(train, plan.kv_prompt, 0, device)(size.batch)
    model(x)  # warm-up
    prefill_s = {}
    for name in ("cached", "uncached"):  # the same matmuls; the cached pass also stores K and V
        best = math.inf
        for _ in range(plan.kv_reps):
            cache = KVCache(cfg.n_layer) if name == "cached" else None
            sync(device)
            t0 = time.perf_counter()
            model(x, cache)
            sync(device)
            best = min(best, time.perf_counter() - t0)
        prefill_s[name] = best
    t_cached, out_cached = time_generate(model, x, plan.kv_new, True, device, plan.kv_reps)
    t_uncached, out_uncached = time_generate(model, x, plan.kv_new, False, device, plan.kv_reps)
    new_tokens = out_cached.shape[1] - x.shape[1]
    # bytes: fill a cache to the full context and compare with 2 n_layer n_ctx d_model bytes batch
    full = torch.randint(vocab_size, (size.batch, cfg.n_ctx), device=device)
    cache = KVCache(cfg.n_layer)
    model(full, cache)
    elem = torch.empty((), dtype=dtype).element_size()
    analytic = formulas.kv_cache_bytes(cfg.n_layer, cfg.n_ctx, cfg.d_model, elem, size.batch)
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
