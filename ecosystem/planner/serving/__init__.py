"""Serving plans, one module per question:

* ``params``: ``serve_plan`` sizes a fleet from a parameter count (approximate shape), and ``usd_per_million_tokens``
  is its compute-bound scalar;
* ``roofline``: the per-replica roofline of a real architecture (prefill, decode, KV cache, MoE, tensor parallelism)
  for every batch at once;
* ``model``: ``serve_model_plan`` (``serve --model``) and ``serving_cost_usd_per_mtok`` for the simulation;
* ``fit``: one efficiency factor per accelerator family, fitted leave-one-out on measured inference
  (``validate-serving``), and the price band.
"""

from ecosystem.planner.serving.fit import family_efficiency, serving_validation_report
from ecosystem.planner.serving.model import ModelServePlan, ServingCost, serve_model_plan, serving_cost_usd_per_mtok
from ecosystem.planner.serving.params import ServePlan, default_serving_efficiency, serve_plan, usd_per_million_tokens

__all__ = [
    "ModelServePlan", "ServePlan", "ServingCost", "default_serving_efficiency", "family_efficiency", "serve_model_plan",
    "serve_plan", "serving_cost_usd_per_mtok", "serving_validation_report", "usd_per_million_tokens",
]
