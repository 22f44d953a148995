"""The Forecast page's computation, once per setting (``st.cache_data``) and run by run on disk
(``runs/forecast_cache``, keyed by each run's scenario content, seed and the model's code): ``forecast_2031`` over
the first accepted sets x seeds, unmodified and with the what-if levers."""

from __future__ import annotations

import json
import os

import pandas as pd
import streamlit as st

from sim.experiments import forecast

SCENARIO = forecast.DEFAULT_SCENARIO
DEFAULT_SETS = 3
DEFAULT_SEEDS = 2
WORKERS = min(2, os.cpu_count() or 1)


@st.cache_data(show_spinner=False)
def accepted_count() -> int:
    return len(forecast.load_parameter_sets())


@st.cache_data(show_spinner=False)
def horizon() -> tuple[str, str]:
    """(start date, last date) of the forecast scenario."""
    from sim.scenario import load_scenario
    from sim.scenario.calendar import step_date

    s = load_scenario(SCENARIO)
    return s.start_date, step_date(s.start_date, s.horizon_months)


@st.cache_data(show_spinner="Forecasting over the accepted sets x seeds ...", max_entries=16)
def bands(levers_json: str, sets: int, seeds: int, months: int | None) -> tuple[pd.DataFrame, dict]:
    """(band frame of every variant, summary) for the levers given as JSON (a hashable cache key)."""
    levers = forecast.load_levers(json.loads(levers_json))
    fc = forecast.forecast(SCENARIO, levers, sets=sets, seeds=seeds, months=months, workers=WORKERS,
                           cache_dir=forecast.default_cache_dir())
    return fc.bands, fc.summary()
