"""``python -m sim``: run writes its outputs and a summary, scenarios lists the presets, bad input exits 2 with a
message and no traceback. Commands run in-process (``sim.__main__.main``); one subprocess checks the module entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sim import __main__ as sim_cli
from sim.runner import RunResult
from sim.scenario import preset_names

ROOT = Path(__file__).resolve().parents[2]


def test_cli_run_writes_outputs_and_prints_a_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert sim_cli.main(["run", str(ROOT / "data/scenarios/baseline.yaml"), "--out", str(out), "--months", "24",
                         "--seed", "3"]) == 0
    assert "baseline: 24 months, seed 3" in capsys.readouterr().out
    for name in ("agents", "flows", "metrics", "events"):
        assert (out / f"{name}.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["months"] == 24 and "run_s" in manifest["timings_s"]
    back = RunResult.read(out)
    assert back.seed == 3 and len(back.metrics) == 25


def test_cli_lists_presets_as_a_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "sim", "scenarios"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    for name in preset_names():
        assert name in proc.stdout


def test_cli_rejects_bad_input_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon_months: 0\n")
    assert sim_cli.main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "horizon_months: value 0 is not allowed" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
