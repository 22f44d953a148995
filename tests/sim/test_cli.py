"""``python -m sim``: run writes its outputs and a summary, scenarios lists the presets, bad input exits 2 with a
message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sim.runner import RunResult
from sim.scenario import preset_names

ROOT = Path(__file__).resolve().parents[2]


def test_cli_run_writes_outputs_and_prints_a_summary(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "data/scenarios/baseline.yaml", "--out", str(out),
                           "--months", "24", "--seed", "3"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "baseline: 24 months, seed 3" in proc.stdout
    for name in ("agents", "flows", "metrics", "events"):
        assert (out / f"{name}.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["months"] == 24 and "run_s" in manifest["timings_s"]
    back = RunResult.read(out)
    assert back.seed == 3 and len(back.metrics) == 25


def test_cli_lists_presets_and_rejects_bad_input(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "scenarios"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    for name in preset_names():
        assert name in proc.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon_months: 0\n")
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(bad), "--out", str(tmp_path / "o")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "horizon_months: value 0 is not allowed" in proc.stderr and "Traceback" not in proc.stderr
