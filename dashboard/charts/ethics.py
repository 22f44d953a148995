"""The Ethics page's charts: labellers' pay against living wages (per month and per region), labelling's share of
end users' money, energy and carbon, deployed bias with audits, and the measured bias-transfer curve."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.style import month_axis, rgba

def wage_figure(metrics: pd.DataFrame, living_wages: Mapping[str, float],
                wage_floor: float | None = None) -> go.Figure:
    """Labeller pay each month (hours-weighted mean) against each region's living wage and any wage floor."""
    m = metrics[metrics["labeller_hours"] > 0] if "labeller_hours" in metrics else metrics
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=m["step"], y=m["labeller_wage_usd_per_hour"], mode="lines+markers",
                             name="mean pay of labelling work that month", line=dict(color="#e4a23a", width=2),
                             marker=dict(size=5),
                             hovertemplate="month %{x}: %{y:.2f} USD/hour<extra></extra>"))
    palette = ["#5b8ff9", "#2aa198", "#9270ca", "#e8684a", "#6dc8ec", "#8c8c5c"]
    for i, (region, wage) in enumerate(living_wages.items()):
        fig.add_hline(y=wage, line_dash="dot", line_color=palette[i % len(palette)],
                      annotation_text=f"living wage, {region}: {wage:.2f} USD/h", annotation_position="top left",
                      annotation_font_size=10)
    if wage_floor:
        fig.add_hline(y=wage_floor, line_color="#c05050", line_width=2,
                      annotation_text=f"wage floor {wage_floor:.2f} USD/h", annotation_position="bottom right")
    fig.update_yaxes(title_text="pay (USD per hour)", rangemode="tozero")
    month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.08, x=0))
    return fig


def share_of_value_figure(metrics: pd.DataFrame) -> go.Figure:
    """Labellers' share of end users' money: label spend / end-user spend, monthly and cumulative, in percent."""
    m = metrics[metrics["step"] >= 1]
    spend = m["end_user_spend_usd"].replace(0, np.nan)
    monthly = 100 * m["label_spend_usd"] / spend
    cum = 100 * m["label_spend_usd"].cumsum() / m["end_user_spend_usd"].cumsum().replace(0, np.nan)
    wages = 100 * m["labeller_wages_usd"].cumsum() / m["end_user_spend_usd"].cumsum().replace(0, np.nan)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=m["step"], y=monthly, name="label spend / end-user spend, that month",
                         marker_color="rgba(228,162,58,0.55)",
                         hovertemplate="month %{x}: %{y:.4f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=m["step"], y=cum, name="cumulative: labelling vendors' share", mode="lines",
                             line=dict(color="#e4a23a", width=2.5),
                             hovertemplate="up to month %{x}: %{y:.4f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=m["step"], y=wages, name="cumulative: labelling workers' wages", mode="lines",
                             line=dict(color="#c05050", width=2, dash="dash"),
                             hovertemplate="up to month %{x}: %{y:.4f}%<extra></extra>"))
    fig.update_yaxes(title_text="share of end users' spend (%, log scale)", type="log", dtick=1)
    month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12, x=0))
    return fig


def energy_figure(metrics: pd.DataFrame) -> go.Figure:
    """Electricity per month (bars, MWh) and cumulative CO2 (line, tCO2) on a second axis."""
    m = metrics[metrics["step"] >= 1]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=m["step"], y=m["energy_kwh"] / 1000, name="electricity that month (MWh)",
                         marker_color="rgba(212,177,6,0.6)",
                         hovertemplate="month %{x}: %{y:,.0f} MWh<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=m["step"], y=m["co2_t"].cumsum(), name="CO2 so far (tCO2)", mode="lines",
                             line=dict(color="#c05050", width=2.5),
                             hovertemplate="up to month %{x}: %{y:,.0f} tCO2<extra></extra>"), secondary_y=True)
    fig.update_yaxes(title_text="electricity (MWh per month)", secondary_y=False)
    fig.update_yaxes(title_text="cumulative emissions (tCO2)", secondary_y=True, rangemode="tozero")
    month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1, x=0))
    return fig


