"""MFU calibration on the published training runs: ``python -m ecosystem.planner.mfu`` writes
``data/profiles/mfu_calibration.json``, which ``ecosystem.planner.mfu.default_mfu`` reads.

For every run in ``published_training_runs.csv`` with hardware and GPU-hours, the implied MFU is the planner's own
model-FLOP count over the reported GPU-hours at dense bf16 peak:

    implied_mfu = training_flops(N_active, D) / (gpu_hours x 3600 x peak)

(the planner's FLOPs, not the row's, so that a row whose FLOP figure follows another accounting, such as OPT's
hardware FLOPs with activation recomputation, does not bias the MFU the planner later divides by). The GPU-hours the
planner then predicts for a row are ``training_flops / (peak x mfu x 3600)``, so the log10 error of GPU-hours is
``log10(implied_mfu) - log10(predicted_mfu)``.

Candidate methods (fewest parameters first) are scored by leave-one-out cross-validation: each row is held out in
turn, the method is fitted on the others and predicts the held-out row. The method with the lowest held-out median
absolute log10 error wins; a method with more parameters must beat a simpler one by more than
``SIMPLER_MARGIN_LOG10`` to be chosen.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass

from ecosystem import reference
from ecosystem.planner.flops import training_flops
from ecosystem.planner.mfu.law import CALIBRATION_PATH, REFERENCE_LOG10_PARAMS, family_of, law_model, predict_mfu
from ecosystem.reference import REPO_ROOT

OUTPUT_PATH = CALIBRATION_PATH
SIMPLER_MARGIN_LOG10 = 0.01


@dataclass(frozen=True)
class CalibrationRow:
    model: str
    hardware_id: str
    family: str
    params_active: float
    tokens: float
    planner_train_flops: float
    reported_train_flops: float | None
    reported_gpu_hours: float
    reported_mfu: float | None
    implied_mfu: float


def calibration_rows() -> list[CalibrationRow]:
    """Published runs with hardware and GPU-hours, with the implied MFU of the planner's FLOP count."""
    rows = []
    for run in reference.training_runs():
        if run.hardware_id is None or run.gpu_hours is None:
            continue
        hw = reference.hardware(run.hardware_id)
        flops = training_flops(run.params_active, run.tokens)
        rows.append(
            CalibrationRow(
                model=run.model,
                hardware_id=run.hardware_id,
                family=family_of(run.hardware_id),
                params_active=run.params_active,
                tokens=run.tokens,
                planner_train_flops=flops,
                reported_train_flops=run.train_flops,
                reported_gpu_hours=run.gpu_hours,
                reported_mfu=run.reported_mfu,
                implied_mfu=flops / (run.gpu_hours * 3600.0 * hw.peak_bf16_flops_per_s),
            )
        )
    return rows


# ---- the candidate methods: each fits a size law (``law.law_model``) that ``law.predict_mfu`` evaluates --------


def _log10_mfu(rows: list[CalibrationRow]) -> list[float]:
    return [math.log10(r.implied_mfu) for r in rows]


def fit_global_median(rows: list[CalibrationRow]) -> dict:
    """One MFU for all hardware: the median implied MFU."""
    return law_model({}, statistics.median(_log10_mfu(rows)))


def _fit_family_median(rows: list[CalibrationRow], min_rows: int) -> dict:
    groups: dict[str, list[float]] = {}
    for row in rows:
        groups.setdefault(row.family, []).append(math.log10(row.implied_mfu))
    families = {fam: statistics.median(vals) for fam, vals in groups.items() if len(vals) >= min_rows}
    return law_model(families, statistics.median(_log10_mfu(rows)))


def fit_family_median(rows: list[CalibrationRow]) -> dict:
    """Median implied MFU per hardware generation; generations with no run use the all-runs median."""
    return _fit_family_median(rows, 1)


def fit_family_median_min2(rows: list[CalibrationRow]) -> dict:
    """As ``family_median`` but a generation needs two runs of its own (else the all-runs median)."""
    return _fit_family_median(rows, 2)


def _least_squares_slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = 0.0 if sxx == 0 else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    return mean_y - slope * mean_x, slope


def fit_scale_loglinear(rows: list[CalibrationRow]) -> dict:
    """log10 MFU linear in log10(active params), all hardware together (least squares)."""
    xs = [math.log10(r.params_active) - REFERENCE_LOG10_PARAMS for r in rows]
    intercept, slope = _least_squares_slope(xs, _log10_mfu(rows))
    return law_model({}, intercept, slope)


def fit_family_plus_scale(rows: list[CalibrationRow]) -> dict:
    """Per-generation intercept plus a common slope in log10(params) (least squares within generations)."""
    groups: dict[str, list[CalibrationRow]] = {}
    for row in rows:
        groups.setdefault(row.family, []).append(row)
    xs, ys = [], []
    for members in groups.values():  # demean within each generation, then one common slope
        mx = statistics.fmean(math.log10(r.params_active) - REFERENCE_LOG10_PARAMS for r in members)
        my = statistics.fmean(math.log10(r.implied_mfu) for r in members)
        xs += [math.log10(r.params_active) - REFERENCE_LOG10_PARAMS - mx for r in members]
        ys += [math.log10(r.implied_mfu) - my for r in members]
    sxx = sum(x * x for x in xs)
    slope = 0.0 if sxx == 0 else sum(x * y for x, y in zip(xs, ys)) / sxx
    families = {
        fam: statistics.fmean(
            math.log10(r.implied_mfu) - slope * (math.log10(r.params_active) - REFERENCE_LOG10_PARAMS) for r in members
        )
        for fam, members in groups.items()
    }
    fallback = statistics.median(
        math.log10(r.implied_mfu) - slope * (math.log10(r.params_active) - REFERENCE_LOG10_PARAMS) for r in rows
    )
    return law_model(families, fallback, slope)


