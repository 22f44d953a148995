"""Dashboard responsiveness in a real headless Chromium, against references measured in the same run.

    .venv/bin/python benchmarks/bench_dashboard.py [--repeats 5]

Measures, each as the median of ``--repeats`` tries:

* ``plotly_page_s``: the same page with one small plotly chart, until the chart is drawn: the floor for any page
  that shows a plotly chart (Streamlit loads its 4.7 MB plotly.js chunk for the first one);
* ``static_page_s``: navigation to a one-line Streamlit page (``st.write``) until its text is visible, on a second
  server: the cost of Streamlit itself (websocket, script run, React render);
* ``first_page_cold_s``: the first navigation to the dashboard after the server starts (imports, two simulation
  runs: the scenario and its unmodified preset) until the KPI cards with their lines and the overview are visible
  (measured once);
* ``first_page_s``: the same in a fresh browser context once the server is warm (runs cached);
* ``time_series_tab_s``: on a loaded first page, from a click on the Time series tab to its plotly lines drawn (the
  browser fetches and parses Streamlit's plotly.js chunk for the first plotly chart);
* ``raw_sim_s``: ``sim.runner.run(baseline)`` in this process: the simulation alone;
* ``lever_change_s``: one step of the demand lever (a new, uncached scenario: the default replicates, 8 seeds run
  on a process pool of 2) until the KPI cards change and the page is idle again; ``lever_change_cached_s``:
  stepping back to a value already simulated.

Reports the ratios first_page / static_page and lever_change / raw_sim, and the targets (first page within 3 s of
navigation, a lever change redrawn within 1.5 s). Writes ``benchmarks/results/dashboard.json``. Timings depend on
the machine and its load (the load average is recorded); compare ratios, not seconds, across machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dashboard.components.replicates import DEFAULT_REPLICATES, POOL_WORKERS

ROOT = Path(__file__).resolve().parent.parent


def _load_server_helper():
    """The browser tests' server helper (tests/dashboard/server.py), loaded from its file: this script runs as
    ``python benchmarks/bench_dashboard.py``, where ``tests`` is not importable, and patches no ``sys.path``."""
    spec = importlib.util.spec_from_file_location("dashboard_test_server", ROOT / "tests" / "dashboard" / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_server = _load_server_helper()
CHROMIUM, CHROMIUM_ARGS = _server.CHROMIUM, _server.CHROMIUM_ARGS
start_streamlit, stop_streamlit = _server.start_streamlit, _server.stop_streamlit
OUT = ROOT / "benchmarks" / "results" / "dashboard.json"
TARGETS = {"first_page_s": 3.0, "lever_change_s": 1.5}
KPIS_JS = "() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].map(e => e.innerText).join('|')"
IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && !document.querySelector('[data-testid=\"stProgress\"]')")


def plotly_ready(page) -> None:
    page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(state="visible")


def dashboard_ready(page) -> None:
    """The first page is there: ten KPI cards with their month-by-month lines and the overview of the run."""
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length == 10")
    page.locator('[data-testid="stMetric"] svg').first.wait_for(state="visible")
    page.get_by_text("The chain forms").wait_for(state="visible")
    page.wait_for_function(IDLE_JS)
    page.locator('.st-key-w_demand input[type="range"]').wait_for(state="visible")


def time_series_tab(browser, url: str) -> float:
    """From a click on the Time series tab of a loaded first page to its plotly lines drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    dashboard_ready(page)
    page.wait_for_function(IDLE_JS)
    t0 = time.perf_counter()
    page.get_by_role("tab", name="Time series").click()
    page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(state="visible")
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def timed_load(browser, url: str, ready) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    t0 = time.perf_counter()
    page.goto(url)
    ready(page)
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def lever_step(page, key: str) -> float:
    before = page.evaluate(KPIS_JS)
    thumb = page.locator('.st-key-w_demand input[type="range"]')
    t0 = time.perf_counter()
    thumb.press(key)
    page.wait_for_function(f"(b) => ({KPIS_JS})() != b", arg=before)
    page.wait_for_function(IDLE_JS)
    page.locator('[data-testid="stMetric"] svg').first.wait_for(state="visible")
    return time.perf_counter() - t0


