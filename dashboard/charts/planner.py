"""The Cost planner's charts: the planner against published runs, measured against formula values, plain bars, and
the what-if curves of the training, budget and serving forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.format import human
from dashboard.charts.style import empty_figure

def validation_figure(rows: pd.DataFrame, quantity: str = "gpu_hours") -> go.Figure:
    """Predicted vs published training runs, log-log, with the y = x line and 2x bands."""
    if quantity == "gpu_hours":
        x, y, unit = "reported_gpu_hours", "predicted_gpu_hours", "GPU-hours"
        held = "held_out_gpu_hours"
    else:
        x, y, unit = "reported_train_flops", "predicted_train_flops", "FLOPs"
        held = None
    d = rows.dropna(subset=[x, y])
    if d.empty:
        return empty_figure("no published runs with this figure")
    lo = float(min(d[x].min(), d[y].min())) / 2.5
    hi = float(max(d[x].max(), d[y].max())) * 2.5
    fig = go.Figure()
    line = np.geomspace(lo, hi, 20)
    fig.add_trace(go.Scatter(x=np.concatenate([line, line[::-1]]), y=np.concatenate([line * 2, line[::-1] / 2]),
                             fill="toself", fillcolor="rgba(140,140,140,0.12)", line=dict(width=0),
                             hoverinfo="skip", name="within 2x"))
    fig.add_trace(go.Scatter(x=line, y=line, mode="lines", line=dict(dash="dash", color="#8c8c8c"),
                             name="prediction = published", hoverinfo="skip"))
    ratio = d[y] / d[x]
    fig.add_trace(go.Scatter(x=d[x], y=d[y], mode="markers+text", text=d["model"], textposition="top center",
                             textfont=dict(size=10), marker=dict(size=10, color="#5b8ff9"),
                             name="planner (calibrated MFU)",
                             customdata=np.column_stack([d["model"], ratio, d["hardware_id"].fillna("-")]),
                             hovertemplate=f"%{{customdata[0]}} on %{{customdata[2]}}<br>published %{{x:.3s}} {unit}"
                                           f"<br>predicted %{{y:.3s}} {unit}<br>ratio %{{customdata[1]:.2f}}"
                                           "<extra></extra>"))
    if held and held in d:
        h = d.dropna(subset=[held])
        fig.add_trace(go.Scatter(x=h[x], y=h[held], mode="markers", marker=dict(size=9, symbol="x",
                                                                                color="#e8684a"),
                                 name="held out (leave-one-out)",
                                 customdata=np.column_stack([h["model"], h[held] / h[x]]),
                                 hovertemplate=f"%{{customdata[0]}}: held-out prediction %{{y:.3s}} {unit}, "
                                               "ratio %{customdata[1]:.2f}<extra></extra>"))
    fig.update_xaxes(type="log", title_text=f"published ({unit}, log scale)", range=[math.log10(lo), math.log10(hi)])
    fig.update_yaxes(type="log", title_text=f"predicted by the planner ({unit}, log scale)",
                     range=[math.log10(lo), math.log10(hi)])
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.08, x=0))
    return fig


def paired_bars_figure(labels: list[str], measured: list[float], analytic: list[float], unit: str,
                       measured_name: str = "measured", analytic_name: str = "formula",
                       log: bool = False) -> go.Figure:
    """Measured against analytic values side by side (e.g. FLOPs counted vs 6ND, memory measured vs formula)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=measured, name=measured_name, marker_color="#5b8ff9",
                         customdata=[human(v, unit) for v in measured],
                         hovertemplate="%{x}: %{customdata}<extra>" + measured_name + "</extra>"))
    fig.add_trace(go.Bar(x=labels, y=analytic, name=analytic_name, marker_color="#e4a23a",
                         customdata=[human(v, unit) for v in analytic],
                         hovertemplate="%{x}: %{customdata}<extra>" + analytic_name + "</extra>"))
    fig.update_yaxes(title_text=unit, type="log" if log else "linear", dtick="D2" if log else None)
    fig.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.1, x=0))
    return fig


def bar_figure(labels: list[str], values: list[float], unit: str, title: str = "", color: str = "#5b8ff9",
               log: bool = False) -> go.Figure:
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=color, customdata=[human(v, unit) for v in values],
                           hovertemplate="%{x}: %{customdata}<extra></extra>",
                           text=[human(v, unit) for v in values], textposition="outside"))
    fig.update_yaxes(title_text=unit, type="log" if log else "linear")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40 if title else 20, b=10),
                      title=title or None, showlegend=False)
    return fig


