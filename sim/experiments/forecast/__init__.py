"""Forecasts with bands: a scenario (default ``forecast_2031``) run over the accepted calibrated parameter sets x
several seeds, with what-if levers at calendar dates, summarised per metric and date by the median and the 50% and
90% bands; a lever setting is compared with the unmodified forecast run by run (paired by set and seed).

- **Parameter sets**: ``data/calibration/history_2020_accepted.csv`` (``python -m sim calibrate``): one row per
  accepted set, best first; every column whose name is a dotted scenario path (``market.api_margin``) is a parameter,
  the others (point_id, implausibility, ...) are the calibration's own notes.
- **Seeds**: ``replicate_seeds(scenario.seed, n)`` (the sweep machinery's common random numbers), so every set
  meets the same seeds and a what-if run is paired with the unmodified run of the same set and seed.
- **Levers** (``Levers``): dotted-path ``overrides`` applied to every run, and ``shocks`` appended to the scenario's
  own; a dated event is given ``at: YYYY-MM`` (a shock; ``policy.open_weights_release.at``;
  ``policy.bias_audit.start_at``), so a lever takes effect at a date and leaves every month before it unchanged.
- **Bands** (``bands``): per metric and date, over the runs whose value is defined there (``runs``): ``p5, p25,
  median, p75, p95`` (``numpy.nanquantile``, linear); the 50% band is p25-p75, the 90% band p5-p95.
- **Variants** in ``Forecast.bands``: ``forecast`` (unmodified), ``what_if`` (with the levers), ``difference``
  (what_if - forecast, run by run) and ``relative_change`` (what_if / forecast - 1, where the forecast is not 0).
- **Cache**: each run's metrics are stored under ``runs/forecast_cache/`` keyed by the run's scenario content
  (``Scenario.content_key`` after the set and the levers are applied), its seed, and a fingerprint of the code and
  reference data (``sim/``, ``ecosystem/``, ``data/reference/``, ``data/profiles/``), so a changed model never
  reads stale runs. Missing runs run in this process (``workers=1``) or in a process pool (``workers=N``, the sweep
  machinery's executor); the results do not depend on which. ``$LLM_CHAIN_FORECAST_CACHE`` moves the cache.

Rooms: ``levers`` (what-if input, ``ForecastError``), ``ensemble`` (parameter sets, seeds, cache, running),
``bands`` (quantiles across runs, paired differences), ``result`` (``forecast()`` and the ``Forecast`` it returns),
``cli`` (the command). Everything is re-exported here: ``from sim.experiments.forecast import forecast, Levers``.

CLI: ``python -m sim forecast [SCENARIO] --out DIR [--seeds N] [--sets N] [--workers N] [--months N]
[--set PATH=VALUE ...] [--shock KIND:CHANGE@YYYY-MM ...] [--levers FILE] [--accepted CSV] [--cache DIR | --no-cache]``
writes ``bands.parquet``, ``runs.parquet`` and ``summary.json`` into DIR and prints the summary.
"""

from sim.experiments.forecast.bands import BAND_COLUMNS, QUANTILES, bands, metric_columns, nan_quantiles, paired_bands
from sim.experiments.forecast.cli import parse_set, parse_shock
from sim.experiments.forecast.ensemble import (ACCEPTED_PATH, CACHE_DIR, CACHE_ENV, code_fingerprint,
                                               default_cache_dir, forecast_seeds, load_parameter_sets, run_ensemble,
                                               run_key, simulate)
from sim.experiments.forecast.levers import ForecastError, Levers, load_levers
from sim.experiments.forecast.result import DEFAULT_SCENARIO, SUMMARY_METRICS, VARIANTS, Forecast, forecast

__all__ = [
    "ACCEPTED_PATH", "BAND_COLUMNS", "CACHE_DIR", "CACHE_ENV", "DEFAULT_SCENARIO", "QUANTILES", "SUMMARY_METRICS",
    "VARIANTS", "Forecast", "ForecastError", "Levers", "bands", "code_fingerprint", "default_cache_dir", "forecast",
    "forecast_seeds", "load_levers", "load_parameter_sets", "metric_columns", "nan_quantiles", "paired_bands",
    "parse_set", "parse_shock", "run_ensemble", "run_key", "simulate",
]
