"""The planner against every published run (``python -m ecosystem validate``): predicted and reported FLOPs and
GPU-hours, in-sample and held out (leave-one-out, with the calibration's chosen method).
"""

from __future__ import annotations

import math
import statistics
from functools import lru_cache

from ecosystem import reference
from ecosystem.planner.flops import gpu_hours_for_flops, training_flops
from ecosystem.planner.mfu.calibration import METHODS, calibration_rows
from ecosystem.planner.mfu.default import default_mfu, load_calibration
from ecosystem.planner.mfu.law import predict_mfu

# How a row's reported FLOP figure was counted, where it is not the planner's model-FLOP convention (6 N D + attention,
# PaLM's MFU convention): data/reference/flops_accounting.csv names the rows, the accounting and its source.
@lru_cache(maxsize=1)
def reported_flops_accounting() -> dict[str, tuple[str, str]]:
    """Model name -> (accounting kind: ``hardware_recomputation`` or ``nominal``, note) for rows counted otherwise."""
    return {row["model"]: (row["accounting"], row["note"]) for row in reference.read_table("flops_accounting")}


RECOMPUTATION_FACTOR = 8.0 / 6.0  # activation recomputation repeats the forward pass: (2 + 4 + 2) / (2 + 4)


def comparable_flops(model: str, planner_flops: float) -> float:
    """The planner's FLOPs in the accounting of the row's reported figure (x 8/6 for recomputation rows)."""
    kind = reported_flops_accounting().get(model, ("model", ""))[0]
    return planner_flops * RECOMPUTATION_FACTOR if kind == "hardware_recomputation" else planner_flops


def _median_abs_log10(ratios: list[float]) -> float | None:
    values = [abs(math.log10(r)) for r in ratios if r is not None]
    return statistics.median(values) if values else None


def validation_report() -> dict:
    """Predicted vs reported FLOPs and GPU-hours for every published run, in-sample and held out (leave-one-out)."""
    cal = load_calibration()
    method = cal["method"]
    fit = METHODS[method]
    cal_rows = calibration_rows()
    index = {r.model: i for i, r in enumerate(cal_rows)}
    out_rows = []
    for run in reference.training_runs():
        flops = training_flops(run.params_active, run.tokens)
        comparable = comparable_flops(run.model, flops)
        row: dict = {
            "model": run.model,
            "hardware_id": run.hardware_id,
            "params_active": run.params_active,
            "tokens": run.tokens,
            "predicted_train_flops": flops,
            "reported_train_flops": run.train_flops,
            "flops_ratio": None if run.train_flops is None else comparable / run.train_flops,
            "flops_accounting": reported_flops_accounting().get(run.model, ("", "model FLOPs (6ND + attention)"))[1],
            "reported_gpu_hours": run.gpu_hours,
            "reported_mfu": run.reported_mfu,
            "implied_mfu": None,
            "default_mfu": None,
            "predicted_gpu_hours": None,
            "gpu_hours_ratio": None,
            "held_out_mfu": None,
            "held_out_gpu_hours": None,
            "held_out_gpu_hours_ratio": None,
            "gpu_hours_with_reported_mfu": None,
            "reported_mfu_gpu_hours_ratio": None,
        }
        if run.hardware_id is not None:
            mfu = default_mfu(run.hardware_id, run.params_active)
            row["default_mfu"] = mfu
            row["predicted_gpu_hours"] = gpu_hours_for_flops(flops, run.hardware_id, mfu)
            if run.reported_mfu is not None:
                row["gpu_hours_with_reported_mfu"] = gpu_hours_for_flops(
                    flops, run.hardware_id, run.reported_mfu
                )
        if run.model in index and run.gpu_hours is not None:
            i = index[run.model]
            held_model = fit(cal_rows[:i] + cal_rows[i + 1 :])
            held_mfu = predict_mfu(held_model, run.hardware_id, run.params_active)
            row["implied_mfu"] = cal_rows[i].implied_mfu
            row["gpu_hours_ratio"] = row["predicted_gpu_hours"] / run.gpu_hours
            row["held_out_mfu"] = held_mfu
            row["held_out_gpu_hours"] = gpu_hours_for_flops(flops, run.hardware_id, held_mfu)
            row["held_out_gpu_hours_ratio"] = row["held_out_gpu_hours"] / run.gpu_hours
            if row["gpu_hours_with_reported_mfu"] is not None:
                row["reported_mfu_gpu_hours_ratio"] = row["gpu_hours_with_reported_mfu"] / run.gpu_hours
        out_rows.append(row)
    gpu = [r["gpu_hours_ratio"] for r in out_rows if r["gpu_hours_ratio"] is not None]
    held = [r["held_out_gpu_hours_ratio"] for r in out_rows if r["held_out_gpu_hours_ratio"] is not None]
    flops_ratios = [r["flops_ratio"] for r in out_rows if r["flops_ratio"] is not None]
    return {
        "method": method,
        "rows": out_rows,
        "flops_median_abs_log10_error": _median_abs_log10(flops_ratios),
        "flops_rows_within_10_percent": sum(abs(r - 1.0) <= 0.10 for r in flops_ratios),
        "flops_rows": len(flops_ratios),
        "gpu_hours_median_abs_log10_error": _median_abs_log10(gpu),
        "gpu_hours_max_ratio": max(max(r, 1 / r) for r in gpu),
        "held_out_gpu_hours_median_abs_log10_error": _median_abs_log10(held),
        "held_out_gpu_hours_max_ratio": max(max(r, 1 / r) for r in held),
        "gpu_hours_rows": len(gpu),
        "validation": cal["validation"],
    }
