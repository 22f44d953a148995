"""Cost planner: training and serving costs in GPU-hours, dollars, energy and CO2 (units in every name).

Pure, typed functions over the reference tables (``ecosystem.reference``) and the formulas (``ecosystem.formulas``):

* ``training``: ``train_plan`` prices a training run; ``flops``: the planner's FLOP count and GPU-hours;
* ``budget``: ``budget_plan`` spends a dollar budget on the compute-optimal model of a Chinchilla fit;
* ``serving/``: ``serve_plan`` sizes a fleet from a parameter count; ``serve_model_plan`` serves a real architecture
  (prefill, decode, KV cache, MoE, tensor parallelism, latency limits); ``serving_cost_usd_per_mtok`` is its cached
  call for the simulation; ``serving_validation_report`` checks it against measured inference;
* ``mfu/``: the default MFU (a size law calibrated on the published runs) and the validation report;
* ``hardware``, ``pricing``, ``inputs``: accelerators (and ``this-machine``), defaults, accepted ranges;
* ``cli/``: ``python -m ecosystem plan | serve | validate | validate-serving``.

Every error is a ``ValueError`` whose message names the argument, the value and what is allowed. The names below are
re-exported so that callers (the simulation, the dashboard) write ``from ecosystem import planner; planner.<name>``.
"""

from ecosystem.planner.budget import FITS, BudgetPlan, budget_plan, hoffmann_approach1_allocation
from ecosystem.planner.flops import default_train_context_tokens, gpu_hours_for_flops, training_flops
from ecosystem.planner.hardware import THIS_MACHINE, energy_kwh_per_gpu_hour, hardware_ids, tdp_w, this_machine
from ecosystem.planner.inputs import parse_quantity
from ecosystem.planner.mfu import default_mfu, load_calibration, mfu_basis, validation_report
from ecosystem.planner.pricing import default_grid_gco2_per_kwh, default_price_usd_per_gpu_hour, default_pue
from ecosystem.planner.serving import (ModelServePlan, ServePlan, ServingCost, default_serving_efficiency,
                                      family_efficiency, serve_model_plan, serve_plan, serving_cost_usd_per_mtok,
                                      serving_validation_report, usd_per_million_tokens)
from ecosystem.planner.training import TrainPlan, train_plan

__all__ = [
    "FITS", "THIS_MACHINE", "BudgetPlan", "ModelServePlan", "ServePlan", "ServingCost", "TrainPlan", "budget_plan",
    "default_grid_gco2_per_kwh", "default_mfu", "default_price_usd_per_gpu_hour", "default_pue",
    "default_serving_efficiency", "default_train_context_tokens", "energy_kwh_per_gpu_hour", "family_efficiency",
    "gpu_hours_for_flops", "hardware_ids", "hoffmann_approach1_allocation", "load_calibration", "mfu_basis",
    "parse_quantity", "serve_model_plan", "serve_plan", "serving_cost_usd_per_mtok", "serving_validation_report",
    "tdp_w", "this_machine", "train_plan", "training_flops", "usd_per_million_tokens", "validation_report",
]
