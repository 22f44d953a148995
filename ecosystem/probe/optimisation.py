"""Model optimisation: int8 dynamic quantisation of the Linear layers and knowledge distillation into a small student,
each measured for speed, size and held-out loss."""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from ecosystem.probe.runtime import forward_time, mean, state_bytes
from ecosystem.transformer.model import GPT, GPTConfig
from ecosystem.transformer.train import batch_of, evaluate, train_lm


def probe_quantization(model: GPT, heldout, starts, reps: int) -> dict:
    """int8 dynamic quantisation of every nn.Linear (weights int8, activations quantised on the fly), on the CPU."""
    from torch.ao.quantization import quantize_dynamic

    fp32 = copy.deepcopy(model).cpu().float().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = quantize_dynamic(copy.deepcopy(fp32), {nn.Linear}, dtype=torch.qint8)
    loss_fp32 = mean(evaluate(fp32, heldout, starts))
    loss_int8 = mean(evaluate(int8, heldout, starts))
    x, _ = batch_of(heldout, starts[:32], fp32.cfg.n_ctx, "cpu")
    t_fp32 = forward_time(fp32, x, reps)
    t_int8 = forward_time(int8, x, reps)
    b_fp32, b_int8 = state_bytes(fp32), state_bytes(int8)
    return {"device": "cpu", "engine": torch.backends.quantized.engine, "n_params": fp32.n_params(),
            "int8_speedup": t_fp32 / t_int8, "size_ratio": b_int8 / b_fp32,
            "bytes_fp32": b_fp32, "bytes_int8": b_int8,
            "loss_fp32_nats": loss_fp32, "loss_int8_nats": loss_int8, "loss_delta": loss_int8 - loss_fp32}


def probe_distillation(teacher: GPT, student_cfg: GPTConfig, baseline_loss: float, train, heldout, starts,
                       steps: int, batch: int, device: str, reps: int) -> dict:
    """Distil the teacher into a small student on the same token budget; compare with the same size trained on data."""
    student = train_lm(student_cfg, train, steps, batch, seed=0, device=device, teacher=teacher.eval())
    loss_t = mean(evaluate(teacher, heldout, starts, device))
    loss_s = mean(evaluate(student, heldout, starts, device))
    x, _ = batch_of(heldout, starts[:32], student_cfg.n_ctx, device)
    t_t = forward_time(teacher, x, reps, device)
    t_s = forward_time(student, x, reps, device)
    return {"method": "knowledge distillation: 0.5 cross-entropy on data + 0.5 KL(teacher || student)",
            "teacher_params": teacher.n_params(), "student_params": student.n_params(),
            "speedup": t_t / t_s, "size_ratio": state_bytes(student) / state_bytes(teacher),
            "loss_teacher_nats": loss_t, "loss_student_nats": loss_s, "loss_delta": loss_s - loss_t,
            "loss_same_size_from_data_nats": baseline_loss,
            "distillation_gain_nats": baseline_loss - loss_s, "steps": steps}
