"""Run a sweep: ``python -m sim sweep SPEC --out DIR [--workers N] [--scheduler ADDRESS] [--resume]``.

The runs of a sweep (design points x replicates, see ``sim.experiments.resolve``) are cut into batches; each batch is one task
for a ``concurrent.futures`` executor: a local ``ProcessPoolExecutor`` (``--workers``, default ``os.cpu_count()``),
or a dask.distributed cluster (``Client(ADDRESS).get_executor()``) when ``--scheduler`` or the
``DASK_SCHEDULER_ADDRESS`` environment variable names one. A task runs ``sim.runner.run(scenario, seed,
collect_agents=False)`` for each of its runs, reduces the outcomes and returns tidy rows (and the monthly series of
the chosen columns); the parent writes each finished batch to the store (``sim.experiments.store``) at once and forgets it, and at
most two tasks per worker are in flight, so memory stays flat however large the sweep.

Rows depend only on the spec and the seeds, never on the executor, the batch size or the order runs finish in: a
sweep on a cluster gives the same rows as one on a laptop. ``--resume`` reads the run ids already stored and runs only
the missing ones. Host names and timings go to ``DIR/manifest.json``, never into the rows.

Python API (the dashboard starts sweeps in a background thread): ``run_sweep(spec, out_dir, workers=None,
scheduler=None, resume=False, progress=None) -> SweepSummary``.

Here: the parent side (resolve, resume, submit batches with a bounded window, store, manifest) and the CLI. The
worker side is ``sim.experiments.batch``, the executors ``sim.experiments.executors``, the progress bar
``sim.experiments.progress``.

(About 420 lines: the parent loop and what guards it, the writer lock, failed runs, the no-worker watch, are one
sequence that reads best in one file.)
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as _dt
import math
import os
import platform
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ecosystem.checks import check_output_dir

from sim.experiments.batch import Batch, run_batch
from sim.experiments.errors import SweepError, SweepRunError, SweepSpecError
from sim.experiments.executors import (DEFAULT_NO_WORKER_TIMEOUT_S, ENV_NO_WORKER_TIMEOUT, ENV_SCHEDULER,
                                       NoWorkerWatch, no_worker_timeout_s, open_executor)
from sim.experiments.progress import ProgressBar, Timings
from sim.experiments.resolve import ResolvedSweep, resolve_sweep
from sim.experiments.spec import SweepSpec, load_spec, spec_path
from sim.experiments.store import FAILURES, LOCK, ResultsStore, StoreError, WriterLock

MAX_BATCH = 50
TASKS_PER_WORKER = 8
IN_FLIGHT_PER_WORKER = 2
POLL_S = 1.0  # how often the parent checks that a cluster still has workers while it waits for batches
PACKAGES = ("numpy", "pandas", "pyarrow", "duckdb", "mesa", "scipy", "SALib", "pydantic", "dask", "distributed")


@dataclass
class SweepSummary:
    name: str
    out_dir: str
    status: str  # complete | interrupted | stopped | failed
    total_runs: int
    done_runs: int
    new_runs: int
    resumed_runs: int
    batches: int
    batch_size: int
    workers: int
    executor: str
    elapsed_s: float
    error: str | None = None
    failed_runs: int = 0  # runs that raised: recorded in DIR/failures with their inputs, run again by --resume

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)



# ---- the parent side -------------------------------------------------------------------------------------------


def auto_batch_size(n_runs: int, workers: int) -> int:
    """Runs per task: about ``TASKS_PER_WORKER`` tasks per worker (so the last tasks leave little idle time and a
    killed sweep loses little), at most ``MAX_BATCH`` runs (so batches finish every few seconds). A run takes ~1 s
    and a task costs a few ms to ship, so the overhead stays well under 1%."""
    if n_runs <= 0:
        return 1
    return max(1, min(MAX_BATCH, math.ceil(n_runs / (max(1, workers) * TASKS_PER_WORKER))))


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _schemas(resolved: ResolvedSweep):
    import pyarrow as pa

    spec = resolved.spec
    fields = [pa.field("run_id", pa.string()), pa.field("point_id", pa.int64()), pa.field("replicate", pa.int64()),
              pa.field("seed", pa.int64())]
    for p in spec.parameter_names:
        fields.append(pa.field(p, pa.int64() if p in resolved.integer_params else pa.float64()))
    fields += [pa.field(c, pa.float64()) for c in spec.outcome_columns]
    series = [pa.field("run_id", pa.string()), pa.field("step", pa.int64())]
    series += [pa.field(c, pa.float64()) for c in spec.series_columns]
    return pa.schema(fields), pa.schema(series)


def check_metrics(resolved: ResolvedSweep) -> None:
    """Outcome metrics and series columns must be columns of ``RunResult.metrics``: checked on a one-month run."""
    from sim.runner import run

    spec = resolved.spec
    probe = run(resolved.scenario.with_overrides({"horizon_months": 1}), seed=resolved.base_seed,
                collect_agents=False)
    columns = [c for c in probe.metrics.columns if c != "step"]
    problems = []
    for i, o in enumerate(spec.outcomes):
        if o.metric not in probe.metrics.columns:
            problems.append(f"outcomes.{i}.metric: value {o.metric!r} is not allowed; allowed: a metrics column "
                            f"({', '.join(columns)})")
    for c in spec.options.series or []:
        if c not in probe.metrics.columns:
            problems.append(f"options.series: value {c!r} is not allowed; allowed: metrics columns "
                            f"({', '.join(columns)})")
    if problems:
        raise SweepSpecError(problems)


def _manifest(resolved: ResolvedSweep) -> dict[str, Any]:
    spec = resolved.spec
    return {
        "name": spec.name,
        "description": spec.description,
        "fingerprint": resolved.fingerprint,
        "created_at": _now(),
        "spec": spec.model_dump(mode="json"),
        "base_scenario": resolved.scenario.model_dump(mode="json"),
        "parameters": spec.parameter_names,
        "integer_parameters": sorted(resolved.integer_params),
        "outcome_columns": spec.outcome_columns,
        "series_columns": spec.series_columns,
        "design": {"kind": spec.design, "points": int(len(resolved.design)), "replicates": spec.replicates,
                   "samples": spec.samples, "second_order": spec.second_order},
        "total_runs": resolved.total_runs,
        "seeds": {"base_seed": resolved.base_seed, "mode": spec.seeds, "replicate_seeds": resolved.common_seeds},
        "packages": package_versions(),
        "sessions": [],
    }


def _as_spec(spec: SweepSpec | str | Path) -> tuple[SweepSpec, Path | None]:
    if isinstance(spec, SweepSpec):
        return spec, None
    path = spec_path(spec)
    return load_spec(path), path.resolve().parent


def run_sweep(spec: SweepSpec | str | Path, out_dir: str | Path, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False,
              progress: Callable[[int, int], None] | None = None, batch_size: int | None = None,
              spec_dir: str | Path | None = None, stop: threading.Event | None = None,
              no_worker_timeout: float | None = None) -> SweepSummary:
    """Run (or resume) a sweep into ``out_dir``; returns a summary. ``progress(done, total)`` is called after each
    batch; setting ``stop`` stops submitting batches (those running finish and are kept; resume later).
    ``no_worker_timeout``: seconds a dask cluster may have no worker, at the start or in the middle of the sweep,
    before the sweep stops with a ``SweepError`` (the runs finished are kept: start workers and ``resume``); default
    ``$SIM_NO_WORKER_TIMEOUT_S`` or 60.

    The sweep holds the directory's writer lock (``store.WriterLock``) throughout: a second sweep into it is refused.
    Raises ``SweepSpecError`` (bad spec), ``SweepError`` (bad option, directory in the way, no scheduler),
    ``StoreLocked`` (another sweep writes there) or ``SweepRunError`` (runs failed: they are recorded in
    ``DIR/failures`` and every other run is stored; fix and ``resume``; or a local worker process died).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out: {str(out)!r} is a file; allowed: a directory (new, or a sweep's to --resume)")
    created = not out.exists()
    try:
        check_output_dir("--out", out)  # created and written to before any work
    except ValueError as exc:
        raise SweepError(str(exc)) from None
    lock = WriterLock(out)
    try:
        lock.acquire()
        return _run_sweep_locked(spec, out, workers, scheduler, resume, progress, batch_size, spec_dir, stop,
                                 no_worker_timeout)
    finally:
        lock.release()
        if created and not ResultsStore(out).exists():  # a sweep that could not start leaves no directory
            (out / LOCK).unlink(missing_ok=True)
            try:
                out.rmdir()
            except OSError:
                pass


def _run_sweep_locked(spec, out_dir, workers, scheduler, resume, progress, batch_size, spec_dir,
                      stop, no_worker_timeout) -> SweepSummary:
    started = time.perf_counter()
    spec, found_dir = _as_spec(spec)
    resolved = resolve_sweep(spec, Path(spec_dir) if spec_dir else found_dir)
    if workers is not None and int(workers) < 1:
        raise SweepError(f"--workers: value {workers} is not allowed; allowed: 1 or more")
    if batch_size is not None and int(batch_size) < 1:
        raise SweepError(f"--batch-size: value {batch_size} is not allowed; allowed: 1 or more")
    scheduler = scheduler or os.environ.get(ENV_SCHEDULER) or None
    no_worker_s = no_worker_timeout_s(no_worker_timeout)
    store = ResultsStore(out_dir)
    out = Path(out_dir)
    if store.exists():
        if not resume:
            done, total = store.progress()
            raise SweepError(f"--out: {str(out)!r} already holds a sweep ({done} of {total} runs); allowed: pass "
                             "--resume to continue it, or choose a new directory")
        manifest = store.manifest()
        if manifest.get("fingerprint") != resolved.fingerprint:
            raise SweepError(f"--resume: {str(out)!r} holds a different sweep ({manifest.get('name')!r}, fingerprint "
                             f"{manifest.get('fingerprint')}; this spec's is {resolved.fingerprint}); allowed: the "
                             "same spec and base scenario, or a new --out directory")
        store.clean_partial()
        store.repair_duplicates()  # two writers at once (before the lock): keep one row per run id
        store.clear_failures()  # failed runs are not done: this session runs them again
        for past in manifest.get("sessions", []):
            if past.get("status") == "running":  # it never closed: killed, or its machine went down
                past["status"] = "killed"
        done_ids = store.run_ids()
        unknown = done_ids - set(resolved.runs["run_id"])
        if unknown:
            raise SweepError(f"--resume: {str(out)!r} holds {len(unknown)} runs that are not part of this sweep; "
                             "allowed: a directory written by this spec only")
    else:
        if out.exists() and any(p for p in out.iterdir() if not p.name.startswith(".")):
            raise SweepError(f"--out: {str(out)!r} exists and is not a sweep directory; allowed: a new or empty "
                             "directory")
        check_metrics(resolved)
        manifest = _manifest(resolved)
        done_ids = set()

    todo = resolved.runs[~resolved.runs["run_id"].isin(done_ids)]
    total = resolved.total_runs
    already = total - len(todo)
    params = spec.parameter_names
    run_tuples = [(r[0], int(r[1]), int(r[2]), int(r[3]), tuple(_py(v) for v in r[4:]))
                  for r in todo[["run_id", "point_id", "replicate", "seed", *params]].itertuples(index=False)]
    del todo
    outcomes = [(o.column, o.metric, o.reduce) for o in spec.outcomes]
    series_cols = spec.series_columns
    schema, series_schema = _schemas(resolved)

    session: dict[str, Any] = {"started_at": _now(), "parent_host": socket.gethostname(), "pid": os.getpid(),
                               "runs_before": already, "status": "running"}
    manifest.setdefault("sessions", []).append(session)
    timings = Timings()
    done = already
    n_batches = 0
    failed: list[str] = []
    status = "complete"
    error: str | None = None
    no_worker = False  # the dask cluster had no worker for no_worker_s: a SweepError, resumable
    n_workers = 0
    kind = "none"
    size = 0

    if progress:
        progress(done, total)
    # connect (and check the cluster) before writing anything, so a sweep that cannot start leaves no directory
    opened = open_executor(workers, scheduler, no_worker_s) if run_tuples else None
    if not store.exists():
        try:
            store.create(manifest, resolved.design)
        except BaseException:
            if opened is not None:
                opened[3]()
            raise
    if opened is not None:
        executor, n_workers, kind, close = opened
        size = int(batch_size or spec.options.batch_size or auto_batch_size(len(run_tuples), n_workers))
        session.update({"executor": kind, "scheduler": scheduler, "workers": n_workers, "batch_size": size})
        store.write_manifest(manifest)
        batches = (Batch(resolved.scenario, params, run_tuples[i:i + size], outcomes, series_cols)
                   for i in range(0, len(run_tuples), size))
        window = max(2, IN_FLIGHT_PER_WORKER * n_workers)
        in_flight: set[cf.Future] = set()
        watch = NoWorkerWatch()
        exhausted = False
        try:
            while True:
                while not exhausted and len(in_flight) < window and not (stop is not None and stop.is_set()):
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                        break
                    try:
                        in_flight.add(executor.submit(run_batch, batch))
                    except cf.BrokenExecutor as exc:  # a worker died before this submit noticed: as a failed batch
                        status, exhausted = "failed", True
                        error = f"{type(exc).__name__}: {exc}"
                        break
                if not in_flight:
                    break
                finished, in_flight = cf.wait(in_flight, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
                if not finished and watch.no_worker_for(executor) > no_worker_s:
                    status, exhausted, no_worker = "failed", True, True
                    error = (f"--scheduler: no worker for {no_worker_s:g} s (--no-worker-timeout); {done} of "
                             f"{total} runs are stored in {out}: start workers (`dask worker {scheduler}`) and "
                             "rerun with --resume")
                    for f in in_flight:
                        f.cancel()
                    break
                for fut in finished:
                    try:
                        result = fut.result()
                    except cf.CancelledError:
                        continue
                    except Exception as exc:  # a run failed, a worker died, the scheduler went away, ...
                        status = "failed"
                        error = str(exc) if isinstance(exc, SweepRunError) else f"{type(exc).__name__}: {exc}"
                        exhausted = True  # submit nothing more; keep what finishes
                        for f in in_flight:
                            f.cancel()
                        continue
                    if len(result["runs"]):
                        store.write_batch(result["runs"], result["series"], schema, series_schema)
                    store.write_failures(result.get("failures"))
                    failed += list(result["failures"]["error"]) if result.get("failures") is not None else []
                    timings.add(result)
                    done += len(result["runs"])
                    n_batches += 1
                    del result
                    if progress:
                        progress(done + len(failed), total)
                if stop is not None and stop.is_set() and status == "complete":
                    status = "stopped"
                    exhausted = True
        except KeyboardInterrupt:
            status = "interrupted"
            for f in in_flight:
                f.cancel()
            raise
        finally:
            try:
                close()
            except Exception:
                pass
            elapsed = time.perf_counter() - started
            session.update({"ended_at": _now(), "status": status, "runs_run": done - already, "batches": n_batches,
                            "runs_after": done, "elapsed_s": round(elapsed, 3), **timings.as_dict()})
            if failed and status == "complete":
                status = "failed"
                error = (f"{len(failed)} runs failed (recorded in {out / FAILURES}, listed by `sim analyze`), the "
                         f"other runs went on; first: {failed[0]}")
            session["failed_runs"] = len(failed)
            if error:
                session["status"] = status
                session["error"] = error.splitlines()[0]
            store.write_manifest(manifest)
    else:
        session.update({"ended_at": _now(), "status": "complete", "runs_run": 0, "batches": 0, "runs_after": done,
                        "elapsed_s": round(time.perf_counter() - started, 3)})
        store.write_manifest(manifest)
    if status == "complete" and done + len(failed) != total:  # cannot happen unless files were removed while running
        status = "failed"
        error = f"{total - done} runs missing after the sweep; run it again with --resume"
    summary = SweepSummary(name=spec.name, out_dir=str(out), status=status, total_runs=total, done_runs=done,
                           new_runs=done - already, resumed_runs=already, batches=n_batches, batch_size=size,
                           workers=n_workers, executor=kind, elapsed_s=round(time.perf_counter() - started, 3),
                           error=error, failed_runs=len(failed))
    if status == "failed" and no_worker:  # the cluster's fault, not a run's: as at the start
        raise SweepError(error)
    if status == "failed":
        raise SweepRunError(f"{error}\n{done} of {total} runs are stored in {out}; fix the cause and rerun with "
                            "--resume")
    return summary


def _py(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v

# ---- command line ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="sweep file (YAML) or the name of a bundled sweep in data/sweeps/")
    parser.add_argument("--out", required=True, help="output directory (new, or the sweep's own with --resume)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: os.cpu_count()); ignored with --scheduler")
    parser.add_argument("--scheduler", default=None,
                        help=f"dask.distributed scheduler address, e.g. tcp://HOST:8786 (default: ${ENV_SCHEDULER} "
                             "if set, else local processes)")
    parser.add_argument("--resume", action="store_true", help="continue a sweep in --out: run only missing runs")
    parser.add_argument("--batch-size", type=int, default=None, help="runs per task (default: automatic)")
    parser.add_argument("--no-worker-timeout", type=float, default=None, metavar="SECONDS",
                        help="with --scheduler: stop with a clear error when the cluster has had no worker for this "
                             f"long, at the start or in the middle (the runs done are kept: start workers and rerun "
                             f"with --resume; default: ${ENV_NO_WORKER_TIMEOUT} if set, else "
                             f"{DEFAULT_NO_WORKER_TIMEOUT_S:g})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args: argparse.Namespace) -> int:
    progress = None if args.quiet else ProgressBar(label=Path(str(args.spec)).stem)
    try:
        summary = run_sweep(args.spec, args.out, workers=args.workers, scheduler=args.scheduler,
                            resume=args.resume, progress=progress, batch_size=args.batch_size,
                            no_worker_timeout=args.no_worker_timeout)
    except SweepSpecError as exc:
        print(f"error: invalid sweep spec {args.spec}:", file=sys.stderr)
        for p in exc.problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    except (SweepError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SweepRunError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished batches are kept in {args.out}; continue with --resume", file=sys.stderr)
        return 130
    where = "" if summary.executor == "none" else f" on {summary.workers} workers ({summary.executor})"
    print(f"sweep {summary.name}: {summary.done_runs}/{summary.total_runs} runs done ({summary.new_runs} new, "
          f"{summary.resumed_runs} already stored) in {summary.elapsed_s:.1f} s{where}; results in {summary.out_dir}")
    return 0

