"""Where a sweep's batches run: a local process pool (``--workers``), or a dask.distributed cluster
(``--scheduler`` or ``$DASK_SCHEDULER_ADDRESS``) whose scheduler and workers are first checked to import the project.
Both are ``concurrent.futures`` executors, so the sweep loop is the same for either."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading

from ecosystem.checks import check_number
from sim.experiments.errors import SweepError

ENV_SCHEDULER = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT_S = 20
# a dask cluster with no worker for this long (at the start, or in the middle of a sweep): a clear error, resumable
ENV_NO_WORKER_TIMEOUT = "SIM_NO_WORKER_TIMEOUT_S"
DEFAULT_NO_WORKER_TIMEOUT_S = 60.0
MAX_NO_WORKER_TIMEOUT_S = 86_400.0


def no_worker_timeout_s(value: float | str | None = None) -> float:
    """``--no-worker-timeout`` if given, else ``$SIM_NO_WORKER_TIMEOUT_S``, else 60 s (read when a sweep starts)."""
    name = "--no-worker-timeout"
    if value is None:
        name, value = f"${ENV_NO_WORKER_TIMEOUT}", os.environ.get(ENV_NO_WORKER_TIMEOUT, DEFAULT_NO_WORKER_TIMEOUT_S)
    try:
        return check_number(name, value, 0.0, MAX_NO_WORKER_TIMEOUT_S, low_open=True)
    except ValueError as exc:
        raise SweepError(str(exc)) from None


def open_executor(workers: int | None, scheduler: str | None, no_worker_timeout: float | None = None):
    """(executor, number of workers, kind, closer). A cluster with no worker is waited for ``no_worker_timeout``
    seconds (default: ``no_worker_timeout_s()``)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - distributed is in requirements.txt
            raise SweepError("--scheduler: dask.distributed is not installed; allowed: pip install -r "
                             "requirements.txt") from None
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except Exception as exc:
            raise SweepError(f"--scheduler: cannot connect to {scheduler!r} ({type(exc).__name__}: {exc}); allowed: "
                             "the address of a running `dask scheduler`, e.g. tcp://HOST:8786") from None
        n = sum(client.nthreads().values())
        if n == 0:
            wait_s = no_worker_timeout_s() if no_worker_timeout is None else no_worker_timeout
            try:
                client.wait_for_workers(1, timeout=wait_s)
            except Exception:
                client.close()
                raise SweepError(f"--scheduler: {scheduler!r} has no workers after {wait_s:g} s "
                                 f"(--no-worker-timeout); start some with `dask worker {scheduler}`") from None
            n = sum(client.nthreads().values())
        try:
            _check_cluster_environment(client, scheduler)
        except SweepError:
            client.close()
            raise
        executor = client.get_executor(pure=False)

        def close() -> None:
            executor.shutdown(wait=False)
            client.close()

        return executor, n, "dask", close
    n = int(workers or os.cpu_count() or 1)
    # fork is fastest and safe from a single-threaded parent; from a threaded one (the dashboard, a dask client)
    # forking can copy a held lock, so use forkserver there.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.batch", "sim.runner"])  # imported once, by the fork server
    executor = cf.ProcessPoolExecutor(max_workers=n, mp_context=context)

    def close() -> None:
        executor.shutdown(wait=True, cancel_futures=True)

    return executor, n, "local-processes", close


_IMPORT_CHECK = "import sim.experiments.batch, sim.runner"


def _check_cluster_environment(client, scheduler: str) -> None:
    """The scheduler (which unpickles task graphs) and every worker must import the project; a worker that cannot
    would crash on each task and the sweep would hang, so ask first. ``exec`` is a builtin: it unpickles anywhere."""
    where = "the scheduler"
    try:
        client.run_on_scheduler(exec, _IMPORT_CHECK)
        where = "a worker"
        client.run(exec, _IMPORT_CHECK)
    except Exception as exc:
        raise SweepError(f"--scheduler: {where} of {scheduler!r} cannot import the project ({type(exc).__name__}: "
                         f"{exc}); allowed: a cluster whose scheduler and workers have requirements.txt installed "
                         "and this repository on their PYTHONPATH (see the README, 'Running on a cluster')") from None


class NoWorkerWatch:
    """How long a dask cluster has had no worker (0 for local processes, which cannot vanish unnoticed: a dead
    process breaks the pool and its futures fail)."""

    def __init__(self) -> None:
        self._since: float | None = None

    def no_worker_for(self, executor) -> float:
        import time

        client = getattr(executor, "_client", None)  # dask's ClientExecutor keeps its Client here
        if client is None:
            return 0.0
        try:
            n = len(client.scheduler_info().get("workers", {}))
        except Exception:  # the scheduler itself is unreachable: count that as no worker
            n = 0
        if n:
            self._since = None
            return 0.0
        now = time.monotonic()
        self._since = self._since if self._since is not None else now
        return now - self._since
