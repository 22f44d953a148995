"""Replicates by default: Explore and Compare run each scenario over N seeds (``sim.experiments.replicates``), in a
process pool of ``POOL_WORKERS``, with every (scenario, seed) kept in a server-wide cache; the sidebar sets N (and
the link carries it as ``reps``).

Default N (chosen, as issue 14 asks, so that a lever change redraws in about a second on 2 cores): a replicate of
baseline takes about 0.17-0.2 s in a worker while the other worker runs too, and a lever change runs N new seeds of
the changed scenario (the reference preset's are cached) on 2 processes, then the browser redraws (~0.5 s). With 8
seeds the redraw took 1.52-1.58 s in the browser benchmark on an idle machine, over the 1.5 s target; 6 seeds run in
three rounds instead of four. 6 paired seeds still let the Wilcoxon signed-rank test find a change at p < 0.05 (the
smallest p is 2/64 = 0.031; with 8 it was 2/256); the sidebar raises N to 40 for tighter bands and more power.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.components.state import RunRefused, RunView, check_budget, with_progress
from sim.experiments.replicates import ReplicateCancelled, replicate_seeds, run_replicate
from sim.runner import RunResult
from sim.scenario import Scenario
from sim.stream import empty_agents

DEFAULT_REPLICATES = 6
MAX_REPLICATES = 40
POOL_WORKERS = 2
CACHE_ENTRIES = 400  # (scenario, seed) runs kept: ~100 kB each
URL_KEY = "reps"
LOG = logging.getLogger("dashboard")  # "seed N cancelled at month M of T" on the server's stderr when a page goes


class _StopFile(threading.Event):
    """The page's stop signal, also as a file the pool's worker processes look for after every month: setting it
    (the page stopped waiting) stops the seeds already running, not only those not started yet."""

    def __init__(self) -> None:
        super().__init__()
        self.path = os.path.join(tempfile.gettempdir(), f"llmcl-stop-{os.getpid()}-{uuid.uuid4().hex}")

    def set(self) -> None:
        with open(self.path, "wb"):
            pass
        super().set()


_EMPTY_FLOWS = pd.DataFrame({"step": pd.Series(dtype="int64"), "payer_id": pd.Series(dtype="int64"),
                             "payer_type": pd.Series(dtype="str"), "payee_id": pd.Series(dtype="int64"),
                             "payee_type": pd.Series(dtype="str"), "category": pd.Series(dtype="str"),
                             "amount_usd": pd.Series(dtype="float64")})


@dataclass
class ReplicateRun(RunView):
    """A replicate's run with what the worker derived from it: price parts and plausibility findings."""

    price_parts: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: list = field(default_factory=list)


@dataclass
class Replicates:
    """The runs of one scenario over its replicate seeds; ``first`` is the scenario's own seed."""

    views: list[ReplicateRun]

    @property
    def first(self) -> RunView:
        return self.views[0]

    @property
    def scenario(self) -> Scenario:
        return self.first.scenario

    @property
    def seeds(self) -> list[int]:
        return [v.result.seed for v in self.views]

    @property
    def metrics(self) -> list[pd.DataFrame]:
        return [v.metrics for v in self.views]

    @property
    def flows(self) -> list[pd.DataFrame]:
        return [v.flows_by_type for v in self.views]

    @property
    def n(self) -> int:
        return len(self.views)


