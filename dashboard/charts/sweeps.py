"""Sweep results on the Compare page: fan charts over replicates, input sensitivity (Sobol' or SRRC), each run as a
point, and the spread of an outcome across replicates."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.format import axis_title, metric_unit
from dashboard.charts.style import empty_figure, month_axis, rgba

def fan_chart_figure(series: pd.DataFrame, metric: str, groups: pd.Series | None = None,
                     bands: tuple[tuple[float, float], ...] = ((0.05, 0.95), (0.25, 0.75))) -> go.Figure:
    """Median over replicates with shaded quantile bands (90% and 50% by default), one fan per group of runs."""
    if series.empty or metric not in series:
        return empty_figure("no series stored yet")
    data = series[["run_id", "step", metric]].copy()
    data["group"] = "all runs" if groups is None else data["run_id"].map(groups).astype(str)
    unit = metric_unit(metric)
    fig = go.Figure()
    palette = ["#5b8ff9", "#e8684a", "#2aa198", "#9270ca", "#e4a23a", "#6dc8ec", "#c05050", "#8c8c5c"]
    for gi, (gname, gdata) in enumerate(data.groupby("group", sort=True)):
        color = palette[gi % len(palette)]
        q = gdata.groupby("step")[metric]
        steps = np.array(sorted(gdata["step"].unique()))
        n = int(gdata["run_id"].nunique())
        for lo, hi in bands:
            lo_v, hi_v = q.quantile(lo).reindex(steps), q.quantile(hi).reindex(steps)
            fig.add_trace(go.Scatter(x=np.concatenate([steps, steps[::-1]]),
                                     y=np.concatenate([hi_v.to_numpy(), lo_v.to_numpy()[::-1]]),
                                     fill="toself", fillcolor=rgba(color, 0.18), line=dict(width=0),
                                     hoverinfo="skip", name=f"{round(100 * (hi - lo))}% of runs",
                                     legendgroup=str(gname), showlegend=gi == 0))
        fig.add_trace(go.Scatter(x=steps, y=q.median().reindex(steps), mode="lines", line=dict(color=color, width=2),
                                 name=f"{gname} (median of {n} runs)", legendgroup=str(gname),
                                 hovertemplate=f"month %{{x}}: median %{{y:,.4g}} {unit}<extra>{gname}</extra>"))
    fig.update_yaxes(title_text=axis_title(metric))
    month_axis(fig)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.02, x=0,
                                                                                    yanchor="bottom"))
    return fig


def sensitivity_figure(sens: pd.DataFrame, outcome: str) -> go.Figure:
    """Tornado of input importance: Sobol' S1 and ST with 95% intervals, or signed SRRC for grid/LHS designs."""
    if sens.empty:
        return empty_figure("no sensitivity yet (too few runs)")
    sens = sens.iloc[::-1]  # most important on top
    fig = go.Figure()
    if sens["method"].iloc[0] == "sobol":
        fig.add_trace(go.Bar(y=sens["parameter"], x=sens["ST"], orientation="h", name="total index ST",
                             error_x=dict(type="data", array=sens["ST_conf"]), marker_color="#5b8ff9",
                             hovertemplate="%{y}: ST %{x:.3f}<extra></extra>"))
        fig.add_trace(go.Bar(y=sens["parameter"], x=sens["S1"], orientation="h", name="first-order index S1",
                             error_x=dict(type="data", array=sens["S1_conf"]), marker_color="#e4a23a",
                             hovertemplate="%{y}: S1 %{x:.3f}<extra></extra>"))
        fig.update_xaxes(title_text=f"Sobol' index of {outcome} (share of variance, 0-1; bars: 95% interval)")
        fig.update_layout(barmode="group")
    else:
        colors = ["#5b8ff9" if v >= 0 else "#e8684a" for v in sens["srrc"].fillna(0)]
        fig.add_trace(go.Bar(y=sens["parameter"], x=sens["srrc"], orientation="h", marker_color=colors,
                             name="SRRC", hovertemplate="%{y}: SRRC %{x:.3f}<extra></extra>"))
        r2 = sens["r2_rank"].iloc[0]
        fig.update_xaxes(title_text=f"standardized rank regression coefficient on {outcome} (-1 to 1; "
                                    f"rank R² {r2:.2f})" if r2 == r2 else "SRRC (-1 to 1)")
        fig.add_vline(x=0, line_color="#8c8c8c", line_width=1)
    fig.update_layout(height=140 + 60 * len(sens), margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.12, x=0))
    return fig


def io_scatter_figure(runs: pd.DataFrame, parameter: str, outcome: str, color: str | None = None) -> go.Figure:
    """Each run as a point: an input against an outcome (optionally coloured by a second input)."""
    if runs.empty:
        return empty_figure("no runs finished yet")
    marker = dict(size=8, opacity=0.75)
    if color and color in runs:
        marker.update(color=runs[color], colorscale="Viridis", showscale=True, colorbar=dict(title=color))
    else:
        marker.update(color="#5b8ff9")
    fig = go.Figure(go.Scatter(x=runs[parameter], y=runs[outcome], mode="markers", marker=marker,
                               customdata=runs[["run_id", "seed"]],
                               hovertemplate=f"{parameter} %{{x:.4g}}<br>{outcome} %{{y:,.4g}}<br>run "
                                             "%{customdata[0]} seed %{customdata[1]}<extra></extra>"))
    fig.update_xaxes(title_text=f"{parameter} (scenario units)")
    base_metric = re.sub(r"_(final|mean|peak|sum)$", "", outcome)
    unit = metric_unit(base_metric)
    how = outcome[len(base_metric) + 1:] if outcome != base_metric else ""
    if how == "sum":
        unit = unit.replace(" per month", "") + " summed over months"
    fig.update_yaxes(title_text=f"{outcome} ({unit})" if unit else outcome)
    fig.update_layout(height=400, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def replicates_histogram(runs: pd.DataFrame, outcome: str) -> go.Figure:
    """How an outcome spreads across the replicates of a sweep without parameters."""
    import plotly.express as px

    fig = px.histogram(runs, x=outcome, nbins=20)
    fig.update_xaxes(title_text=f"{outcome} across replicates")
    fig.update_yaxes(title_text="runs (count)")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def heatmap_figure(runs: pd.DataFrame, x: str, y: str, outcome: str) -> go.Figure:
    """A 2-D grid sweep: the outcome's mean over the replicates at each pair of levels."""
    if runs.empty:
        return empty_figure("no runs finished yet")
    table = runs.groupby([y, x])[outcome].mean().unstack(x).sort_index()
    n = runs.groupby([y, x])[outcome].count().unstack(x).reindex_like(table)
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=[f"{v:.4g}" for v in table.columns],
                               y=[f"{v:.4g}" for v in table.index], colorscale="Viridis",
                               customdata=n.to_numpy(), colorbar=dict(title=outcome),
                               hovertemplate=f"{x.split('.')[-1]} %{{x}}<br>{y.split('.')[-1]} %{{y}}<br>mean "
                                             f"{outcome} %{{z:,.4g}} over %{{customdata}} runs<extra></extra>"))
    fig.update_xaxes(title_text=f"{x} (scenario units)", type="category")
    fig.update_yaxes(title_text=f"{y} (scenario units)", type="category")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10))
    return fig
