"""The accelerators a plan can run on: the catalogue (``hardware.csv``), or ``this-machine`` as the probe measured it;
board power and the facility energy of one accelerator-hour."""

from __future__ import annotations

import os
from functools import lru_cache

from ecosystem import reference
from ecosystem.checks import check_number
from ecosystem.planner.inputs import PUE_RANGE
from ecosystem.probe.profile import load_probe_profile


THIS_MACHINE = "this-machine"


def hardware_ids() -> list[str]:
    """Every hardware id the planner accepts: the catalogue's, and ``this-machine`` (training plans only)."""
    return sorted(reference.hardware_catalog()) + [THIS_MACHINE]


@lru_cache(maxsize=1)
def this_machine() -> reference.Hardware:
    """The machine the probe ran on, as a training device: its measured dense-matmul peak (``probe_cpu.json``).

    The probe measures neither power nor memory bandwidth, so plans on it have no energy figure and no serving plan.
    """
    profile = load_probe_profile()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else float("nan")
    return reference.Hardware(
        id=THIS_MACHINE, name=f"this machine ({profile['machine'].get('cpu_model', 'CPU')}, measured by the probe)",
        peak_bf16_flops_per_s=float(profile["gemm_peak_flops_per_s"]), peak_fp8_flops_per_s=None,
        memory_bytes=float(mem), memory_bw_bytes_per_s=float("nan"), tdp_w=None,
        source="data/profiles/probe_cpu.json: python -m ecosystem probe (GEMM peak and training MFU measured here)")


def this_machine_mfu() -> float:
    """Median-step training MFU of the probe's largest model on this machine (``probe_cpu.json``)."""
    profile = load_probe_profile()
    largest = profile["sizes"][-1]
    return float(largest.get("mfu_median", largest["mfu"]))


def resolve_hardware(hardware_id: str) -> reference.Hardware:
    """The accelerator with this id (``this-machine`` included); a ValueError naming the allowed ids otherwise."""
    if not isinstance(hardware_id, str):
        raise ValueError(f"hardware: {hardware_id!r} is not an id; allowed: {', '.join(hardware_ids())}")
    if hardware_id == THIS_MACHINE:
        return this_machine()
    if hardware_id not in reference.hardware_catalog():
        raise ValueError(f"hardware: unknown id {hardware_id!r}; allowed: {', '.join(hardware_ids())}")
    return reference.hardware(hardware_id)


def catalogued_hardware(hardware_id: str, what: str) -> reference.Hardware:
    """The hardware, refusing ``this-machine`` where a figure the probe does not measure is needed."""
    if hardware_id == THIS_MACHINE:
        raise ValueError(f"hardware: {THIS_MACHINE!r} has no {what} (the probe does not measure it); allowed: "
                         f"{', '.join(sorted(reference.hardware_catalog()))}")
    return resolve_hardware(hardware_id)


def tdp_w(hardware_id: str) -> float:
    """Board power (W) of one accelerator: hardware.csv, else the ``tdp_w.<id>`` row of defaults.csv (TPUs, H800)."""
    hw = catalogued_hardware(hardware_id, "TDP")
    if hw.tdp_w is not None:
        return hw.tdp_w
    entry = reference.defaults().get(f"tdp_w.{hardware_id}")
    if entry is None:
        raise ValueError(f"hardware: no TDP for {hardware_id!r} in hardware.csv or defaults.csv (tdp_w.{hardware_id})")
    return entry.value


def energy_kwh_per_gpu_hour(hardware_id: str, pue: float) -> float:
    """Facility energy of one accelerator-hour at TDP: TDP (kW) x PUE. Model cards use the same convention."""
    pue_value = check_number("pue", pue, PUE_RANGE[0], PUE_RANGE[1])
    return tdp_w(hardware_id) / 1000.0 * pue_value