@st.cache_resource(show_spinner=False)
def _pool() -> cf.ProcessPoolExecutor:
    """The server's worker processes (forkserver: the server has threads), with the simulation imported once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.experiments.replicates", "sim.runner"])
    pool = cf.ProcessPoolExecutor(max_workers=POOL_WORKERS, mp_context=ctx)
    for f in [pool.submit(time.sleep, 0) for _ in range(POOL_WORKERS)]:  # start the workers now
        f.result()
    return pool


@st.cache_resource(show_spinner=False)
def _cache() -> tuple[OrderedDict, threading.Lock]:
    return OrderedDict(), threading.Lock()


def _view(scenario: Scenario, seed: int, out: dict) -> ReplicateRun:
    result = RunResult(scenario=scenario, seed=seed, metrics=out["metrics"], agents=empty_agents(),
                       flows=_EMPTY_FLOWS, events=out["events"])
    return ReplicateRun(result=result, flows_by_type=out["flows_by_type"], run_s=out["run_s"],
                        price_parts=out["price_parts"], findings=out["findings"])


def get(scenario: Scenario, n: int, label: str = "Simulating") -> Replicates:
    """The ``n`` replicates of ``scenario`` from the cache, the missing seeds run in the pool (progress bar)."""
    seeds = replicate_seeds(scenario.seed, n)
    text = scenario.to_yaml()
    cache, lock = _cache()
    with lock:
        have = {s: cache[(text, s)] for s in seeds if (text, s) in cache}
        for s in have:
            cache.move_to_end((text, s))
    missing = [s for s in seeds if s not in have]
    if missing:
        check_budget(scenario)  # the same size budget as a single run (each seed is one run of this size)
        key = f"replicates:{scenario.content_key()}:{n}"
        cancelled = st.session_state.setdefault("cancelled_runs", set())
        if key in cancelled:
            raise RunRefused(f"{label}: cancelled; change a lever, or press 'Run again' to start it anew")
        done = {"n": 0}
        stop = _StopFile()

        def work() -> dict[int, ReplicateRun]:
            pool = _pool()
            futures = {pool.submit(run_replicate, text, s, stop.path): s for s in missing}
            out = {}
            try:
                for fut in cf.as_completed(futures):
                    if stop.is_set():
                        break
                    out[futures[fut]] = _view(scenario, futures[fut], fut.result())
                    done["n"] += 1
            finally:
                for fut in futures:  # the page stopped waiting: seeds not started yet never start ...
                    fut.cancel()
                if stop.is_set():  # ... and those running stop at the end of their month (the stop file)
                    for fut in cf.as_completed(futures):
                        if not fut.cancelled() and isinstance(fut.exception(), ReplicateCancelled):
                            LOG.warning("%s: %s (the page stopped waiting)", label, fut.exception())
                    os.unlink(stop.path)
            if stop.is_set():
                raise RunRefused(f"{label}: cancelled")
            return out

        def poll() -> tuple[float, str]:
            return done["n"] / len(missing), f"{label}: {done['n']} of {len(missing)} seeds"

        new = with_progress(work, poll, stop, lambda: cancelled.add(key))
        with lock:
            for s, v in new.items():
                cache[(text, s)] = v
            while len(cache) > CACHE_ENTRIES:
                cache.popitem(last=False)
        have.update(new)
    return Replicates([have[s] for s in seeds])


def with_reference(scenario: Scenario, reference: Scenario, n: int) -> tuple[Replicates, Replicates | None]:
    """The replicates of ``scenario`` and of ``reference`` (same seeds: paired), None when they are the same."""
    reps = get(scenario, n, label=f"Simulating {scenario.name}")
    if reference.content_key() == scenario.content_key():
        return reps, None
    return reps, get(reference, n, label="Simulating the unmodified preset")


def setting(container=None) -> int:
    """The sidebar's replicates setting (bound to the URL as ``reps``); the value survives page changes."""
    container = container or st.sidebar
    stored = int(st.session_state.get("replicates", DEFAULT_REPLICATES))
    if URL_KEY not in st.session_state and URL_KEY not in st.query_params:
        st.session_state[URL_KEY] = stored
    n = container.number_input(
        "Replicates (seeds per scenario)", min_value=1, max_value=MAX_REPLICATES, step=1, key=URL_KEY,
        bind="query-params",
        help="each scenario runs over this many seeds (its own seed, +1, +2, ...); cards and charts show the median "
             "with the bands of the middle 50% and 90% of seeds, and a change counts as a finding only when the "
             "paired seeds differ (Wilcoxon signed-rank test, p < 0.05)")
    st.session_state["replicates"] = int(n)
    return int(n)


def current_n() -> int:
    """The replicates setting on a page that does not draw it."""
    return int(st.session_state.get("replicates", DEFAULT_REPLICATES))
