"""The bad-input corpus in a real browser (issue 15): uploads that are nested 500 levels deep, binary or not UTF-8
are refused with a message naming the file, no traceback or server path reaches the page, and the results shown
before stay."""

from __future__ import annotations

import pytest

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
