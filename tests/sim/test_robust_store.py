"""One writer per sweep store, failed runs recorded apart, dead workers survived (issue 15): a second writer is
refused naming the first, two sweeps started at once never leave duplicate rows, duplicates from older stores are
refused by ``analyze`` and repaired by ``--resume``, failing runs are recorded while the others go on, and a killed
worker process leaves a resumable store."""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import subprocess
import threading
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.runner
from sim.experiments import analysis, sweep
from sim.experiments.errors import SweepRunError
from sim.experiments.spec import validate_spec
from sim.experiments.store import ResultsStore, StoreError, StoreLocked
from tests.sim.test_sweep import same_rows, tiny

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> ResultsStore:
    out = tmp_path_factory.mktemp("clean") / "sweep"
    sweep.run_sweep(validate_spec(tiny()), out, workers=1)
    return ResultsStore(out)


def _threads(workers, scheduler, *_):
    pool = cf.ThreadPoolExecutor(max_workers=1)
    return pool, 1, "threads", lambda: pool.shutdown(wait=True)


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom sim.experiments.store import WriterLock\n"
                               f"lock = WriterLock({str(out)!r}); lock.acquire(); print('held', flush=True); time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked, match=f"is being written by pid {holder.pid} on"):
            sweep.run_sweep(validate_spec(tiny()), out, workers=1)
        assert not ResultsStore(out).exists()  # nothing was written
    finally:
        holder.kill()
        holder.wait()
    summary = sweep.run_sweep(validate_spec(tiny()), out, workers=1)  # the lock died with its holder
    assert summary.status == "complete" and summary.done_runs == 8


def test_two_sweeps_started_at_once_leave_no_duplicates(tmp_path, clean):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny()))
    out = tmp_path / "both"
    procs = [subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--quiet",
                               "--workers", "1", "--batch-size", str(b)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for b in (1, 3)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert "is being written by pid" in refused or "already holds a sweep" in refused
    assert "Traceback" not in refused
    store = ResultsStore(out)
    assert store.duplicate_run_ids() == 0 and store.progress() == (8, 8)
    same_rows(store.runs(), clean.runs())


def test_duplicates_are_refused_by_analyze_and_repaired_by_resume(tmp_path, clean):
    out = tmp_path / "dup"
    shutil.copytree(clean.dir, out)
    store = ResultsStore(out)
    # what two unlocked writers with different batch sizes left: some runs stored twice, in other batch files
    rows = store.runs()
    store.write_batch(rows.iloc[:3].copy())
    store.write_batch(rows.iloc[2:7].copy())
    assert store.duplicate_run_ids() == 8
    with pytest.raises(StoreError, match="8 duplicate runs .* --resume"):
        analysis.analyze(out)
    summary = sweep.run_sweep(validate_spec(tiny()), out, resume=True)
    assert summary.new_runs == 0 and store.duplicate_run_ids() == 0
    same_rows(store.runs(), clean.runs())
    same_rows(store.series(), clean.series())
    assert analysis.analyze(out)["runs_done"] == 8


def test_failing_runs_are_recorded_apart_and_the_others_go_on(tmp_path, monkeypatch, capsys, clean):
    real = sim.runner.run

    def flaky(scenario, seed=None, **kw):
        if scenario.market.demand_growth_multiplier == 1.5:
            raise ZeroDivisionError("injected")
        return real(scenario, seed=seed, **kw)

    monkeypatch.setattr(sim.runner, "run", flaky)
    monkeypatch.setattr(sweep, "open_executor", _threads)
    out = tmp_path / "flaky"
    with pytest.raises(SweepRunError, match="4 runs failed .* the other runs went on"):
        sweep.run_sweep(validate_spec(tiny()), out, batch_size=8)  # one batch: its failing runs do not stop it
    store = ResultsStore(out)
    assert store.progress() == (4, 8) and len(store.failures()) == 4
    assert store.failures()["error"].str.contains("ZeroDivisionError: injected").all()
    report = analysis.analyze(out)
    assert report["runs_failed"] == 4 and report["runs_done"] == 4
    assert all(f["market.demand_growth_multiplier"] == 1.5 for f in report["failures"])
    monkeypatch.setattr(sim.runner, "run", real)
    assert sweep.run_sweep(validate_spec(tiny()), out, resume=True).new_runs == 4
    assert len(store.failures()) == 0
    same_rows(store.runs(), clean.runs())


def test_a_killed_worker_leaves_a_resumable_store(tmp_path, clean):
    import psutil

    spec = validate_spec(tiny(options={"months": 120}))  # long enough runs to kill a worker in the middle
    out = tmp_path / "killed"
    box: dict = {}

    def go() -> None:
        try:
            box["summary"] = sweep.run_sweep(spec, out, workers=2, batch_size=1)
        except Exception as exc:
            box["error"] = exc

    worker = threading.Thread(target=go)
    worker.start()
    store = ResultsStore(out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not store.exists() or store.progress()[0] < 1):
        time.sleep(0.05)
    pool = [p for p in psutil.Process().children(recursive=True) if "python" in p.name().lower()]
    assert pool, "no worker process to kill"
    for p in pool:
        p.kill()
    worker.join(300)
    assert isinstance(box.get("error"), SweepRunError), box
    assert "of 8 runs are stored" in str(box["error"]) and "--resume" in str(box["error"])
    kept = store.progress()[0]
    assert 1 <= kept < 8 and store.manifest()["sessions"][-1]["status"] == "failed"
    summary = sweep.run_sweep(spec, out, workers=1, resume=True)
    assert summary.new_runs == 8 - kept and store.progress() == (8, 8) and store.duplicate_run_ids() == 0
