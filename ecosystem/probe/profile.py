"""Reading and writing the probe's profile (``data/profiles/probe_cpu.json``), in plain JSON: no torch import.

The profile is written by ``python -m ecosystem probe --json --out PATH`` (``ecosystem.probe.cli``); the planner
(``this-machine``), the dashboard and the simulation read it. The simulation reads the model-optimisation effects
measured there, so that quantisation and distillation cost what they cost on a real model.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ecosystem.reference import PROFILE_DIR

DEFAULT_PROBE_PROFILE = PROFILE_DIR / "probe_cpu.json"
DEFAULT_PROFILE = DEFAULT_PROBE_PROFILE


def load_probe_profile(path: str | Path | None = None) -> dict:
    """The probe profile (``data/profiles/probe_cpu.json`` unless a path is given), checked for its key fields."""
    p = DEFAULT_PROBE_PROFILE if path is None else Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"probe profile: no file at {p}; run `python -m ecosystem probe --json --out {p}`")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"probe profile: {p} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "sizes" not in data or "gemm_peak_flops_per_s" not in data:
        raise ValueError(f"probe profile: {p} lacks 'sizes' or 'gemm_peak_flops_per_s'; not a probe profile")
    return data


load_profile = load_probe_profile  # the name the dashboard and the README use


def profile_json(profile: dict) -> str:
    """The profile as the probe prints and writes it (indented JSON)."""
    return json.dumps(profile, indent=1)


def write_profile(profile: dict, path: str | Path) -> Path:
    """Write the profile to ``path`` atomically (a temporary file beside it, then a rename)."""
    out = Path(path)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(profile_json(profile) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


@lru_cache(maxsize=4)
def optimisation_loss_ratios(path: str | None = None) -> dict[str, float]:
    """Held-out loss after optimisation / loss before, as measured by the probe: ``{"int8": r, "distill": r}``.

    int8: dynamic quantisation of the Linear layers; distill: a smaller student trained on the teacher's outputs
    (the probe's student is much smaller than the teacher, so its ratio is an upper bound for milder distillation).
    """
    profile = load_probe_profile(path)
    q, d = profile["quantization"], profile["distillation"]
    return {
        "int8": 1.0 + q["loss_delta"] / q["loss_fp32_nats"],
        "distill": 1.0 + d["loss_delta"] / d["loss_teacher_nats"],
    }
