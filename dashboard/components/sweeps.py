"""Sweeps started from the dashboard: a background thread per output directory supervises
``python -m sim sweep SPEC --out runs/SPEC --resume`` and reports its progress from the results store.

The sweep runs in its own process rather than calling ``sim.experiments.sweep.run_sweep`` in the server: Streamlit makes the
running page script the ``__main__`` module, and the sweep's worker processes would re-import it (running the whole
dashboard page in every worker). The registry lives in the server process (``st.cache_resource``), so a sweep keeps
running while the user changes pages or reruns, and every session sees its progress. Results are read from the
store (``sim.experiments.store.ResultsStore``) while the sweep writes it: each finished batch is one whole Parquet file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
RUNS_DIR = ROOT / "runs"


@dataclass
class SweepJob:
    name: str
    out_dir: Path
    workers: int
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    done: int = 0
    total: int = 0
    status: str = "starting"  # starting | running | complete | stopped | failed
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    proc: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def request_stop(self) -> None:
        """Stop submitting batches (SIGINT: the sweep keeps every finished batch; resume later)."""
        self.stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)


@st.cache_resource
def _registry() -> dict[str, SweepJob]:
    return {}


def start(spec_name: str, workers: int, out_dir: Path | None = None) -> SweepJob:
    """Start (or resume) the bundled sweep ``spec_name`` into ``runs/<name>``, supervised by a background thread."""
    from sim.experiments.store import ResultsStore

    out = out_dir or RUNS_DIR / spec_name
    key = str(out.resolve())
    reg = _registry()
    job = reg.get(key)
    if job is not None and job.running:
        return job
    job = SweepJob(name=spec_name, out_dir=out, workers=int(workers))
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.parent / f".{out.name}.log"

    def work() -> None:
        store = ResultsStore(out)
        try:
            with open(log_path, "wb") as log:
                job.proc = subprocess.Popen(
                    [sys.executable, "-m", "sim", "sweep", spec_name, "--out", str(out), "--workers",
                     str(job.workers), "--resume", "--quiet"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                job.status = "running"
                while job.proc.poll() is None:
                    time.sleep(0.5)
                    if store.exists():
                        try:
                            job.done, job.total = store.progress()
                        except Exception:  # a manifest being replaced: try again next tick
                            pass
            code = job.proc.returncode
            if store.exists():
                job.done, job.total = store.progress()
            if code == 0:
                job.status = "complete"
            elif code == 130 or job.stop.is_set():
                job.status = "stopped"
            else:
                job.status = "failed"
                lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
                job.error = (lines[-1] if lines else f"exit status {code}")[:600]
        except Exception as exc:  # shown on the page; the finished batches stay in the store
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:600]
        finally:
            job.finished = time.time()

    job.thread = threading.Thread(target=work, name=f"sweep-{spec_name}", daemon=True)
    reg[key] = job
    job.thread.start()
    return job


def wait_for_store(job: SweepJob, timeout_s: float = 30.0) -> bool:
    """Until the sweep has written its manifest (so it can be browsed) or ended; True if the store exists."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (job.out_dir / "manifest.json").exists():
            return True
        if not job.running:
            break
        time.sleep(0.2)
    return (job.out_dir / "manifest.json").exists()


def job_for(out_dir: Path) -> SweepJob | None:
    return _registry().get(str(Path(out_dir).resolve()))


def stores() -> list[Path]:
    """Sweep directories under runs/ (any depth up to 2) that hold a manifest."""
    if not RUNS_DIR.exists():
        return []
    found = [p.parent for pattern in ("*/manifest.json", "*/*/manifest.json") for p in RUNS_DIR.glob(pattern)]
    out = []
    for p in sorted(set(found)):
        try:
            if json.loads((p / "manifest.json").read_text()).get("format", "").startswith("llm-chain-lab-sweep"):
                out.append(p)
        except (OSError, ValueError):
            continue
    return out


def point_labels(runs: pd.DataFrame, parameters: list[str]) -> pd.Series:
    """run_id -> a short label of its design point's parameter values."""
    if not parameters:
        return pd.Series("all replicates", index=runs["run_id"])

    def label(row: Any) -> str:
        return ", ".join(f"{p.split('.')[-1]}={row[p]:.3g}" for p in parameters)

    return pd.Series([label(r) for _, r in runs.iterrows()], index=runs["run_id"])
