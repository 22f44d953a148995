"""The dashboard under hostile input (issue 15), with AppTest and the upload logic: every file of the bad-input
corpus is refused with a message naming the file or field and changes nothing; a run over the size budget is not
started, the page says which fields to lower and keeps the last good results; the run size is shown before a run;
no exception ever reaches the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import state
from tests.sim.test_robust_inputs import BAD, CORPUS

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TIMEOUT = 120


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bad_upload_is_refused_naming_the_problem(name, monkeypatch):
    session: dict = {}
    monkeypatch.setattr(state.st, "session_state", session)
    added, problems = state.add_upload(name, (CORPUS / name).read_bytes())
    assert added is None and problems
    assert any(BAD[name] in p for p in problems), problems
    assert session.get("uploads", {}) == {}  # nothing kept


def test_an_upload_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(state.st, "session_state", {})
    added, problems = state.add_upload("big.yaml", b"name: big\nquestion: " + b"x" * 1_100_000)
    assert added is None and "'big.yaml' is 1,100,020 bytes; allowed: at most 1,000,000" in problems[0]


def test_a_run_over_the_budget_is_refused_and_the_last_good_run_stays(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("Run size:" in c.value and "agent-months" in c.value for c in at.sidebar.caption)
    good_kpis = {m.label: m.value for m in at.metric}
    monkeypatch.setattr(state, "RUN_BUDGET_AGENT_MONTHS", 10_000)  # AppTest runs the app in this process
    at.sidebar.slider(key="w_horizon").set_value(240).run()
    assert any("over this server's budget" in c.value for c in at.sidebar.caption)
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "run size:" in errors and "horizon_months" in errors and "agent-months" in errors
    assert any("Showing the last good run" in w.value for w in at.warning)
    assert {m.label: m.value for m in at.metric} == good_kpis
    assert "Traceback" not in errors and "/work/" not in errors


def test_error_message_is_one_line_without_paths():
    assert state.error_message(ValueError("horizon_months: too long\n  File '/srv/x.py'")) == \
        "horizon_months: too long"
    assert state.error_message(KeyError("x")) == "KeyError: 'x'"


def test_setting_the_pages_stop_signal_stops_a_running_replicate():
    """What the page's stop does to a seed already running in a pool process: it ends at the end of its month."""
    from dashboard.components import replicates
    from sim.experiments.replicates import ReplicateCancelled, run_replicate
    from sim.scenario import load_scenario

    text = load_scenario("baseline").to_yaml()
    stop = replicates._StopFile()
    assert set(run_replicate(text, 1, stop.path)) >= {"metrics", "events"}  # no stop: the whole run
    stop.set()
    try:
        with pytest.raises(ReplicateCancelled, match="seed 1 cancelled at month 1 of "):
            run_replicate(text, 1, stop.path)
    finally:
        os.unlink(stop.path)


def test_a_chain_that_collapses_gets_a_banner_naming_the_month():
    """The banner reads the run's ``no_gpu_supply`` event (a real collapse needs 183+ months of a preset: too slow
    here, so the event row, as ``sim.markets.gpu_hours`` writes it, is added to one of two real baseline runs)."""
    import pandas as pd

    from dashboard.components import explain, replicates
    from sim.experiments.replicates import run_replicate
    from sim.scenario import load_scenario

    baseline = load_scenario("baseline")
    views = [replicates._view(baseline, s, run_replicate(baseline.to_yaml(), s)) for s in (1, 2)]
    assert explain.collapse_text(replicates.Replicates(views)) is None  # no collapse, no banner
    row = pd.DataFrame([{"step": 30, "kind": "no_gpu_supply", "agent_id": -1, "agent_type": "outside",
                         "detail": "every cloud has exited: no GPU-hours to rent from month 30; 5 buyers unserved"}])
    views[1].result.events = pd.concat([views[1].result.events, row], ignore_index=True)
    banner = explain.collapse_text(replicates.Replicates(views))
    assert banner.startswith("**The chain collapsed:** every cloud exited in 1 of 2 seeds (the earliest from "
                             "month 30)")
    assert explain.collapse_text(replicates.Replicates(views[1:])).startswith(
        "**The chain collapsed:** every cloud exited from month 30:")
