"""LLM Chain Lab economics and the real model: formulas, scaling laws, cost planner, reference data, the small
Transformer with its probe, and the bias-audit experiment. Nothing here imports ``sim`` or ``dashboard``."""
