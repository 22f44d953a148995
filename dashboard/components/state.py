"""Cached simulation runs and the session's shared state (uploads, saved runs, last good results).

Runs are cached with ``st.cache_data`` keyed by the scenario's content (its YAML, which includes every field) and
the seed, so the same levers never run twice in a server process. A run that is not cached runs in a worker thread
while the script thread draws an ``st.progress`` bar from the run's ``progress(done, total)`` callback.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd
import streamlit as st

from sim.experiments.replicates import flows_by_type
from sim.runner import FRAMES, RunResult, run
from sim.scenario import Scenario, ScenarioError, decode_yaml_bytes, scenario_from_yaml

PROGRESS_DELAY_S = 0.15  # a cached run returns faster than this: no progress bar flashes
KEEPALIVE_S = 0.25  # the longest a waiting page goes without a message (how soon a closed page's run stops)
# the largest run the UI starts: agents at the start x months (market_at_scale, 10,080 agents, runs 240 months);
# a server for more trusted users can raise it: LLMCL_RUN_BUDGET_AGENT_MONTHS=...
RUN_BUDGET_AGENT_MONTHS = int(os.environ.get("LLMCL_RUN_BUDGET_AGENT_MONTHS", 2_500_000))
_FALLBACK_US_PER_AGENT_MONTH = 5.0  # until this server has timed a run of its own


class RunRefused(ValueError):
    """A run the UI does not start (over the size budget) or that was cancelled; the message says which field."""


def start_agents(scenario: Scenario) -> int:
    return sum(getattr(scenario, s).count for s in ("labellers", "trainers", "clouds", "providers", "apps"))


def run_estimate(scenario: Scenario) -> tuple[int, float]:
    """(agent-months, estimated seconds) of a run, from the speed of the runs this server has timed."""
    size = start_agents(scenario) * scenario.horizon_months
    speed = _SPEED.get("us_per_agent_month", _FALLBACK_US_PER_AGENT_MONTH)
    return size, size * speed / 1e6


def check_budget(scenario: Scenario) -> None:
    size, _ = run_estimate(scenario)
    if size > RUN_BUDGET_AGENT_MONTHS:
        raise RunRefused(f"run size: {start_agents(scenario):,} agents x {scenario.horizon_months} months "
                         f"(horizon_months) = {size:,} agent-months; allowed here: at most "
                         f"{RUN_BUDGET_AGENT_MONTHS:,}: lower the horizon or the counts (labellers.count, "
                         "apps.count, ...), or run it with `python -m sim run` (no limit)")


def estimate_text(scenario: Scenario) -> str:
    """The run's size and expected time, shown before it starts."""
    size, est_s = run_estimate(scenario)
    over = size > RUN_BUDGET_AGENT_MONTHS
    return (f"Run size: {start_agents(scenario):,} agents x {scenario.horizon_months} months = {size:,} agent-months "
            f"({'over' if over else 'within'} this server's budget of {RUN_BUDGET_AGENT_MONTHS:,}); "
            + ("it will not start." if over else f"about {max(est_s, 0.1):,.1f} s the first time, then cached."))


_SPEED: dict[str, float] = {}


@dataclass
class RunView:
    """A finished run plus what every page derives from it."""

    result: RunResult
    flows_by_type: pd.DataFrame  # step, payer_type, payee_type, category, amount_usd
    run_s: float

    @property
    def metrics(self) -> pd.DataFrame:
        return self.result.metrics

    @property
    def events(self) -> pd.DataFrame:
        return self.result.events

    @property
    def scenario(self) -> Scenario:
        return self.result.scenario