def _planner_layout(fig: go.Figure, title: str, **layout) -> go.Figure:
    """The planner forms' charts share one size and margins."""
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), title=title, **layout)
    return fig


def hardware_cost_figure(runs: pd.DataFrame, chosen: str) -> go.Figure:
    """The same training run on every accelerator (``runs``: hardware, cost_usd, gpu_hours, days, co2_t, price),
    cheapest first, the chosen one highlighted."""
    df = runs.sort_values("cost_usd")
    fig = go.Figure(go.Bar(x=df["hardware"], y=df["cost_usd"],
                           marker_color=["#e8684a" if h == chosen else "#5b8ff9" for h in df["hardware"]],
                           customdata=[[human(r.cost_usd, "USD"), human(r.gpu_hours, "GPU-h"), r.price,
                                        f"{r.days:,.0f} days" if r.days else "-", human(r.co2_t, "tCO2")]
                                       for r in df.itertuples()],
                           text=[human(v, "USD") for v in df["cost_usd"]], textposition="outside",
                           hovertemplate="%{x}: %{customdata[0]}<br>%{customdata[1]} at %{customdata[2]:.2f} "
                                         "USD/GPU-h<br>%{customdata[3]} on the GPUs given<br>"
                                         "%{customdata[4]}<extra></extra>"))
    fig.update_yaxes(title_text="cost of the run (USD)")
    fig.update_xaxes(title_text="accelerator (highlighted: the one chosen)")
    return _planner_layout(fig, "The same run on every accelerator in data/reference/hardware.csv, at its default "
                                "rental price")


def budget_curve_figure(points: pd.DataFrame, budget_usd: float) -> go.Figure:
    """The compute-optimal parameters and tokens against the budget (``points``: budget_usd, params, tokens)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=points["budget_usd"], y=points["params"], name="parameters", mode="lines+markers",
                             hovertemplate="%{x:.3s} USD → %{y:.3s} parameters<extra></extra>"))
    fig.add_trace(go.Scatter(x=points["budget_usd"], y=points["tokens"], name="training tokens", mode="lines+markers",
                             hovertemplate="%{x:.3s} USD → %{y:.3s} tokens<extra></extra>"))
    fig.add_vline(x=budget_usd, line_dash="dot", line_color="#8c8c8c", annotation_text="your budget")
    fig.update_xaxes(type="log", title_text="budget (USD, log scale)")
    fig.update_yaxes(type="log", title_text="parameters or tokens (count, log scale)")
    return _planner_layout(fig, "How the compute-optimal model grows with the budget",
                           legend=dict(orientation="h", y=1.1))


def utilisation_cost_figure(curve: pd.DataFrame, target: float) -> go.Figure:
    """The serving price per token against the fleet's utilisation target (``curve``: util, usd, gpus)."""
    fig = go.Figure(go.Scatter(x=curve["util"], y=curve["usd"], mode="lines+markers", line_shape="hv",
                               customdata=curve["gpus"],
                               hovertemplate="utilisation %{x:.2f}: %{y:.3f} USD per 1M tokens "
                                             "(%{customdata} GPUs)<extra></extra>"))
    fig.add_vline(x=target, line_dash="dot", line_color="#8c8c8c", annotation_text="your target")
    fig.update_xaxes(title_text="target average utilisation of the fleet (0-1)")
    fig.update_yaxes(title_text="cost (USD per 1M generated tokens)", rangemode="tozero")
    return _planner_layout(fig, "Idle GPUs cost money: the price per token against the utilisation target")


def batch_latency_figure(curve: pd.DataFrame, chosen: int) -> go.Figure:
    """Output tokens/s per GPU against time per output token as the batch grows (``curve``: batch, tpot_ms, tps)."""
    fig = go.Figure(go.Scatter(x=curve["tpot_ms"], y=curve["tps"], mode="lines+markers", customdata=curve["batch"],
                               hovertemplate="batch %{customdata}: TPOT %{x:.1f} ms, %{y:,.0f} tokens/s per GPU"
                                             "<extra></extra>"))
    row = curve[curve["batch"] == chosen]
    if not row.empty:
        fig.add_trace(go.Scatter(x=row["tpot_ms"], y=row["tps"], mode="markers", marker_size=12, name="the plan",
                                 hoverinfo="skip"))
    fig.update_xaxes(title_text="time per output token (ms)")
    fig.update_yaxes(title_text="output tokens/s per GPU", rangemode="tozero")
    return _planner_layout(fig, "Bigger batches: more tokens per GPU, slower tokens for each user")
