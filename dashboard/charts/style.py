"""The charts' common look: the chain's actors (names, order, colours), the outside world's colours, and the small
plotly helpers every chart uses (an empty figure with a message, the month axis, a colour with transparency).

Colours are mid-tone so that a figure reads in the light and the dark theme; the dashboard draws every figure with
``st.plotly_chart(theme="streamlit")``.
"""

from __future__ import annotations

import plotly.graph_objects as go

ACTOR_LABELS = {
    "labeller": "Data labellers",
    "trainer": "Model trainers",
    "cloud": "Cloud hosts",
    "provider": "Service providers (APIs)",
    "app": "App developers",
}
# chain order, upstream first
ACTOR_ORDER = ("labeller", "trainer", "cloud", "provider", "app")
ACTOR_COLORS = {
    "labeller": "#e4a23a",
    "trainer": "#5b8ff9",
    "cloud": "#9270ca",
    "provider": "#2aa198",
    "app": "#e8684a",
}
OUTSIDE_COLORS = {
    "End users": "#6dc8ec",
    "Investors": "#a0a0a0",
    "Workers & staff": "#c2a878",
    "Hardware vendors": "#8c8c5c",
    "Utilities": "#d4b106",
    "Regulator": "#c05050",
}


def empty_figure(message: str, height: int = 260) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def month_axis(fig: go.Figure, **kwargs) -> None:
    fig.update_xaxes(title_text="month of the simulation", **kwargs)


def rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
