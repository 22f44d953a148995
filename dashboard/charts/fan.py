"""Fan charts over calendar dates: a median with its 50% and 90% bands (the ``sim.experiments.forecast`` band frames:
``date, runs, p5, p25, median, p75, p95``), a what-if fan over the unmodified one, a difference fan around zero, and
the reality check: the simulated fan with the published target points and their tolerance bars."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.format import axis_title, metric_label
from dashboard.charts.style import empty_figure, rgba

FORECAST_COLOR = "#5b8ff9"
WHAT_IF_COLOR = "#e8684a"
IN_SAMPLE_COLOR = "#2aa198"
OUT_OF_SAMPLE_COLOR = "#c05050"


def _dates(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates.astype(str), format="%Y-%m")


def add_fan(fig: go.Figure, band: pd.DataFrame, name: str, color: str, dash: str | None = None,
            show_90: bool = True, log_y: bool = False) -> None:
    """The median line of ``band`` with its 50% band (p25-p75) and, if asked, its 90% band (p5-p95); on a log axis
    values <= 0 (no app users yet) are left out."""
    band = band[band["runs"] > 0]
    if log_y:
        band = band.copy()
        cols = ["p5", "p25", "median", "p75", "p95"]
        band[cols] = band[cols].where(band[cols] > 0)
    x = _dates(band["date"])
    pairs = [("p25", "p75", 0.30, "50%")]
    if show_90:
        pairs.insert(0, ("p5", "p95", 0.13, "90%"))
    for lo, hi, alpha, label in pairs:
        fig.add_trace(go.Scatter(x=x, y=band[hi], mode="lines", line=dict(width=0), showlegend=False,
                                 hoverinfo="skip", legendgroup=name))
        fig.add_trace(go.Scatter(x=x, y=band[lo], mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=rgba(color, alpha), name=f"{name}: {label} band", legendgroup=name,
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=band["median"], mode="lines", name=f"{name}: median", legendgroup=name,
                             line=dict(color=color, width=2.2, dash=dash),
                             customdata=band[["p5", "p95", "runs"]].to_numpy(),
                             hovertemplate="%{x|%Y-%m}: %{y:,.4g} (90%: %{customdata[0]:,.3g} to "
                                           "%{customdata[1]:,.3g}; %{customdata[2]} runs)<extra>" + name + "</extra>"))


def _layout(fig: go.Figure, metric: str, log_y: bool, height: int) -> go.Figure:
    fig.update_yaxes(title_text=axis_title(metric), type="log" if log_y else "linear")
    fig.update_xaxes(title_text="date")
    fig.update_layout(title=dict(text=metric_label(metric), x=0, font=dict(size=15)), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2, x=0),
                      hovermode="x unified")
    return fig


def fan_figure(forecast: pd.DataFrame, metric: str, what_if: pd.DataFrame | None = None, log_y: bool = True,
               what_if_name: str = "what-if", height: int = 380) -> go.Figure:
    """The unmodified forecast's fan for ``metric`` and, if given, the what-if's fan over it."""
    if forecast.empty or not (forecast["runs"] > 0).any():
        return empty_figure(f"{metric_label(metric)}: no run defines it in this period")
    log_y = log_y and _any_positive(forecast)
    fig = go.Figure()
    add_fan(fig, forecast, "unmodified forecast", FORECAST_COLOR, log_y=log_y)
    if what_if is not None:
        add_fan(fig, what_if, what_if_name, WHAT_IF_COLOR, dash="dash", show_90=False, log_y=log_y)
    return _layout(fig, metric, log_y, height)


def difference_figure(difference: pd.DataFrame, metric: str, relative: bool = True, height: int = 300) -> go.Figure:
    """The what-if minus the unmodified forecast, run by run (paired by set and seed): median, 50% and 90% bands
    around zero; ``relative``: the change as a share of the unmodified value, shown in %."""
    if difference.empty or not (difference["runs"] > 0).any():
        return empty_figure(f"{metric_label(metric)}: no paired runs define it in this period")
    band = difference.copy()
    if relative:
        for col in ("p5", "p25", "median", "p75", "p95"):
            band[col] = 100 * band[col]
    fig = go.Figure()
    add_fan(fig, band, "what-if vs unmodified", WHAT_IF_COLOR)
    fig.add_hline(y=0, line=dict(color="#8c8c8c", width=1))
    fig.update_yaxes(title_text="change (%)" if relative else axis_title(metric))
    fig.update_xaxes(title_text="date")
    fig.update_layout(title=dict(text=f"{metric_label(metric)}: what-if vs unmodified", x=0, font=dict(size=14)),
                      height=height, margin=dict(l=10, r=10, t=40, b=10), showlegend=False,
                      hovermode="x unified")
    return fig


def reality_figure(band: pd.DataFrame, metric: str, points: pd.DataFrame, cutoff: str, log_y: bool = True,
                   height: int = 360) -> go.Figure:
    """The simulated fan for ``metric`` with the published points of ``points`` (``kind, date, published, low,
    high, source``): in-sample targets and out-of-sample facts in two marker styles, each with its tolerance bar,
    and a line at the end of the calibration window. A yearly point (``YYYY``) is drawn at mid-year."""
    log_y = log_y and (band.empty or _any_positive(band)) and bool((points["low"] > 0).all())
    fig = go.Figure()
    if not band.empty and (band["runs"] > 0).any():
        add_fan(fig, band, "simulated (history_2020)", FORECAST_COLOR, log_y=log_y)
    styles = {"in-sample target": (IN_SAMPLE_COLOR, "circle"), "out-of-sample fact": (OUT_OF_SAMPLE_COLOR, "diamond")}
    for kind, (color, symbol) in styles.items():
        part = points[points["kind"] == kind]
        if part.empty:
            continue
        x = pd.to_datetime([d if len(d) == 7 else f"{d}-07" for d in part["date"].astype(str)], format="%Y-%m")
        fig.add_trace(go.Scatter(
            x=x, y=part["published"], mode="markers", name=f"{kind} (tolerance low-high)",
            marker=dict(color=color, symbol=symbol, size=10, line=dict(width=1, color="white")),
            error_y=dict(type="data", symmetric=False, array=part["high"] - part["published"],
                         arrayminus=part["published"] - part["low"], color=color, thickness=1.5, width=6),
            customdata=part[["date", "low", "high", "source"]].to_numpy(),
            hovertemplate="%{customdata[0]}: published %{y:,.4g} (tolerance %{customdata[1]:,.3g} to "
                          "%{customdata[2]:,.3g})<br>%{customdata[3]}<extra>" + kind + "</extra>"))
    cut = pd.to_datetime(cutoff, format="%Y-%m") + pd.offsets.MonthEnd(0)
    fig.add_vline(x=cut.timestamp() * 1000, line=dict(color="#8c8c8c", dash="dot", width=1),
                  annotation_text="end of calibration window", annotation_position="top left")
    if not fig.data:
        return empty_figure(f"{metric_label(metric)}: nothing to show")
    return _layout(fig, metric, log_y, height)


def _any_positive(band: pd.DataFrame) -> bool:
    """Whether some defined median is > 0 (else a log axis would be empty)."""
    return bool((band.loc[band["runs"] > 0, "median"] > 0).any())
