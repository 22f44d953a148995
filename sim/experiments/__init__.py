"""Experiments over the chain model: sweep specs, samplers, executors, the results store, analysis and calibration."""