aggregate_flows = flows_by_type  # payments per month, payer type, payee type and category


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_run(scenario_yaml: str, seed: int, _progress: Callable[[int, int], None] | None = None) -> RunView:
    scenario = scenario_from_yaml(scenario_yaml)
    t0 = time.perf_counter()
    # no per-agent frame here (a quarter of the run time, and no page draws it); downloads rerun with it
    result = run(scenario, seed=seed, progress=_progress, collect_agents=False)
    run_s = time.perf_counter() - t0
    if run_s > 0.5:  # long enough to time: the next estimates use this server's own speed
        _SPEED["us_per_agent_month"] = run_s * 1e6 / max(1, start_agents(scenario) * scenario.horizon_months)
    return RunView(result=result, flows_by_type=aggregate_flows(result.flows), run_s=run_s)


class _Cancelled(Exception):
    """Raised in the run's thread (from its progress callback) when the page that started it went away."""


def with_progress(func: Callable[[], Any], poll: Callable[[], tuple[float, str]],
                  cancel: threading.Event | None = None, on_cancel: Callable[[], None] | None = None) -> Any:
    """``func()`` in a worker thread while the script thread draws ``st.progress`` from ``poll() -> (fraction,
    text)``; the bar appears only if ``func`` takes longer than PROGRESS_DELAY_S (a cache hit shows none).

    If the script stops waiting (the Cancel button, a rerun, the browser session ending), ``cancel`` is set: a run
    checks it every month and stops, so no run outlives the page that started it."""
    box: dict[str, Any] = {}
    try:
        return _wait(func, poll, box, on_cancel)
    finally:
        if cancel is not None and "value" not in box and "error" not in box:
            cancel.set()


def _wait(func, poll, box: dict[str, Any], on_cancel) -> Any:

    def work() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the script thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="dashboard-work", daemon=True)
    worker.start()
    worker.join(PROGRESS_DELAY_S)
    if worker.is_alive():
        fraction, text = poll()
        bar = st.progress(fraction, text=text)
        button = st.empty()
        if on_cancel is not None:
            button.button("Cancel run", key=f"cancel_run_{id(box)}", on_click=on_cancel)
        shown, sent = (fraction, text), time.monotonic()
        while worker.is_alive():
            worker.join(0.05)
            fraction, text = poll()
            # a message to the browser when the bar moves, and at least every KEEPALIVE_S: Streamlit stops a script
            # whose session ended (or was rerun) only at its next message, and that stop is what cancels the run
            if (fraction, text) != shown or time.monotonic() - sent > KEEPALIVE_S:
                bar.progress(min(1.0, max(0.0, fraction)), text=text)
                shown, sent = (fraction, text), time.monotonic()
        bar.empty()
        button.empty()
    if "error" in box:
        raise box["error"]
    return box["value"]


def get_run(scenario: Scenario, seed: int | None = None, label: str = "Simulating") -> RunView:
    """The run of ``scenario`` with ``seed`` (default its own), from the cache or computed with a progress bar."""
    seed = scenario.seed if seed is None else int(seed)
    text = scenario.to_yaml()
    key = f"{scenario.content_key()}:{seed}"
    cancelled = st.session_state.setdefault("cancelled_runs", set())
    if key in cancelled:
        raise RunRefused(f"{label}: cancelled; change a lever, or press 'Run again' to start it anew")
    check_budget(scenario)
    progress = {"done": 0, "total": max(1, scenario.horizon_months)}
    cancel = threading.Event()
    size, est_s = run_estimate(scenario)

    def on_progress(done: int, total: int) -> None:
        if cancel.is_set():
            logging.getLogger("dashboard").warning("%s: run cancelled at month %d of %d (the page stopped waiting)",
                                                   label, done, total)
            raise _Cancelled
        progress["done"], progress["total"] = done, max(1, total)

    def poll() -> tuple[float, str]:
        done, total = progress["done"], progress["total"]
        return done / total, f"{label}: month {done} of {total} ({size:,} agent-months, about {est_s:,.0f} s)"

    def on_cancel() -> None:
        cancelled.add(key)

    return with_progress(lambda: _cached_run(text, seed, on_progress), poll, cancel, on_cancel)


def forget_cancelled() -> None:
    """'Run again': the runs cancelled in this session may start again."""
    st.session_state.get("cancelled_runs", set()).clear()