def bias_figure(metrics: pd.DataFrame, threshold: float | None = None,
                reference: pd.DataFrame | None = None) -> go.Figure:
    """Token-weighted bias of deployed models, with the audit threshold and audits passed/failed."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    m = metrics[metrics["tokens_served"] > 0] if "tokens_served" in metrics else metrics
    if reference is not None:
        r = reference[reference["tokens_served"] > 0]
        fig.add_trace(go.Scatter(x=r["step"], y=r["deployed_bias"], name="unmodified preset", mode="lines",
                                 line=dict(color="#8c8c8c", dash="dash"),
                                 hovertemplate="month %{x}: %{y:.3f}<extra>preset</extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=m["step"], y=m["deployed_bias"], name="deployed bias (parity gap)", mode="lines",
                             line=dict(color="#9270ca", width=2.5),
                             hovertemplate="month %{x}: %{y:.3f}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=metrics["step"], y=metrics["audits_failed"], name="audits failed (cumulative)",
                             mode="lines", line=dict(color="#c05050", width=1.5, shape="hv"),
                             hovertemplate="month %{x}: %{y} failed<extra></extra>"), secondary_y=True)
    fig.add_trace(go.Scatter(x=metrics["step"], y=metrics["audits_passed"], name="audits passed (cumulative)",
                             mode="lines", line=dict(color="#2aa198", width=1.5, shape="hv"),
                             hovertemplate="month %{x}: %{y} passed<extra></extra>"), secondary_y=True)
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dot", line_color="#c05050",
                      annotation_text=f"audit threshold {threshold:.2f}", annotation_position="top left")
    fig.update_yaxes(title_text="demographic-parity gap of served models (0-1)", secondary_y=False,
                     rangemode="tozero")
    fig.update_yaxes(title_text="audits (count)", secondary_y=True, rangemode="tozero")
    month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12, x=0))
    return fig


def transfer_curve_figure(table: pd.DataFrame, x: str, y: str, group: str | None = None,
                          lo: str | None = None, hi: str | None = None, x_title: str = "", y_title: str = "",
                          mark_x: float | None = None) -> go.Figure:
    """A bias-transfer curve: labeller bias (x) -> model bias (y), one line per group (e.g. aggregation)."""
    fig = go.Figure()
    palette = ["#5b8ff9", "#e8684a", "#2aa198", "#9270ca", "#e4a23a", "#6dc8ec"]
    groups = [(None, table)] if not group or group not in table else list(table.groupby(group, sort=True))
    for i, (name, d) in enumerate(groups):
        d = d.sort_values(x)
        color = palette[i % len(palette)]
        label = str(name) if name is not None else y
        if lo and hi and lo in d and hi in d:
            fig.add_trace(go.Scatter(x=np.concatenate([d[x], d[x][::-1]]),
                                     y=np.concatenate([d[hi], d[lo][::-1]]), fill="toself",
                                     fillcolor=rgba(color, 0.15), line=dict(width=0), hoverinfo="skip",
                                     showlegend=False))
        fig.add_trace(go.Scatter(x=d[x], y=d[y], mode="lines+markers", name=label, line=dict(color=color, width=2),
                                 hovertemplate=f"{x} %{{x:.3f}} → {y} %{{y:.3f}}<extra>{label}</extra>"))
    if mark_x is not None:
        fig.add_vline(x=mark_x, line_dash="dot", line_color="#8c8c8c", annotation_text="this audit",
                      annotation_position="top")
    fig.update_xaxes(title_text=x_title or x)
    fig.update_yaxes(title_text=y_title or y)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1, x=0))
    return fig


def region_wage_figure(regions: pd.DataFrame, wage_floor: float | None = None) -> go.Figure:
    """Per labelling region: workers' hourly pay (after any wage floor) beside the region's living wage.
    ``regions``: name, share, wage_usd_per_hour, living_wage_usd_per_hour."""
    pay = regions["wage_usd_per_hour"].clip(lower=wage_floor or 0.0)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=regions["name"], y=pay, name="pay (after any wage floor)", marker_color="#e4a23a",
                         customdata=regions["share"],
                         hovertemplate="%{x}: %{y:.2f} USD/hour (%{customdata:.0%} of vendors)<extra></extra>",
                         text=[f"{v:.2f} USD/h" for v in pay], textposition="outside", textfont=dict(size=11)))
    fig.add_trace(go.Bar(x=regions["name"], y=regions["living_wage_usd_per_hour"], name="living wage",
                         marker_color="rgba(91,143,249,0.55)",
                         hovertemplate="%{x}: living wage %{y:.2f} USD/hour<extra></extra>",
                         text=[f"{v:.2f} USD/h" for v in regions["living_wage_usd_per_hour"]],
                         textposition="outside", textfont=dict(size=11)))
    if wage_floor:
        fig.add_hline(y=wage_floor, line_color="#c05050", line_dash="dot",
                      annotation_text=f"wage floor {wage_floor:.2f} USD/h")
    fig.update_yaxes(title_text="USD per hour", rangemode="tozero")
    fig.update_xaxes(title_text="labelling region")
    fig.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.1, x=0))
    return fig
