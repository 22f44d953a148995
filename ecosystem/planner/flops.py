"""The planner's FLOP count of a training run and the GPU-hours it takes at a given MFU.

FLOPs = (6 N_active + 12 n_layer n_ctx d_model) D (PaLM's MFU convention), with a shape from
``approx_shape_for_params`` and the default training context from ``defaults.csv``; GPU-hours = FLOPs / (peak x MFU x
3600). The MFU calibration (``ecosystem.planner.mfu``) divides by the same count.
"""

from __future__ import annotations

import math

from ecosystem import formulas, reference
from ecosystem.checks import check_number
from ecosystem.planner.hardware import resolve_hardware
from ecosystem.planner.inputs import SECONDS_PER_HOUR


def default_train_context_tokens() -> int:
    return int(reference.default("train_context_tokens.default"))


def training_flops(active_params: float, tokens: float, context_tokens: int | None = None) -> float:
    """Model FLOPs of training: (6 N_active + 12 n_layer n_ctx d_model) x tokens (PaLM's MFU convention).

    The shape comes from ``formulas.approx_shape_for_params``; ``context_tokens`` defaults to defaults.csv's
    ``train_context_tokens.default``.
    """
    n_ctx = default_train_context_tokens() if context_tokens is None else context_tokens
    n_layer, d_model = formulas.approx_shape_for_params(active_params)
    return formulas.train_flops(active_params, tokens, n_layer, n_ctx, d_model)


def gpu_hours_for_flops(train_flops: float, hardware_id: str, mfu: float) -> float:
    """GPU-hours to execute ``train_flops`` model FLOPs at ``mfu`` of the hardware's dense bf16 peak."""
    check_number("train_flops", train_flops, 0.0, math.inf)
    check_number("mfu", mfu, 0.0, 1.0, low_open=True)
    return train_flops / (resolve_hardware(hardware_id).peak_bf16_flops_per_s * mfu * SECONDS_PER_HOUR)