def raw_sim(repeats: int) -> float:
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario("baseline")
    run(scenario)  # warm-up: imports and first-call costs
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(scenario)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="tries per measurement (median reported)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"bench_dashboard: {CHROMIUM} is missing; install Debian's chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "static.py").write_text('import streamlit as st\nst.write("reference page")\n')
        Path(tmp, "plotly_page.py").write_text(
            "import streamlit as st\nimport plotly.graph_objects as go\nst.write('reference page')\n"
            "st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])), theme='streamlit')\n")
        static_proc, static_url = start_streamlit("static.py", Path(tmp))
        plotly_proc, plotly_url = start_streamlit("plotly_page.py", Path(tmp))
        dash_proc, dash_url = start_streamlit("dashboard/app.py", ROOT)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                results["first_page_cold_s"] = timed_load(browser, dash_url + "/", dashboard_ready)
                timed_load(browser, static_url + "/", lambda pg: pg.get_by_text("reference page").wait_for())
                results["plotly_page_s"] = statistics.median(
                    timed_load(browser, plotly_url + "/", plotly_ready) for _ in range(args.repeats))
                results["static_page_s"] = statistics.median(
                    timed_load(browser, static_url + "/", lambda pg: pg.get_by_text("reference page").wait_for())
                    for _ in range(args.repeats))
                results["first_page_s"] = statistics.median(
                    timed_load(browser, dash_url + "/", dashboard_ready) for _ in range(args.repeats))
                results["time_series_tab_s"] = statistics.median(
                    time_series_tab(browser, dash_url + "/") for _ in range(args.repeats))
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(dash_url + "/")
                dashboard_ready(page)
                page.wait_for_function(IDLE_JS)
                page.locator('.st-key-w_demand input[type="range"]').focus()
                fresh = [lever_step(page, "ArrowRight") for _ in range(args.repeats)]  # 1.1, 1.2, ... uncached
                cached = [lever_step(page, "ArrowLeft") for _ in range(args.repeats)]  # back over cached values
                results["lever_change_s"] = statistics.median(fresh)
                results["lever_change_cached_s"] = statistics.median(cached)
                context.close()
                browser.close()
        finally:
            stop_streamlit(dash_proc)
            stop_streamlit(static_proc)
            stop_streamlit(plotly_proc)
    results["raw_sim_s"] = raw_sim(args.repeats)
    ratios = {
        "first_page_over_static_page": results["first_page_s"] / results["static_page_s"],
        "first_page_over_plotly_page": results["first_page_s"] / results["plotly_page_s"],
        "lever_change_over_raw_sim": results["lever_change_s"] / results["raw_sim_s"],
        "lever_change_cached_over_static_page": results["lever_change_cached_s"] / results["static_page_s"],
        "lever_change_over_plotly_page": results["lever_change_s"] / results["plotly_page_s"],
    }
    verdict = {k: ("met" if results[k] <= v else "missed") for k, v in TARGETS.items()}
    record = {
        "benchmark": "dashboard", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "repeats": args.repeats,
        "explore_replicates": DEFAULT_REPLICATES, "replicate_pool_workers": POOL_WORKERS,
        "results_s": {k: round(v, 4) for k, v in results.items()},
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "targets_s": TARGETS, "targets": verdict,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "load_average_start": load_start,
                    "load_average_end": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "note": "wall-clock times on a machine that may be shared with other work; compare the ratios",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record, indent=2) + "\n")
    rows = [("static one-line Streamlit page (reference)", "static_page_s", None),
            ("one-line page with one plotly chart (reference)", "plotly_page_s", None),
            ("dashboard first page, cold server", "first_page_cold_s", None),
            ("dashboard first page (KPI cards with lines, overview, levers)", "first_page_s", "first_page_s"),
            ("Time series tab: click to plotly lines drawn", "time_series_tab_s", None),
            ("raw simulation of baseline (reference)", "raw_sim_s", None),
            ("lever change, new scenario, redrawn", "lever_change_s", "lever_change_s"),
            ("lever change back to a cached scenario", "lever_change_cached_s", None)]
    print(f"{'measurement':44s} {'median s':>9s}  target")
    for label, key, target in rows:
        t = f"<= {TARGETS[target]:.1f} s: {verdict[target]}" if target else ""
        print(f"{label:44s} {results[key]:9.3f}  {t}")
    for k, v in ratios.items():
        print(f"ratio {k:38s} {v:9.2f}")
    print(f"load average {load_start} -> {record['machine']['load_average_end']} on {os.cpu_count()} cores; "
          f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
