"""Bad input never crashes and never loses results (issue 15): every file of the bad-input corpus
(``tests/badinput/``) gives exit 2 and a message naming the field or the file, no traceback, and leaves a previous
run in ``--out`` untouched; ``--out`` is checked before any work; valid extremes run; a run that fails anyway
writes what it computed with the error (month, stage) in manifest.json."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.actors import CloudHost
from sim import runner, stream
from sim.runner import RunFailed, RunResult, run
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "badinput"
# each bad file and the words its message must contain (the field, or the file and what is wrong)
BAD = {
    "aliases.yaml": "YAML alias",
    "binary.yaml": "is binary",
    "empty.yaml": "empty",
    "gpu_shocks_300.yaml": "shocks",
    "horizon_too_long.yaml": "horizon_months: value 601",
    "infinite_value.yaml": "market.api_margin: value inf",
    "latin1.yaml": "is not UTF-8",
    "nan_value.yaml": "policy.carbon_price_usd_per_tco2: value nan",
    "nested_500.yaml": "nested more than 32 levels",
    "shocks_compound.yaml": "demand shocks compound",
    "syntax_error.yaml": "not valid YAML at line 2",
    "unknown_field.yaml": "horizon_monts: unknown field",
}


def _sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _digest(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("earlier") / "out"
    run(load_scenario("baseline"), months=6).write(out)
    return out


def test_the_corpus_holds_every_case():
    assert sorted(p.name for p in CORPUS.glob("*.yaml") if not p.name.startswith("valid_")) == sorted(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_exits_2_with_a_message_and_keeps_earlier_results(name, earlier):
    before = _digest(earlier)
    proc = _sim("run", str(CORPUS / name), "--out", str(earlier))
    assert proc.returncode == 2, proc.stderr
    assert BAD[name] in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) <= 3  # "error: invalid scenario:" and one line per problem
    assert _digest(earlier) == before


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: big\nquestion: " + "x" * 1_100_000 + "\n")
    proc = _sim("run", str(big), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "bytes; allowed: at most 1,000,000" in proc.stderr
    assert str(big) in proc.stderr and "Traceback" not in proc.stderr


def test_unwritable_out_is_refused_before_the_run(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    proc = _sim("run", "baseline", "--out", str(blocker / "out"))
    assert proc.returncode == 2 and "--out:" in proc.stderr and "not writable" in proc.stderr
    assert "Traceback" not in proc.stderr and "months" not in proc.stdout  # no summary: nothing was simulated


@pytest.mark.parametrize("name, months", [("valid_horizon_600.yaml", 600), ("valid_carbon_10000.yaml", 120)])
def test_valid_extremes_run_to_their_horizon(name, months, tmp_path):
    proc = _sim("run", str(CORPUS / name), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    back = RunResult.read(tmp_path / "o")
    assert int(back.metrics["step"].max()) == months
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["status"] == "complete"


def test_yaml_depth_and_binary_checks_name_the_upload():
    from sim.scenario import decode_yaml_bytes

    with pytest.raises(ScenarioError, match="'up.yaml' is binary"):
        decode_yaml_bytes(b"a\x00b", "up.yaml", ScenarioError)
    with pytest.raises(ScenarioError, match="'up.yaml' is not UTF-8 text"):
        decode_yaml_bytes("é".encode("latin-1"), "up.yaml", ScenarioError)


def test_a_failing_stage_keeps_the_months_before_and_names_month_and_stage(monkeypatch, tmp_path):
    real = CloudHost.reprice_and_invest

    def breaks_at_month_5(self, t, *args, **kwargs):
        if t == 5:
            raise ZeroDivisionError("injected")
        return real(self, t, *args, **kwargs)

    monkeypatch.setattr(CloudHost, "reprice_and_invest", breaks_at_month_5)
    with pytest.raises(RunFailed) as info:
        run(load_scenario("baseline"), months=12)
    result = info.value.result
    assert result.error["month"] == 5 and result.error["stage"] == "markets.gpu_hours.reprice_and_invest"
    assert "month 5" in str(info.value) and "ZeroDivisionError: injected" in str(info.value)
    assert list(result.metrics["step"]) == [0, 1, 2, 3, 4]
    out = tmp_path / "partial"
    args = type("A", (), {"scenario": "baseline", "out": str(out), "seed": None, "months": 12})
    assert runner.main(args) == 1  # the CLI's path: streamed frames and manifest of months 0..4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]["month"] == 5
    back = RunResult.read(out)
    assert int(back.agents["step"].max()) == 4 and int(back.metrics["step"].max()) == 4


def test_streamed_files_equal_the_in_memory_write_across_row_groups(monkeypatch, tmp_path):
    monkeypatch.setattr(stream, "ROW_GROUP", 5_000)  # many row groups in a small run
    monkeypatch.setattr(stream, "EVENTS_CHUNK", 40)
    sc = load_scenario("baseline")
    streamed = run(sc, months=36, stream_to=tmp_path / "s")
    streamed.write(tmp_path / "s")
    mem = run(sc, months=36)
    for name in ("agents", "flows"):
        getattr(mem, name).to_parquet(tmp_path / f"{name}.parquet", index=False, row_group_size=5_000)
        assert (tmp_path / "s" / f"{name}.parquet").read_bytes() == (tmp_path / f"{name}.parquet").read_bytes()
    mem.events.to_parquet(tmp_path / "events.parquet", index=False)
    assert (tmp_path / "s" / "events.parquet").read_bytes() == (tmp_path / "events.parquet").read_bytes()
    assert streamed.timings["agent_steps"] == len(mem.agents)
