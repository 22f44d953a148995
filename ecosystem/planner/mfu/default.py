"""The default MFU of a plan: the committed calibration's size law, or on ``this-machine`` the probe's measurement.

It is an *effective* MFU: total model FLOPs over total reported GPU-hours, so restarts and downtime are folded in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ecosystem.checks import check_number
from ecosystem.planner.hardware import THIS_MACHINE, resolve_hardware, this_machine_mfu
from ecosystem.planner.inputs import MAX_PARAMS
from ecosystem.planner.mfu.calibration import calibrate
from ecosystem.planner.mfu.law import CALIBRATION_PATH, predict_mfu


@lru_cache(maxsize=1)
def load_calibration() -> dict:
    """The committed MFU calibration (``data/profiles/mfu_calibration.json``); recomputed if the file is absent."""
    path = Path(CALIBRATION_PATH)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return calibrate()


@lru_cache(maxsize=4096)
def _default_mfu_cached(hardware_id: str, params: float) -> float:
    return predict_mfu(load_calibration()["model"], hardware_id, params)


def default_mfu(hardware_id: str, params: float) -> float:
    """The calibrated default MFU for training a model of ``params`` (active) parameters on this hardware;
    on ``this-machine``, the MFU the probe measured here."""
    resolve_hardware(hardware_id)
    check_number("params", params, 0.0, MAX_PARAMS, low_open=True)
    if hardware_id == THIS_MACHINE:
        return this_machine_mfu()
    return _default_mfu_cached(hardware_id, float(params))


def mfu_basis(hardware_id: str) -> str:
    """One line saying where the default MFU for this hardware comes from."""
    if hardware_id == THIS_MACHINE:
        return "measured by the probe on this machine: median-step MFU of its largest model (probe_cpu.json)"
    cal = load_calibration()
    model = cal["model"]
    family = model["hardware_family"].get(hardware_id, hardware_id)
    n_runs = len(cal["rows"])
    if not model["family_log10_mfu"]:
        basis = f"one law for all hardware fitted on {n_runs} published runs"
    elif family in model["family_log10_mfu"]:
        basis = f"calibrated on the published {family} runs"
    else:
        basis = f"no published run on {family} hardware: the all-runs value"
    if model["slope_per_decade_params"]:
        basis += f", MFU x{10 ** model['slope_per_decade_params']:.3f} per 10x params"
    return f"{basis} (data/profiles/mfu_calibration.json, method {cal['method']!r})"
