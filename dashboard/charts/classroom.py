"""The Classroom's charts of the small Transformer: attention weights, and the 6ND rule against PyTorch's count.
(The money network of the month lives with the other money-flow charts in ``flows.py``.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

def attention_figure(tokens: list[str], weights: np.ndarray, title: str = "") -> go.Figure:
    """Attention weights (rows: the query token, columns: the key token it attends to; rows sum to 1)."""
    w = np.asarray(weights, dtype=float)
    labels = [f"{i}:{t}" for i, t in enumerate(tokens)]
    fig = go.Figure(go.Heatmap(z=w, x=labels, y=labels, colorscale="Viridis", zmin=0, zmax=float(w.max() or 1),
                               colorbar=dict(title="weight (0-1)"),
                               hovertemplate="query %{y} → key %{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="query token (position: token)")
    fig.update_xaxes(title_text="key token attended to (position: token)", tickangle=-45)
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40 if title else 20, b=10), title=title or None)
    return fig


def six_nd_figure(sizes: pd.DataFrame) -> go.Figure:
    """Training FLOPs per token for each measured size of the small model: the 6N rule, 6N plus attention, and
    PyTorch's own count (``sizes``: the probe profile's ``sizes`` table)."""
    labels = [f"{r.name}: N={r.n_params_matmul:,}" for r in sizes.itertuples()]
    six_n = 6 * sizes["n_params_matmul"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=six_n, name="6N (the rule)", marker_color="#e4a23a",
                         hovertemplate="%{x}: 6N = %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.add_trace(go.Bar(x=labels, y=sizes["train_flops_per_token_analytic"], name="6N + 12 L T d (with attention)",
                         marker_color="#9270ca",
                         hovertemplate="%{x}: %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.add_trace(go.Bar(x=labels, y=sizes["train_flops_per_token_counted"], name="counted by PyTorch",
                         marker_color="#5b8ff9", hovertemplate="%{x}: %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.update_yaxes(title_text="training FLOPs per token (log scale)", type="log", dtick="D2")
    fig.update_xaxes(title_text="model size (N = parameters in matrix multiplies)")
    fig.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.1))
    return fig
