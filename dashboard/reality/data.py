"""The Reality check page's figures, computed once per setting (``st.cache_data``) and stored run by run on disk
(``runs/forecast_cache``): ``history_2020`` (run on to the last validation fact) over a few seeds, optionally across
the accepted sets, its bands per calibrated metric, and the per-target fit table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.experiments import forecast, reality

DEFAULT_SEEDS = 3
MAX_SETS = 10  # "across the accepted sets" runs at most this many (best first), so the page stays quick


@st.cache_data(show_spinner=False)
def points() -> pd.DataFrame:
    """Every target and fact as a row (``kind, target, metric, date, published, low, high, unit, source``)."""
    targets, facts = reality.load_all()
    rows = [{"kind": kind, "target": t.id, "metric": t.metric, "date": t.date, "published": t.value, "low": t.low,
             "high": t.high, "unit": t.unit, "source": t.source}
            for kind, group in ((reality.IN_SAMPLE, targets), (reality.OUT_OF_SAMPLE, facts)) for t in group]
    return pd.DataFrame(rows)


def chart_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The points as the monthly series shows them: a per-year figure (``YYYY`` with a unit "per year", read as the
    sum of the year's months) becomes its monthly mean, / 12."""
    out = frame.copy()
    yearly = (out["date"].str.len() == 4) & out["unit"].str.lower().str.contains("per year")
    for col in ("published", "low", "high"):
        out.loc[yearly, col] = out.loc[yearly, col] / 12
    out.loc[yearly, "source"] = "per-year figure shown / 12 (monthly mean); " + out.loc[yearly, "source"]
    return out


@st.cache_data(show_spinner=False)
def accepted_count() -> int:
    return len(forecast.load_parameter_sets())


@st.cache_data(show_spinner="Running history_2020 ...", max_entries=8)
def check(seeds: int, sets: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(bands of the calibrated metrics, fit table, facts about the runs) for ``seeds`` seeds x ``sets`` sets
    (``sets=0``: the preset's own parameters, i.e. the best accepted set)."""
    targets, facts = reality.load_all()
    scenario = reality.reality_scenario(facts)
    parameter_sets = forecast.load_parameter_sets(limit=sets) if sets else [{}]
    runs = forecast.run_ensemble(scenario, parameter_sets, forecast.forecast_seeds(scenario, seeds),
                                 workers=1, cache_dir=forecast.default_cache_dir())
    metrics = sorted({t.metric for t in targets} | {t.metric for t in facts})
    info = {"scenario": scenario.name, "start": scenario.start_date, "months": scenario.horizon_months,
            "runs": len(parameter_sets) * seeds, "sets": len(parameter_sets), "seeds": seeds}
    return forecast.bands(runs, metrics), reality.fit_table(runs, targets, facts), info