def error_message(exc: BaseException) -> str:
    """One line for the page: a user error's own message (it names the field or the month and stage), else the
    error's type and first line; never a traceback or a server path."""
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if isinstance(exc, ValueError) and text else f"{type(exc).__name__}: {text}"


def run_error(exc: BaseException) -> None:
    """Show why a run did not happen (the page then shows the last good results), with 'Run again' after a cancel."""
    st.error(f"The simulation could not run these settings: {error_message(exc)}")
    if st.session_state.get("cancelled_runs"):
        st.button("Run again", key="run_again", on_click=forget_cancelled)


def run_with_reference(scenario: Scenario, reference: Scenario) -> tuple[RunView, RunView | None]:
    """The run of ``scenario`` and the run of ``reference`` (the unmodified preset at the same seed and horizon,
    what KPI deltas are measured against), or None for the reference when it is the same scenario."""
    view = get_run(scenario, label=f"Simulating {scenario.name}")
    if reference.content_key() == scenario.content_key():
        return view, None
    return view, get_run(reference, label="Simulating the unmodified preset")


@st.cache_data(show_spinner=False)
def probe_profile() -> dict:
    """The small Transformer's measured profile (``ecosystem.probe.load_profile``), read once per server."""
    from ecosystem.probe import load_profile

    return load_profile()


# ---- downloads ---------------------------------------------------------------------------------------------------


def results_zip(result: RunResult, fmt: str = "csv") -> bytes:
    """The run's frames (metrics, agents, flows, events) as CSV or Parquet files in one zip, with the scenario.
    A cached run has no per-agent frame: the run is repeated with it (same scenario and seed, identical frames)."""
    if result.agents.empty:
        result = run(result.scenario, seed=result.seed, collect_agents=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in FRAMES:
            frame: pd.DataFrame = getattr(result, name)
            if fmt == "parquet":
                data = io.BytesIO()
                frame.to_parquet(data, index=False)
                zf.writestr(f"{name}.parquet", data.getvalue())
            else:
                zf.writestr(f"{name}.csv", frame.to_csv(index=False))
        zf.writestr("scenario.yaml", result.scenario.to_yaml())
        zf.writestr("README.txt", f"LLM Chain Lab run of scenario {result.scenario.name!r}, seed {result.seed}.\n"
                                  "metrics: one row per month; agents: one row per agent per month; flows: one row "
                                  "per payment (USD); events: releases, entries, exits, shocks, audits.\n"
                                  "Rerun: python -m sim run scenario.yaml --out DIR\n")
    return buf.getvalue()


# ---- session: uploads, saved runs, last good run -------------------------------------------------------------------


def uploads() -> dict[str, str]:
    return st.session_state.setdefault("uploads", {})


def add_upload(filename: str, data: bytes) -> tuple[str | None, list[str]]:
    """Validate an uploaded YAML scenario; on success keep it in the session and return (name, [])."""
    try:
        text = decode_yaml_bytes(data, filename, ScenarioError)
        scenario = scenario_from_yaml(text)
    except ScenarioError as exc:
        return None, exc.problems
    name = (scenario.name if scenario.name not in ("", "custom") else filename.rsplit(".", 1)[0]) or "upload"
    existing = uploads()
    base, k = name, 2
    while name in existing and existing[name] != text:
        name, k = f"{base} ({k})", k + 1
    existing[name] = text
    return name, []


def saved_runs() -> list[dict[str, Any]]:
    """Runs saved for the Compare page: {label, yaml, seed}."""
    return st.session_state.setdefault("saved_runs", [])


def save_run(label: str, scenario: Scenario, seed: int) -> bool:
    runs = saved_runs()
    text = scenario.to_yaml()
    if any(r["yaml"] == text and r["seed"] == seed for r in runs):
        return False
    runs.append({"label": label, "yaml": text, "seed": int(seed)})
    return True


def remember(view: RunView, label: str) -> None:
    st.session_state["last_good"] = (view, label)


def last_good() -> tuple[RunView, str] | None:
    return st.session_state.get("last_good")
