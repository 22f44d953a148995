"""The MFU size law the planner uses by default, and where its calibration is kept.

log10 MFU = intercept of the hardware generation (or the all-runs fallback) + slope x (log10 active params - 10),
clamped to ``MFU_BOUNDS``. A fitted law is a JSON-ready dict (``law_model``); ``predict_mfu`` evaluates it. The
calibration (``ecosystem.planner.mfu.calibration``) chooses and fits it on the published runs and writes it to
``CALIBRATION_PATH``.
"""

from __future__ import annotations

import math

from ecosystem.reference import PROFILE_DIR

CALIBRATION_PATH = PROFILE_DIR / "mfu_calibration.json"
REFERENCE_LOG10_PARAMS = 10.0
MFU_BOUNDS = (0.05, 0.75)

# Accelerator generation, by hardware.csv id (a classification, not a published figure).
HARDWARE_FAMILY = {
    "V100": "nvidia-volta",
    "A100-40GB": "nvidia-ampere",
    "A100-80GB": "nvidia-ampere",
    "H100-SXM": "nvidia-hopper",
    "H200": "nvidia-hopper",
    "H800": "nvidia-hopper",
    "B200": "nvidia-blackwell",
    "MI300X": "amd-cdna3",
    "TPUv3": "google-tpu",
    "TPUv4": "google-tpu",
    "TPUv5e": "google-tpu",
}


def family_of(hardware_id: str) -> str:
    """The accelerator generation of a hardware id (the id itself when it has none)."""
    return HARDWARE_FAMILY.get(hardware_id, hardware_id)


def law_model(family_log10: dict[str, float], fallback: float, slope: float = 0.0) -> dict:
    """A size law as the calibration stores it (``model`` in ``mfu_calibration.json``)."""
    return {
        "hardware_family": dict(HARDWARE_FAMILY),
        "family_log10_mfu": family_log10,
        "fallback_log10_mfu": fallback,
        "slope_per_decade_params": slope,
        "reference_log10_params": REFERENCE_LOG10_PARAMS,
        "mfu_bounds": list(MFU_BOUNDS),
    }


def predict_mfu(model: dict, hardware_id: str, params: float) -> float:
    """The MFU the size law ``model`` gives a model of ``params`` active parameters on this hardware."""
    family = model["hardware_family"].get(hardware_id)
    log10_mfu = model["family_log10_mfu"].get(family, model["fallback_log10_mfu"])
    log10_mfu += model["slope_per_decade_params"] * (math.log10(params) - model["reference_log10_params"])
    low, high = model["mfu_bounds"]
    return min(high, max(low, 10.0**log10_mfu))
