"""A dask cluster that loses its workers (issue 15): a sweep against a scheduler with no worker, at the start or after
its last worker was killed in the middle, stops after ``--no-worker-timeout`` seconds with one line naming
``--scheduler`` and the timeout (exit 2), keeps the runs finished before, and ``--resume`` on local processes then
completes it with exactly the rows of an uninterrupted sweep (no run twice). A real scheduler on 127.0.0.1 and a real
``dask worker`` process (no nanny, so a killed worker is lost, not restarted)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from sim.experiments import sweep
from sim.experiments.errors import SweepError
from sim.experiments.spec import validate_spec
from sim.experiments.store import ResultsStore
from tests.sim.test_sweep import _cli_sweep, same_rows, tiny

distributed = pytest.importorskip("distributed")  # in requirements.txt; the import is slow, so only here

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2  # --no-worker-timeout for these tests (default 60)


@pytest.fixture
def scheduler():
    """A scheduler on 127.0.0.1 with no worker of its own."""
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _start_worker(address: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny",
                             "--nthreads", "1", "--no-dashboard"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_scheduler_without_workers_is_a_clear_error_and_writes_nothing(scheduler, tmp_path, capsys, monkeypatch):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny()))
    out = tmp_path / "none"
    rc = _cli_sweep([str(spec), "--out", str(out), "--scheduler", scheduler, "--no-worker-timeout", "1", "--quiet"])
    line = _one_line(capsys.readouterr().err)
    assert rc == 2
    assert line == (f"error: --scheduler: {scheduler!r} has no workers after 1 s (--no-worker-timeout); start some "
                    f"with `dask worker {scheduler}`")
    assert not out.exists()  # a sweep that cannot start leaves no directory
    monkeypatch.setenv("SIM_NO_WORKER_TIMEOUT_S", "0.5")  # the same from the environment, through the API
    with pytest.raises(SweepError, match="has no workers after 0.5 s"):
        sweep.run_sweep(validate_spec(tiny()), out, scheduler=scheduler)
    assert not out.exists()


@pytest.mark.parametrize("value, words", [("0", "--no-worker-timeout: 0 is out of range"),
                                          ("nan", "--no-worker-timeout: nan is not a finite number")])
def test_a_bad_timeout_is_refused_naming_the_flag(value, words, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny()))
    assert _cli_sweep([str(spec), "--out", str(tmp_path / "x"), "--no-worker-timeout", value, "--quiet"]) == 2
    assert words in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "x").exists()


def test_losing_the_last_worker_stops_the_sweep_and_resume_completes_it(scheduler, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny(replicates=4, options={"months": 60})))  # 16 runs, one per task
    out = tmp_path / "lost"
    worker = _start_worker(scheduler)
    box: dict = {}

    def go() -> None:
        box["rc"] = _cli_sweep([str(spec), "--out", str(out), "--scheduler", scheduler, "--batch-size", "1",
                                "--no-worker-timeout", str(TIMEOUT_S), "--quiet"])

    thread = threading.Thread(target=go)
    try:
        thread.start()
        store = ResultsStore(out)
        deadline = time.monotonic() + 120  # the worker starts, then runs one task at a time
        while time.monotonic() < deadline and (not store.exists() or store.progress()[0] < 1):
            assert thread.is_alive() and worker.poll() is None, box
            time.sleep(0.02)
        worker.kill()  # the cluster's only worker, in the middle of the sweep
        worker.wait()
        thread.join(120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert not thread.is_alive(), "the sweep did not stop after losing its last worker"
    line = _one_line(capsys.readouterr().err)
    kept, total = store.progress()
    assert box["rc"] == 2 and 1 <= kept < total == 16
    assert line == (f"error: --scheduler: no worker for {TIMEOUT_S} s (--no-worker-timeout); {kept} of 16 runs are "
                    f"stored in {out}: start workers (`dask worker {scheduler}`) and rerun with --resume")
    session = store.manifest()["sessions"][-1]
    assert session["status"] == "failed" and session["error"] == line.removeprefix("error: ")
    # resume on local processes: only the missing runs, and the rows of a sweep that was never interrupted
    assert _cli_sweep([str(spec), "--out", str(out), "--resume", "--workers", "1", "--quiet"]) == 0
    assert f"({16 - kept} new, {kept} already stored)" in capsys.readouterr().out
    assert store.progress() == (16, 16) and store.duplicate_run_ids() == 0
    reference = tmp_path / "reference"
    sweep.run_sweep(spec, reference, workers=2)
    same_rows(store.runs(), ResultsStore(reference).runs())
    same_rows(store.series(), ResultsStore(reference).series())
