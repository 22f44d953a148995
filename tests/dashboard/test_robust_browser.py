"""The dashboard in a real browser under hostile use (issue 15): uploads that are nested 500 levels deep, binary or
not UTF-8 are refused with a message naming the file, no traceback or server path reaches the page, and the results
shown before stay; a long run whose browser session ends is stopped (every seed running in the server's pool)."""

from __future__ import annotations

import re
import threading
import time

import pytest

from tests.dashboard.server import start_streamlit, stop_streamlit
from tests.dashboard.test_browser import (WAIT_MS, browser, kpi_texts, no_exception, page, server,  # noqa: F401
                                          wait_idle)
from tests.sim.test_robust_inputs import CORPUS

pytestmark = pytest.mark.browser


@pytest.mark.slow  # a server start and a simulation
def test_hostile_uploads_are_refused_and_results_stay(page, server):  # noqa: F811
    page.goto(server + "/")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length == 10",
                           timeout=WAIT_MS)
    wait_idle(page)
    before = kpi_texts(page)
    page.get_by_text("Load a scenario from a YAML file").click()
    for name, words in (("nested_500.yaml", "nested more than 32 levels"), ("binary.yaml", "is binary"),
                        ("latin1.yaml", "is not UTF-8")):
        page.locator('input[type="file"]').set_input_files(files=[{
            "name": name, "mimeType": "application/x-yaml", "buffer": (CORPUS / name).read_bytes()}])
        alert = page.locator('[data-testid="stAlert"]').filter(has_text=words)
        alert.wait_for(state="visible", timeout=WAIT_MS)
        text = alert.inner_text()
        assert name in text and "Traceback" not in text and "/work/" not in text
        assert kpi_texts(page) == before
        no_exception(page)


@pytest.mark.slow  # its own server (to read its log) and the start of a long run
def test_a_run_whose_browser_session_ends_is_stopped(browser):  # noqa: F811
    proc, base = start_streamlit()
    lines: list[str] = []

    def read() -> None:
        for raw in iter(proc.stdout.readline, b""):
            lines.append(raw.decode(errors="replace"))

    threading.Thread(target=read, daemon=True).start()
    try:
        context = browser.new_context()
        pg = context.new_page()
        # within the size budget (10,080 agents x 240 months), two seeds on the server's two pool workers
        pg.goto(base + "/?preset=market_at_scale&horizon=240&reps=2")
        pg.locator('[data-testid="stProgress"]').wait_for(state="visible", timeout=WAIT_MS)
        context.close()  # the browser session ends while both seeds run
        deadline = time.monotonic() + WAIT_MS / 1000
        cancelled: list[str] = []
        while time.monotonic() < deadline and len(cancelled) < 2:
            cancelled = [line for line in list(lines) if "cancelled at month" in line]
            time.sleep(0.2)
    finally:
        stop_streamlit(proc)
    assert len(cancelled) == 2, "".join(lines[-30:])
    for line in cancelled:  # each running seed stopped in the middle of its horizon, not at its end
        month = re.search(r"seed \d+ cancelled at month (\d+) of 240 \(the page stopped waiting\)", line)
        assert month and int(month.group(1)) < 240, line
