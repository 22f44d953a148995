"""Market concentration: the Herfindahl-Hirschman index of each stage over time, against the US DOJ/FTC merger
guidelines' thresholds, and the caption that states it at the horizon."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.format import metric_label
from dashboard.charts.style import ACTOR_COLORS, month_axis

DOJ_UNCONCENTRATED = 1500.0
DOJ_HIGHLY_CONCENTRATED = 2500.0


def hhi_figure(metrics: pd.DataFrame) -> go.Figure:
    """Market concentration per stage over time, with the US DOJ/FTC 1,500 and 2,500 thresholds."""
    fig = go.Figure()
    colors = {"hhi_training": ACTOR_COLORS["trainer"], "hhi_api": ACTOR_COLORS["provider"],
              "hhi_cloud": ACTOR_COLORS["cloud"]}
    for col, color in colors.items():
        if col in metrics:
            fig.add_trace(go.Scatter(x=metrics["step"], y=metrics[col], name=metric_label(col).replace("HHI, ", ""),
                                     mode="lines", line=dict(color=color, width=2),
                                     hovertemplate="month %{x}: HHI %{y:,.0f}<extra>%{fullData.name}</extra>"))
    fig.add_hrect(y0=DOJ_HIGHLY_CONCENTRATED, y1=10_000, fillcolor="#c05050", opacity=0.08, line_width=0)
    for y, text in ((DOJ_UNCONCENTRATED, "1,500: moderately concentrated above"),
                    (DOJ_HIGHLY_CONCENTRATED, "2,500: highly concentrated above")):
        fig.add_hline(y=y, line_dash="dot", line_color="#c05050", annotation_text=text,
                      annotation_position="top left", annotation_font_size=11)
    fig.update_yaxes(title_text="Herfindahl-Hirschman index (0-10,000)", range=[0, 10_000])
    month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.08, x=0),
                      hovermode="x unified")
    return fig


def hhi_caption(metrics: pd.DataFrame, template: str) -> str:
    """``template`` with ``{training}``, ``{api}`` and ``{cloud}`` filled with each stage's HHI at the horizon."""
    last = metrics.iloc[-1]
    return template.format(**{k: f"{last['hhi_' + k]:,.0f}" for k in ("training", "api", "cloud")})
