"""What every measurement of the probe shares: device synchronisation, thread counts, one timed training step,
best-of-reps forward timing, serialised size, and silencing the profiler's C++ output."""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import time
from typing import Callable

import torch
from torch import nn

from ecosystem.transformer.model import GPT
from ecosystem.transformer.train import autocast, lm_loss, optimizer_step

Progress = Callable[[str], None]


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


@contextlib.contextmanager
def threads(n: int | None):
    """Run with ``n`` intra-op threads (None: leave as is), restoring the previous number afterwards."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def precision(device: str) -> str:
    return "bf16-autocast" if device == "cuda" else "fp32"


def train_step(model: GPT, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, device: str) -> torch.Tensor:
    """One training step of the probe's language-model loss at the optimiser's current learning rate."""
    with autocast(device):
        loss = lm_loss()(model, (x, y))
    optimizer_step(opt, loss)
    return loss.detach()


@contextlib.contextmanager
def quiet_stderr():
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


def state_bytes(model: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes


def forward_time(model: nn.Module, x: torch.Tensor, reps: int, device: str = "cpu") -> float:
    best = math.inf
    with torch.no_grad(), autocast(device):
        model(x)
        for _ in range(reps):
            sync(device)
            t0 = time.perf_counter()
            model(x)
            sync(device)
            best = min(best, time.perf_counter() - t0)
    return best


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)