METHODS = {  # name -> (fit function, number of fitted parameters on the current rows is computed below)
    "global_median": fit_global_median,
    "family_median_min2": fit_family_median_min2,
    "family_median": fit_family_median,
    "scale_loglinear": fit_scale_loglinear,
    "family_plus_scale": fit_family_plus_scale,
}


def _n_fitted(model: dict) -> int:
    return 1 + len(model["family_log10_mfu"]) + (1 if model["slope_per_decade_params"] else 0)


def _abs_log10_error(model: dict, row: CalibrationRow) -> float:
    return abs(math.log10(row.implied_mfu) - math.log10(predict_mfu(model, row.hardware_id, row.params_active)))


def evaluate(method: str, rows: list[CalibrationRow]) -> dict:
    """In-sample and leave-one-out errors of GPU-hours (abs log10 of predicted / reported) for one method."""
    fit = METHODS[method]
    model = fit(rows)
    in_sample = [_abs_log10_error(model, r) for r in rows]
    held_out = [_abs_log10_error(fit(rows[:i] + rows[i + 1 :]), r) for i, r in enumerate(rows)]
    return {
        "method": method,
        "description": fit.__doc__.strip().splitlines()[0],
        "fitted_parameters": _n_fitted(model),
        "in_sample_median_abs_log10_error": statistics.median(in_sample),
        "in_sample_max_ratio": 10 ** max(in_sample),
        "held_out_median_abs_log10_error": statistics.median(held_out),
        "held_out_max_ratio": 10 ** max(held_out),
        "in_sample_abs_log10_error_by_row": dict(zip((r.model for r in rows), in_sample)),
        "held_out_abs_log10_error_by_row": dict(zip((r.model for r in rows), held_out)),
        "model": model,
    }


def choose(results: list[dict]) -> dict:
    """Lowest held-out median error; a method with more parameters must win by more than SIMPLER_MARGIN_LOG10."""
    ordered = sorted(results, key=lambda r: (r["fitted_parameters"], r["held_out_median_abs_log10_error"]))
    best = ordered[0]
    for candidate in ordered[1:]:
        margin = best["held_out_median_abs_log10_error"] - candidate["held_out_median_abs_log10_error"]
        if margin > SIMPLER_MARGIN_LOG10:
            best = candidate
    return best


def calibrate() -> dict:
    """Run every candidate, choose one, and return the JSON-ready calibration."""
    rows = calibration_rows()
    results = [evaluate(name, rows) for name in METHODS]
    chosen = choose(results)
    hardware_ids = sorted(reference.hardware_catalog())
    by_hardware = {hid: predict_mfu(chosen["model"], hid, 10 ** REFERENCE_LOG10_PARAMS) for hid in hardware_ids}
    return {
        "what": "default MFU for the cost planner, calibrated on data/reference/published_training_runs.csv",
        "written_by": "python -m ecosystem.planner.mfu",
        "flops_convention": "planner training_flops: (6 N_active + 12 n_layer n_ctx d_model) D, shape from "
        "approx_shape_for_params, n_ctx from defaults.csv train_context_tokens.default",
        "validation": "leave-one-out: each published run with GPU-hours is held out in turn; error = "
        "|log10(predicted GPU-hours / reported GPU-hours)|",
        "selection_rule": "lowest held-out median abs log10 error; more parameters must win by > "
        f"{SIMPLER_MARGIN_LOG10}",
        "method": chosen["method"],
        "in_sample_median_abs_log10_error": chosen["in_sample_median_abs_log10_error"],
        "held_out_median_abs_log10_error": chosen["held_out_median_abs_log10_error"],
        "in_sample_max_ratio": chosen["in_sample_max_ratio"],
        "held_out_max_ratio": chosen["held_out_max_ratio"],
        "model": chosen["model"],
        "default_mfu_by_hardware_at_1e10_params": by_hardware,
        "rows": [
            {
                "model": r.model,
                "hardware_id": r.hardware_id,
                "family": r.family,
                "params_active": r.params_active,
                "planner_train_flops": r.planner_train_flops,
                "reported_gpu_hours": r.reported_gpu_hours,
                "reported_mfu": r.reported_mfu,
                "implied_mfu": r.implied_mfu,
            }
            for r in rows
        ],
        "candidates": [{k: v for k, v in res.items() if k != "model"} for res in results],
    }


def write(path=OUTPUT_PATH) -> dict:
    result = calibrate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    """Write the calibration and print every candidate's errors (``python -m ecosystem.planner.mfu``)."""
    result = write()
    print(f"wrote {OUTPUT_PATH.relative_to(REPO_ROOT)}: method {result['method']!r}")
    print(f"{'method':20s} {'params':>6s} {'in-sample':>10s} {'held-out':>9s} {'max ratio (held-out)':>21s}")
    for cand in result["candidates"]:
        print(
            f"{cand['method']:20s} {cand['fitted_parameters']:6d} {cand['in_sample_median_abs_log10_error']:10.3f} "
            f"{cand['held_out_median_abs_log10_error']:9.3f} {cand['held_out_max_ratio']:21.2f}"
        )
    return 0

