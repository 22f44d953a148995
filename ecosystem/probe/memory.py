"""Peak memory of a training step, measured (the CPU allocator through the profiler, or CUDA's counters) beside the
analytic sum of weights, gradients, AdamW state and activations (``ecosystem.formulas.memory``)."""

from __future__ import annotations

from typing import Callable

import torch

from ecosystem import formulas
from ecosystem.probe.runtime import precision, quiet_stderr, train_step
from ecosystem.transformer.model import GPT, GPTConfig
from ecosystem.transformer.train import make_optimizer


def cpu_allocator_peak(fn: Callable[[], object]) -> tuple[float, float]:
    """Peak and final of the running sum of every CPU allocation and free the profiler records while ``fn`` runs."""
    from torch.profiler import ProfilerActivity, profile

    with quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
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
        opt = make_optimizer(model)
        x = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx), device=device)
        y = torch.randint(cfg.vocab_size, (batch, cfg.n_ctx), device=device)
        for _ in range(steps):
            train_step(model, opt, x, y, device)
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
        peak, final = cpu_allocator_peak(work)
        method = ("PyTorch profiler (profile_memory=True): peak of the running sum of every CPU allocation and free "
                  "from model build through the training steps")
    model, opt = held["model"], held["opt"]
    accounted = sum(t.numel() * t.element_size() for t in model.parameters())
    accounted += sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    accounted += sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values()
                     if torch.is_tensor(t) and t.device.type == device)
    accounted += sum(b.numel() * b.element_size() for b in model.buffers())
    accounted += sum(t.numel() * t.element_size() for t in (held["x"], held["y"]))
    breakdown = formulas.training_memory_breakdown_bytes(cfg.shape, batch, precision=precision(device))
    del held
    return {"peak_bytes": peak, "final_live_bytes": final, "accounted_live_bytes": float(accounted),
            "method": method, "analytic_breakdown_bytes": breakdown}
