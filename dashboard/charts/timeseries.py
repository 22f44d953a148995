"""Month-by-month lines: metrics of one run (with a reference run dashed), one metric across scenarios, and the
events of a run as a timeline."""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.format import axis_title, metric_label, metric_unit
from dashboard.charts.style import empty_figure, month_axis

def timeseries_figure(metrics: pd.DataFrame, columns: Iterable[str], reference: pd.DataFrame | None = None,
                      name: str = "this scenario", reference_name: str = "unmodified preset") -> go.Figure:
    """One panel per metric (each with its own unit), the scenario as a solid line, the reference dashed."""
    columns = [c for c in columns if c in metrics.columns]
    if not columns:
        return empty_figure("choose one or more metrics")
    fig = make_subplots(rows=len(columns), cols=1, shared_xaxes=True, vertical_spacing=0.06 if len(columns) < 5
                        else 0.03, subplot_titles=[metric_label(c) for c in columns])
    for i, col in enumerate(columns, start=1):
        unit = metric_unit(col)
        if reference is not None and col in reference.columns:
            fig.add_trace(go.Scatter(x=reference["step"], y=reference[col], name=reference_name, mode="lines",
                                     line=dict(dash="dash", width=1.5, color="#8c8c8c"), legendgroup="ref",
                                     showlegend=i == 1,
                                     hovertemplate=f"month %{{x}}: %{{y:,.4g}} {unit}<extra>{reference_name}</extra>"),
                          row=i, col=1)
        fig.add_trace(go.Scatter(x=metrics["step"], y=metrics[col], name=name, mode="lines",
                                 line=dict(width=2.2, color="#5b8ff9"), legendgroup="main", showlegend=i == 1,
                                 hovertemplate=f"month %{{x}}: %{{y:,.4g}} {unit}<extra>{name}</extra>"),
                      row=i, col=1)
        fig.update_yaxes(title_text=unit, row=i, col=1)
    month_axis(fig, row=len(columns), col=1)
    fig.update_layout(height=170 + 190 * len(columns), margin=dict(l=10, r=10, t=60, b=40),
                      legend=dict(orientation="h", y=1.0 + 0.25 / len(columns), x=0, yanchor="bottom"),
                      hovermode="x unified")
    return fig


def compare_figure(series: Mapping[str, pd.DataFrame], metric: str) -> go.Figure:
    """One line per scenario for ``metric``."""
    fig = go.Figure()
    unit = metric_unit(metric)
    palette = ["#5b8ff9", "#e8684a", "#2aa198", "#9270ca", "#e4a23a"]
    for i, (name, m) in enumerate(series.items()):
        if metric in m:
            fig.add_trace(go.Scatter(x=m["step"], y=m[metric], name=name, mode="lines",
                                     line=dict(width=2, color=palette[i % len(palette)]),
                                     hovertemplate=f"month %{{x}}: %{{y:,.4g}} {unit}<extra>{name}</extra>"))
    fig.update_yaxes(title_text=axis_title(metric))
    month_axis(fig)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1, x=0),
                      hovermode="x unified")
    return fig


EVENT_LABELS = {
    "entry": "firm enters",
    "exit": "firm exits",
    "run_started": "training run starts",
    "model_release": "model released",
    "gpu_order": "GPUs ordered",
    "capacity_online": "GPUs online",
    "api_launch": "API launched",
    "app_launch": "app launched",
    "shock": "shock",
    "open_weights_release": "open weights released",
    "audit_pass": "audit passed",
    "audit_block": "audit: model blocked",
    "audit_fine": "audit: model fined",
}


def events_figure(events: pd.DataFrame) -> go.Figure:
    """Events as a timeline: one row per kind of event, one marker per month sized by how many happened."""
    if events.empty:
        return empty_figure("no events")
    g = events.groupby(["step", "kind"]).agg(n=("detail", "size"), detail=("detail", lambda d: "<br>".join(
        list(d.astype(str))[:6]) + ("<br>…" if len(d) > 6 else ""))).reset_index()
    kinds = [k for k in EVENT_LABELS if k in set(g["kind"])] + sorted(set(g["kind"]) - set(EVENT_LABELS))
    g["label"] = g["kind"].map(lambda k: EVENT_LABELS.get(k, k.replace("_", " ")))
    fig = go.Figure(go.Scatter(
        x=g["step"], y=g["label"], mode="markers",
        marker=dict(size=6 + 5 * np.sqrt(g["n"]), color=g["kind"].map({k: i for i, k in enumerate(kinds)}),
                    colorscale="Turbo", opacity=0.75, line=dict(width=0)),
        customdata=np.column_stack([g["n"], g["detail"]]),
        hovertemplate="month %{x}: %{customdata[0]} × %{y}<br>%{customdata[1]}<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=[EVENT_LABELS.get(k, k) for k in kinds][::-1],
                     title_text="")
    month_axis(fig)
    fig.update_layout(height=120 + 28 * len(kinds), margin=dict(l=10, r=10, t=20, b=10))
    return fig
