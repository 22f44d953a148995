"""The dashboard's pages under Streamlit's AppTest: every page renders without an exception and shows its figures;
levers change the KPIs and travel in the URL; bad input gets a clear message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
TIMEOUT = 120  # seconds per script run; the first run imports plotly/torch and simulates twice


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _kpis(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.fixture(scope="module")
def explore() -> AppTest:
    at = _app()
    _ok(at)
    return at


def test_explore_shows_kpis_charts_and_shares_the_preset(explore):
    kpis = _kpis(explore)
    assert len(kpis) == 10
    assert all(v and v != "n/a" for v, _ in kpis.values())
    # every KPI value carries its unit
    assert kpis["App users (last month)"][0].split(" · ")[0].endswith("users")
    # replicates by default: the median with the middle 50% of seeds
    assert " · 50%: " in kpis["App users (last month)"][0]
    assert "USD" in kpis["End-user spend (whole run)"][0]
    # the first tab is the overview: no plotly chart (tabs are lazy), a month-by-month line in every card
    assert len(explore.get("plotly_chart")) == 0
    cards = explore.get("metric")
    assert all(len(c.proto.chart_data) >= 12 for c in cards)
    overview = " ".join(md.value for md in explore.markdown)
    assert "The chain forms" in overview and "first model month" in overview
    assert explore.query_params.get("preset") in ("baseline", ["baseline"])


def test_explore_time_series_tab_draws_the_chosen_metrics(explore):
    explore.session_state["tab"] = "Time series"
    explore.run()
    _ok(explore)
    # one fan chart (median and bands over the seeds) per chosen metric
    assert len(explore.get("plotly_chart")) == len(explore.get_by_key("series").value) >= 1
    explore.session_state["tab"] = "Overview"
    explore.run()


@pytest.mark.parametrize("tab, widget", [("Money flows", "flow_month"), ("Value by stage", None),
                                         ("Concentration", None), ("Events", "events_kinds")])
def test_explore_tabs_draw_their_figure(explore, tab, widget):
    explore.session_state["tab"] = tab
    explore.run()
    _ok(explore)
    assert len(explore.get("plotly_chart")) == 1, tab
    if widget:
        assert explore.get_by_key(widget) is not None
    explore.session_state["tab"] = "Download & save"
    explore.run()
    labels = {b.label for b in explore.get("download_button")}
    assert {"Results (CSV, zip)", "Results (Parquet, zip)", "Scenario (YAML)"} <= labels
    explore.session_state["tab"] = "Overview"
    explore.run()


def test_lever_change_changes_kpis_and_url(explore):
    before = _kpis(explore)
    explore.sidebar.slider(key="w_demand").set_value(2.0).run()
    _ok(explore)
    after = _kpis(explore)
    assert after["App users (last month)"][0] != before["App users (last month)"][0]
    assert after["App users (last month)"][1] and "vs preset" in after["App users (last month)"][1]
    assert explore.query_params.get("demand") in ("2", ["2"])
    # back to the preset's value: the deltas go and the URL drops the lever
    explore.sidebar.slider(key="w_demand").set_value(1.0).run()
    _ok(explore)
    assert _kpis(explore)["App users (last month)"] == before["App users (last month)"]
    assert "demand" not in explore.query_params


def test_levers_from_a_shared_link_are_applied():
    at = _app({"preset": "baseline", "carbon": "100", "audit": "1", "shock_pct": "-50", "shock_month": "24"})
    _ok(at)
    assert at.sidebar.slider(key="w_carbon").value == 100.0
    assert at.sidebar.toggle(key="w_audit").value is True
    assert at.sidebar.slider(key="w_shock_pct").value == -50
    caption = " ".join(c.value for c in at.caption)
    assert "carbon=100" in caption and "shock_pct=-50" in caption
    deltas = [d for _, d in _kpis(at).values() if d]
    assert deltas, "a lever away from the preset must show deltas against it"


def test_bad_link_parameters_are_reported_not_raised():
    at = _app({"demand": "99", "carbon": "lots", "colour": "red"})
    _ok(at)
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "demand='99' is out of range; allowed: 0 to 5" in warnings
    assert "carbon='lots' is not a number" in warnings
    assert "colour" in warnings
    assert at.sidebar.slider(key="w_demand").value == 1.0  # ignored: the preset's value


def test_every_page_renders_with_a_figure(explore):
    for page, min_charts in (("compare/page.py", 1), ("plan/page.py", 1), ("classroom/page.py", 2),
                             ("ethics/page.py", 2)):
        explore.switch_page(page).run()
        _ok(explore)
        assert len(explore.get("plotly_chart")) >= min_charts, page
        assert explore.title, page


def test_compare_table_has_a_row_per_kpi_and_a_delta_column():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("compare/page.py").run()
    _ok(at)
    chosen = at.multiselect(key="cmp")
    assert len(chosen.value) == 2
    table = at.dataframe[0].value
    assert len(table) == 10
    assert any(str(c).startswith("Δ ") for c in table.columns)


def test_plan_bad_input_names_the_field():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("plan/page.py").run()
    _ok(at)
    assert not at.error
    at.text_input[0].set_value("70X")  # parameters of the training form
    at.button[0].click().run()  # the form's submit button
    _ok(at)
    messages = " ".join(e.value for e in at.error)
    assert "parameters" in messages and "70X" in messages


def test_plan_prices_a_run_on_this_machine_from_the_probe():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("plan/page.py").run()
    at.selectbox(key="t_hw").set_value("this-machine")
    at.text_input[0].set_value("1e8")
    at.text_input[2].set_value("2e9")
    at.button[0].click().run()
    _ok(at)
    assert not at.error
    kpis = _kpis(at)
    assert kpis["Training compute"][0].endswith("FLOPs") and kpis["Cost"][0] == "0 USD"


def test_classroom_next_month_moves_the_story():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("classroom/page.py").run()
    _ok(at)
    month = at.slider(key="cls_month").value
    headline = at.subheader[0].value
    assert headline.startswith(f"Month {month}:")
    at.button(key="cls_next").click().run()
    _ok(at)
    assert at.slider(key="cls_month").value == month + 1
    assert at.subheader[0].value.startswith(f"Month {month + 1}:")
    stages = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value[:8]]
    assert len(stages) >= 6


def test_ethics_policy_lever_moves_labeller_pay():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("ethics/page.py").run()
    _ok(at)
    pay = _kpis(at)["Labeller pay (run mean)"]
    at.sidebar.slider(key="w_wage_floor").set_value(8.0).run()
    _ok(at)
    pay_floor = _kpis(at)["Labeller pay (run mean)"]
    assert float(pay_floor[0].split()[0]) >= 8.0 > float(pay[0].split()[0])
    assert pay_floor[1] and pay_floor[1].startswith("+")


def test_sweep_results_browse(tmp_path, monkeypatch):
    """A tiny sweep stored under a temporary runs/ directory shows its fan chart, sensitivity and scatter."""
    from dashboard.components import sweeps
    from sim.experiments.sweep import run_sweep
    from sim.experiments.spec import validate_spec

    spec = validate_spec({
        "name": "tiny_dash", "base": {"scenario": "baseline"}, "design": "grid",
        "parameters": {"market.demand_growth_multiplier": [0.5, 2.0]}, "replicates": 2, "seed": 3,
        "outcomes": [{"metric": "app_users", "reduce": "final"}],
        "options": {"months": 12, "series": ["app_users"]},
    })
    run_sweep(spec, tmp_path / "runs" / "tiny_dash", workers=1)
    monkeypatch.setattr(sweeps, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(sweeps, "ROOT", tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("compare/page.py").run()
    _ok(at)
    assert "runs/tiny_dash" in at.selectbox(key="sw_browse").options
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(at.get("plotly_chart")) >= 4, keys  # compare + fan + sensitivity + scatter
    assert any("4 of 4 runs stored" in c.value for c in at.caption)


def test_ethics_live_audit_runs_and_offers_reports(tmp_path, monkeypatch):
    # a transfer table in the layout scripts/make_bias_transfer.py writes (values from a made-up smooth curve: the
    # test checks the page draws the table it is given, not the table's numbers)
    import pandas as pd

    from dashboard.components import audit_panel

    rows = [{"label_bias": b, "label_noise": e, "aggregation": a, "model_dp_difference": 0.5 * b * (1 - e),
             "model_dp_difference_ci95_lo": 0.4 * b, "model_dp_difference_ci95_hi": 0.6 * b}
            for b in (0.0, 0.3, 0.6, 1.0) for e in (0.0, 0.05) for a in ("single", "majority3", "gold")]
    table = tmp_path / "bias_transfer.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    monkeypatch.setattr(audit_panel, "TRANSFER_CSV", table)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("ethics/page.py").run()
    _ok(at)
    at.session_state["ethics_tab"] = "Bias-audit experiment"
    at.run()
    _ok(at)
    assert "quick" in at.radio(key="au_size").value
    at.slider(key="au_bias").set_value(0.6)
    next(b for b in at.button if b.label == "Run the audit").click().run()
    _ok(at)
    kpis = _kpis(at)
    gap = kpis["Demographic-parity gap"]
    assert gap[0].endswith("(0-1)") and ("passes" in gap[1] or "fails" in gap[1])
    assert 0.0 <= float(gap[0].split()[0]) <= 1.0
    labels = {b.label for b in at.get("download_button")}
    assert {"Audit report (Markdown)", "Audit report (HTML, works offline)"} <= labels
    assert len(at.get("plotly_chart")) == 3  # group bars, gaps, transfer curve with this audit marked
    assert at.select_slider(key="au_curve_noise").value == 0.05  # the curve at the audit's own label noise


def test_a_gpu_price_shock_is_explained_with_figures_and_tested_against_seed_noise():
    at = _app({"preset": "baseline", "shock_pct": "-50", "shock_month": "24"})
    _ok(at)
    text = " ".join(md.value for md in at.markdown)
    assert "Why the prices changed" in text
    assert "the API price is" in text and "the part that moved most is the" in text
    deltas = [d for _, d in _kpis(at).values() if d and "vs preset" in d]
    # every change states whether it is a finding, with the test and its p-value
    assert deltas and all(("a finding" in d or "within run-to-run variation" in d) and "Wilcoxon p = " in d
                          for d in deltas if not d.startswith("no change"))


def test_a_blocking_audit_that_fails_every_model_gets_a_banner_and_no_nan_card():
    at = _app({"preset": "baseline", "audit": "1", "audit_threshold": "0.01", "reps": "2"})
    _ok(at)
    values = [v for v, _ in _kpis(at).values()]
    assert not any("nan" in v.lower() for v in values)
    assert "— (no tokens served)" in _kpis(at)["API price (last month)"][0]
    banners = " ".join(w.value for w in at.warning)
    assert "no API opens" in banners and "threshold 0.01" in banners


def test_sweep_builder_writes_a_spec_of_the_current_scenario():
    from sim.experiments.spec import spec_from_yaml

    at = _app({"preset": "baseline", "carbon": "100", "reps": "1"})
    at.switch_page("compare/page.py").run()
    _ok(at)
    at.session_state["sb_open"] = True  # open the builder's expander (its content runs only while open)
    at.run()
    at.multiselect(key="sb_levers").set_value(["demand", "wage_floor"]).run()
    at.number_input(key="sb_levels_demand").set_value(2).run()
    _ok(at)
    # 2 demand levels x 3 wage-floor levels (the default) x 3 replicates
    assert "grid design: 6 points x 3 replicates = **18 runs**" in " ".join(c.value for c in at.caption)
    spec_text = next(b for b in at.get("download_button") if b.proto.label == "Sweep spec (YAML)")
    assert spec_text is not None
    from dashboard.compare import sweep_builder
    from dashboard.components import levers
    from sim.scenario import load_scenario

    base = load_scenario("baseline")
    values = {**levers.values_from_scenario(base), "carbon": 100.0}
    data = sweep_builder.spec_dict("t", "baseline", levers.overrides(base, values), 42,
                                   {"market.demand_growth_multiplier": {"low": 0.5, "high": 2.0, "levels": 2}},
                                   "grid", None, 2, 12)
    import yaml

    spec = spec_from_yaml(yaml.safe_dump(data))
    # the sweep starts from the scenario in front of the analyst: the preset and its changed levers
    assert spec.base.scenario == "baseline"
    assert spec.base.overrides == {"policy.carbon_price_usd_per_tco2": 100.0}
    assert spec.n_runs == 4
    at.radio(key="sb_design").set_value("sobol").run()
    at.selectbox(key="sb_sobol_n").set_value(32).run()
    _ok(at)
    assert any("Sobol' base sample 32 is small" in w.value for w in at.warning)
