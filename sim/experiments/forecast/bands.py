"""Bands across runs: per metric and date the p5, p25, median, p75 and p95 of the runs defined there, and the
paired what-if differences (run by run, by set and seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.forecast.levers import ForecastError

QUANTILES = {"p5": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
BAND_COLUMNS = ["variant", "metric", "date", "step", "runs", *QUANTILES]
RUN_KEYS = ("set_id", "seed")


def metric_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c not in (*RUN_KEYS, "step", "date", "variant")
            and pd.api.types.is_numeric_dtype(runs[c])]


def _cube(runs: pd.DataFrame, metrics: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """(runs x steps x metrics array, the steps' step/date frame); every run has the same steps."""
    ordered = runs.sort_values([*RUN_KEYS, "step"], kind="stable")
    steps = ordered.drop_duplicates("step")[["step", "date"]].sort_values("step").reset_index(drop=True)
    n_runs = len(ordered) // len(steps)
    if n_runs * len(steps) != len(ordered):
        raise ForecastError("runs: the runs do not all cover the same months; allowed: runs of one horizon")
    values = ordered[metrics].to_numpy(dtype=float).reshape(n_runs, len(steps), len(metrics))
    return values, steps


def nan_quantiles(values: np.ndarray, qs: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(quantiles x cells, count per cell) over axis 0, skipping NaN: numpy's default ('linear') quantile of the
    defined values of each cell, NaN where none is defined. Vectorised (``numpy.nanquantile`` loops per cell)."""
    values = np.where(np.isfinite(values), values, np.nan)
    ordered = np.sort(values, axis=0)  # NaNs last
    count = np.isfinite(values).sum(axis=0)
    out = np.full((len(qs), *values.shape[1:]), np.nan)
    last = np.maximum(count - 1, 0)
    for j, q in enumerate(qs):
        h = last * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, last)
        a = np.take_along_axis(ordered, lo[None], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None], axis=0)[0]
        value = np.clip(a + (h - lo) * (b - a), a, b)  # clipped: rounding never breaks p5 <= ... <= p95
        out[j] = np.where(count > 0, value, np.nan)
    return out, count


def _band_frame(values: np.ndarray, steps: pd.DataFrame, metrics: list[str], variant: str) -> pd.DataFrame:
    q, count = nan_quantiles(values, list(QUANTILES.values()))  # (quantiles, steps, metrics)
    n_steps, n_metrics = len(steps), len(metrics)
    frame = pd.DataFrame({
        "variant": variant,
        "metric": np.tile(np.asarray(metrics, dtype=object), n_steps),
        "date": np.repeat(steps["date"].astype(str).to_numpy(), n_metrics),
        "step": np.repeat(steps["step"].to_numpy(dtype=np.int64), n_metrics),
        "runs": count.reshape(-1).astype(np.int64),
    })
    for j, name in enumerate(QUANTILES):
        frame[name] = q[j].reshape(-1)
    return frame


def bands(runs: pd.DataFrame, metrics: list[str] | None = None, variant: str = "forecast") -> pd.DataFrame:
    """Per metric and date: the number of runs defined there and the p5, p25, median, p75, p95 across runs."""
    metrics = metrics or metric_columns(runs)
    values, steps = _cube(runs, metrics)
    return _band_frame(values, steps, metrics, variant)


def paired_bands(base: pd.DataFrame, what_if: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Bands of ``what_if - base`` (``difference``) and ``what_if / base - 1`` (``relative_change``), run by run:
    the runs are paired by set and seed."""
    metrics = metrics or metric_columns(base)
    b, steps = _cube(base, metrics)
    w, steps_w = _cube(what_if, metrics)
    if b.shape != w.shape or not steps["step"].equals(steps_w["step"]):
        raise ForecastError("what-if runs do not pair with the forecast runs; allowed: the same sets, seeds and "
                            "months")
    diff = w - b
    diff[np.isnan(w) & np.isnan(b)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(b != 0, w / b - 1.0, np.nan)
    rel[(w == b) & np.isfinite(b)] = 0.0  # unchanged, even where both are 0
    return pd.concat([_band_frame(diff, steps, metrics, "difference"),
                      _band_frame(rel, steps, metrics, "relative_change")], ignore_index=True)
