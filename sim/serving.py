"""What serving a simulated model costs, through the cost planner's serving model (issue 12 item 7).

A model trained in the simulation is served as a dense grouped-query-attention Transformer of its size
(``ecosystem.planner.serving_cost_usd_per_mtok`` with the parameter count: the planner's GQA shape), in bf16 or, once
optimised (int8 or distilled, ``sim.optimisation``), in fp8, on the reference serving GPU (``REFERENCE_SERVING_HW``)
at the planner's default request lengths and the largest batch memory allows (continuous batching). The planner's
answer at 1 USD per GPU-hour and full use is GPU-seconds per token; the market price and utilisation scale it, and
algorithmic progress divides it (``sim.progress.serving_divisor``).

A model too large for one node at its precision (the planner refuses it) is served as k copies' worth of the largest
size that fits (pipeline stages across nodes): GPU time x (size / that size). The planner caches its roofline, and
this module caches per (size to 3 significant figures, precision, efficiency), so a run calls the roofline a few
dozen times at most.
"""

from __future__ import annotations

from functools import lru_cache

from ecosystem import planner
from sim.optimisation import REFERENCE_SERVING_HW

SECONDS_PER_HOUR = 3600.0
SMALLEST_PARAMS = 1e8


@lru_cache(maxsize=2048)
def _gpu_seconds_per_token(params: float, precision: str, efficiency: float | None) -> float:
    size = params
    while True:
        try:
            cost = planner.serving_cost_usd_per_mtok(size, REFERENCE_SERVING_HW, precision,
                                                     price_usd_per_gpu_hour=1.0, utilization=1.0,
                                                     serving_efficiency=efficiency)
        except ValueError:
            if size / 2 < SMALLEST_PARAMS:
                raise
            size /= 2.0  # too big for one node: the largest power-of-two fraction of it that fits
            continue
        return cost.usd_per_million_tokens_blended * SECONDS_PER_HOUR / 1e6 * (params / size)


def gpu_seconds_per_token(model, efficiency: float | None) -> float:
    """GPU-seconds of the reference serving GPU per token (blended over a request) of ``model``, at full use,
    before algorithmic progress."""
    return _gpu_seconds_per_token(float(f"{model.served_params:.3g}"), model.serving_precision, efficiency)


def usd_per_mtok(model, gpu_price_usd_per_hour: float, utilization: float, efficiency: float | None,
                 divisor: float = 1.0) -> float:
    """USD per 1M tokens of serving ``model`` at a GPU price and utilisation, divided by algorithmic progress."""
    return gpu_seconds_per_token(model, efficiency) * gpu_price_usd_per_hour / SECONDS_PER_HOUR / utilization \
        * 1e6 / divisor
