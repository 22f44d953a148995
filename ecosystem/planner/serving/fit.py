"""The serving roofline checked against measured inference: one efficiency factor per accelerator family, fitted
on the used rows of ``serving_benchmarks.csv`` (leave-one-out for the held-out error), and the planner's cost per 1M
tokens beside the serverless list prices of the same file (a sanity band, not a fit).

The factor multiplies the datasheet peaks and memory bandwidth together; it is the geometric-mean ratio of measured
to predicted throughput over the family's rows, re-solved a few times because the batch under latency limits moves
with it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import median

from ecosystem import reference
from ecosystem.planner.serving.roofline import best_replica, default_kv_precision

FIT_ITERATIONS = 6
EFFICIENCY_BOUNDS = (0.01, 1.0)


def predict_row(row: reference.ServingMeasurement, efficiency: float) -> tuple[float, int, int, str]:
    """Predicted output tokens/s per GPU of a measured row: (tokens/s per GPU, GPUs per replica, batch, bound).

    The replica size is the row's stated one, or the planner's best within the row's system (at most its GPUs and
    one node), as a submitter tunes an MLPerf system."""
    arch = reference.model_architecture(row.model_id)
    hw = reference.hardware(row.hardware_id)
    per_node = min(row.gpus or 1, hw.gpus_per_node or 1)
    max_batch = row.max_batch or int(reference.default("serving_continuous_max_batch"))
    curve, b, _, bound = best_replica(
        arch, hw, row.precision, default_kv_precision(row.precision), int(round(row.input_tokens)),
        int(round(row.output_tokens)), efficiency, max_batch, row.gpus_per_replica, per_node,
        None if row.max_tpot_ms is None else row.max_tpot_ms / 1e3,
        None if row.max_ttft_ms is None else row.max_ttft_ms / 1e3)
    return float(curve.tokens_per_s[b - 1]) / curve.gpus, curve.gpus, b, bound


def fit_efficiency(rows: list[reference.ServingMeasurement]) -> float:
    """The one factor that makes the geometric-mean measured / predicted ratio over ``rows`` equal to 1."""
    eff = 0.5
    for _ in range(FIT_ITERATIONS):
        logs = [math.log(r.output_tokens_per_s_per_gpu / predict_row(r, eff)[0]) for r in rows]
        eff = min(EFFICIENCY_BOUNDS[1], max(EFFICIENCY_BOUNDS[0], eff * math.exp(sum(logs) / len(logs))))
    return eff


def used_rows() -> list[reference.ServingMeasurement]:
    return [r for r in reference.serving_measurements() if r.used]


def _family(row: reference.ServingMeasurement) -> str | None:
    return reference.hardware(row.hardware_id).family


@lru_cache(maxsize=None)
def family_efficiency(family: str | None) -> float:
    """The fitted factor of an accelerator family over all its used rows; a family without rows gets the factor
    fitted over every used row."""
    rows = used_rows()
    own = [r for r in rows if _family(r) == family]
    return fit_efficiency(own or rows)


def _held_out_efficiency(rows: list[reference.ServingMeasurement], i: int) -> tuple[float, str]:
    others = [r for j, r in enumerate(rows) if j != i]
    same = [r for r in others if _family(r) == _family(rows[i])]
    if same:
        return fit_efficiency(same), f"{_family(rows[i])} rows without this one"
    return fit_efficiency(others), "all other rows (no other row of this family)"


def _band(model_id: str) -> dict | None:
    """The planner's cost of a model on the first of H100-SXM, H200, B200 where it fits one node (fp8, defaults)."""
    from ecosystem.planner.serving.model import serve_model_plan  # model imports this module for its default

    for hw in ("H100-SXM", "H200", "B200"):
        try:
            plan = serve_model_plan(model_id, hw, precision="fp8")
        except ValueError:
            continue
        return {"hardware_id": hw, "gpus_per_replica": plan.gpus_per_replica,
                "usd_per_million_output_tokens": plan.usd_per_million_output_tokens,
                "usd_per_million_input_tokens": plan.usd_per_million_input_tokens,
                "usd_per_million_tokens_blended": plan.usd_per_million_tokens_blended}
    return None


def serving_validation_report() -> dict:
    """Every measured row with its in-sample and held-out ratio, the excluded rows with the reason, the factors, the
    held-out median |log10| error, and the price band."""
    rows = used_rows()
    families = sorted({_family(r) for r in rows})
    factors = {f: family_efficiency(f) for f in families}
    out_rows = []
    for i, r in enumerate(rows):
        pred, g, b, bound = predict_row(r, factors[_family(r)])
        held_eff, held_basis = _held_out_efficiency(rows, i)
        held = predict_row(r, held_eff)[0]
        out_rows.append({
            "model_id": r.model_id, "hardware_id": r.hardware_id, "setting": r.setting, "precision": r.precision,
            "measured_tokens_per_s_per_gpu": r.output_tokens_per_s_per_gpu, "predicted_tokens_per_s_per_gpu": pred,
            "ratio": pred / r.output_tokens_per_s_per_gpu, "held_out_efficiency": held_eff,
            "held_out_basis": held_basis, "held_out_predicted_tokens_per_s_per_gpu": held,
            "held_out_ratio": held / r.output_tokens_per_s_per_gpu, "gpus_per_replica": g, "batch": b,
            "bound": bound, "input_tokens": r.input_tokens, "output_tokens": r.output_tokens, "source": r.source})
    excluded = [{"model": r.model, "hardware": r.hardware, "setting": r.setting, "reason": r.validation}
                for r in reference.serving_measurements() if not r.used]
    held_logs = [abs(math.log10(x["held_out_ratio"])) for x in out_rows]
    in_logs = [abs(math.log10(x["ratio"])) for x in out_rows]
    bands = {}
    for price in reference.api_prices():
        if price.model_id is None:
            continue
        if price.model_id not in bands:
            bands[price.model_id] = {"planner": _band(price.model_id), "list_prices": []}
        bands[price.model_id]["list_prices"].append({
            "provider": price.provider, "model": price.model,
            "usd_per_million_output_tokens": price.usd_per_million_output_tokens,
            "usd_per_million_input_tokens": price.usd_per_million_input_tokens, "date": price.date})
    return {
        "rows": out_rows, "excluded": excluded, "efficiency_by_family": factors,
        "median_abs_log10_error": median(in_logs), "held_out_median_abs_log10_error": median(held_logs),
        "held_out_max_ratio": max(max(x["held_out_ratio"], 1 / x["held_out_ratio"]) for x in out_rows),
        "max_ratio": max(max(x["ratio"], 1 / x["ratio"]) for x in out_rows),
        "price_band": bands,
    }
