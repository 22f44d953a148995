"""Throughput and MFU: the machine's dense matmul peak, the FLOPs FlopCounterMode counts for a training step and a
forward pass beside the analytic formulas, and training / inference tokens per second of each model size."""

from __future__ import annotations

import math
import statistics
import time

import torch

from ecosystem import formulas
from ecosystem.probe.memory import measure_training_memory
from ecosystem.probe.plans import Plan, Size
from ecosystem.probe.runtime import forward_time, precision, sync, train_step
from ecosystem.transformer.corpus import Corpus
from ecosystem.transformer.model import GPT
from ecosystem.transformer.train import WindowSampler, autocast, make_optimizer


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
        sync(device)
        best = math.inf
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(inner):
                a @ b
            sync(device)
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
            with torch.no_grad(), autocast(device):
                model(x)
        else:
            train_step(model, opt, x, y, device)
    return float(counter.get_total_flops())


def probe_size(size: Size, vocab_size: int, plan: Plan, device: str, train: Corpus,
               peak_flops: float) -> dict:
    cfg = size.config(vocab_size)
    shape = cfg.shape
    torch.manual_seed(0)
    model = GPT(cfg).to(device)
    opt = make_optimizer(model)
    sample = WindowSampler(train, cfg.n_ctx, 0, device)

    # counted FLOPs: one sequence at full context (the count per token does not depend on the batch)
    x1, y1 = sample(1)
    t = cfg.n_ctx
    train_counted = count_flops(model, x1, y1, opt, device) / t
    infer_counted = count_flops(model, x1, device=device) / t
    train_analytic = formulas.shape_flops_per_token(shape, training=True)
    infer_analytic = formulas.shape_flops_per_token(shape, training=False)

    # training throughput
    tokens_per_step = size.batch * t
    for _ in range(plan.warmup_steps):
        train_step(model, opt, *sample(size.batch), device)
    sync(device)
    times = []
    for _ in range(plan.timed_steps):
        x, y = sample(size.batch)
        sync(device)
        t0 = time.perf_counter()
        train_step(model, opt, x, y, device)
        sync(device)
        times.append(time.perf_counter() - t0)
    # best step, like the best-of-reps GEMM peak: neither figure is dragged down by other work on a shared machine
    step_s = min(times)
    tokens_per_s = tokens_per_step / step_s
    achieved = tokens_per_s * train_counted
    tokens_per_s_median = tokens_per_step / statistics.median(times)

    # inference throughput (a full-context forward of the training batch)
    model.eval()
    x, _ = sample(size.batch)
    tokens_per_s_infer = tokens_per_step / forward_time(model, x, plan.infer_reps, device)
    del model, opt

    mem = measure_training_memory(cfg, size.batch, device)
    analytic_mem = mem["analytic_breakdown_bytes"]["total"]
    elementwise = formulas.elementwise_flops_per_token_forward(shape)
    n_total = formulas.total_params(shape)
    adamw = formulas.ADAMW_FLOPS_PER_PARAM_STEP * n_total / tokens_per_step
    return {
        "name": size.name,
        "n_params": n_total,
        "n_params_matmul": formulas.matmul_params(shape),
        "n_layer": cfg.n_layer, "n_head": cfg.n_head, "d_model": cfg.d_model, "d_ff": cfg.d_ff, "n_ctx": cfg.n_ctx,
        "vocab_size": cfg.vocab_size, "batch": size.batch, "tokens_per_step": tokens_per_step,
        "precision": precision(device),
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
