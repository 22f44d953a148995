"""Figure builders: plain functions from DataFrames to plotly Figures (no Streamlit in here).

Every axis is titled with its unit and every hover shows the unit. Colours are mid-tone so that a figure reads in the
light and the dark theme; the dashboard draws them with ``st.plotly_chart(theme="streamlit")``.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.metrics import METRICS

# ---- names, units and number formatting ------------------------------------------------------------------------

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
# the outside world, split by the category of the payment
OUTSIDE_GROUP = {
    "subscriptions": "End users",
    "investment": "Investors",
    "debt_writeoff": "Investors",
    "exit_payout": "Investors",
    "staff_costs": "Workers & staff",
    "labeller_wages": "Workers & staff",
    "gpu_capex": "Hardware vendors",
    "energy": "Utilities",
    "carbon_tax": "Regulator",
    "audit_fine": "Regulator",
}
OUTSIDE_COLORS = {
    "End users": "#6dc8ec",
    "Investors": "#a0a0a0",
    "Workers & staff": "#c2a878",
    "Hardware vendors": "#8c8c5c",
    "Utilities": "#d4b106",
    "Regulator": "#c05050",
}
# payments that are financing rather than trade: left out of "value captured"
FINANCING = ("investment", "debt_writeoff", "exit_payout")

# metric -> (short label, unit shown on axes and in hovers)
METRIC_UNITS: dict[str, tuple[str, str]] = {
    "gpu_price_usd_per_hour": ("GPU rental price", "USD per GPU-hour"),
    "gpu_price_h100_equiv_usd_per_hour": ("GPU price, H100-equivalent", "USD per H100-hour"),
    "gpu_utilization": ("GPU utilisation", "share 0-1"),
    "gpus_installed": ("GPUs installed", "GPUs"),
    "gpu_hours_training": ("GPU-hours sold for training", "GPU-hours per month"),
    "gpu_hours_inference": ("GPU-hours sold for serving", "GPU-hours per month"),
    "api_price_usd_per_mtok": ("API price", "USD per 1M tokens"),
    "tokens_served": ("Tokens served", "tokens per month"),
    "api_revenue_usd": ("API revenue", "USD per month"),
    "licence_revenue_usd": ("Model licence revenue", "USD per month"),
    "end_user_spend_usd": ("End-user spend", "USD per month"),
    "app_users": ("App users", "users"),
    "apps_live": ("Apps live", "apps"),
    "models_released": ("Models released", "models per month"),
    "models_available": ("Models available", "models"),
    "best_model_quality": ("Best model quality", "index 0-1"),
    "best_model_params": ("Largest deployable model", "parameters"),
    "providers_live": ("API providers live", "providers"),
    "trainers_training": ("Labs training", "labs"),
    "labels_bought": ("Labels bought", "labels per month"),
    "label_spend_usd": ("Spend on labels", "USD per month"),
    "label_price_usd": ("Label price", "USD per label"),
    "labeller_wage_usd_per_hour": ("Labeller pay", "USD per hour"),
    "labeller_wages_usd": ("Labeller wages paid", "USD per month"),
    "labeller_hours": ("Labelling hours", "worker-hours per month"),
    "labellers_below_living_wage_share": ("Vendors below living wage", "share 0-1"),
    "energy_kwh": ("Electricity", "kWh per month"),
    "co2_t": ("CO2 emitted", "tCO2 per month"),
    "carbon_tax_usd": ("Carbon tax paid", "USD per month"),
    "hhi_training": ("HHI, model training", "HHI 0-10,000"),
    "hhi_api": ("HHI, API serving", "HHI 0-10,000"),
    "hhi_cloud": ("HHI, cloud GPUs", "HHI 0-10,000"),
    "deployed_bias": ("Deployed model bias", "parity gap 0-1"),
    "audits_passed": ("Audits passed (cumulative)", "audits"),
    "audits_failed": ("Audits failed (cumulative)", "audits"),
    "audit_fines_usd": ("Audit fines", "USD per month"),
    "n_labellers": ("Labelling vendors", "firms"),
    "n_trainers": ("Labs", "firms"),
    "n_clouds": ("Cloud hosts", "firms"),
    "n_providers": ("API providers", "firms"),
    "n_apps": ("App developers", "firms"),
    "outside_inflow_usd": ("Money in from outside", "USD per month"),
    "outside_outflow_usd": ("Money out to outside", "USD per month"),
}

DOJ_UNCONCENTRATED = 1500.0
DOJ_HIGHLY_CONCENTRATED = 2500.0


def metric_label(metric: str) -> str:
    return METRIC_UNITS.get(metric, (metric.replace("_", " "), ""))[0]


def metric_unit(metric: str) -> str:
    if metric in METRIC_UNITS:
        return METRIC_UNITS[metric][1]
    match = re.search(r"\(([^()]*)\)\s*$", METRICS.get(metric, ""))
    return match.group(1) if match else ""


def axis_title(metric: str) -> str:
    unit = metric_unit(metric)
    return f"{metric_label(metric)} ({unit})" if unit else metric_label(metric)


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def human(value: float | None, unit: str = "", digits: int = 3) -> str:
    """``human(4.4e9, "USD") -> "4.40B USD"``: a short number with its unit (T, B, M, k suffixes)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    value = float(value)
    sign = "-" if value < 0 else ""
    mag = abs(value)
    unit = unit.replace("-", "\u2011")  # a non-breaking hyphen: "GPU-h" never wraps as "GPU- / h"
    if mag >= 1e15:  # beyond T: scientific notation, 8.72e23 FLOPs
        exp = int(math.floor(math.log10(mag)))
        return f"{sign}{mag / 10 ** exp:.{max(0, digits - 1)}f}e{exp} {unit}".strip()
    text = None
    for factor, suffix in _SUFFIXES:
        if mag >= factor:
            text = f"{sign}{_sig(mag / factor, digits)}{suffix}"
            break
    if text is None:
        text = f"{sign}{_sig(mag, digits)}"
    return f"{text} {unit}".strip()


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def _empty(message: str, height: int = 260) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def _month_axis(fig: go.Figure, **kwargs) -> None:
    fig.update_xaxes(title_text="month of the simulation", **kwargs)


# ---- Explore -----------------------------------------------------------------------------------------------------


def timeseries_figure(metrics: pd.DataFrame, columns: Iterable[str], reference: pd.DataFrame | None = None,
                      name: str = "this scenario", reference_name: str = "unmodified preset") -> go.Figure:
    """One panel per metric (each with its own unit), the scenario as a solid line, the reference dashed."""
    columns = [c for c in columns if c in metrics.columns]
    if not columns:
        return _empty("choose one or more metrics")
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
    _month_axis(fig, row=len(columns), col=1)
    fig.update_layout(height=170 + 190 * len(columns), margin=dict(l=10, r=10, t=60, b=40),
                      legend=dict(orientation="h", y=1.0 + 0.25 / len(columns), x=0, yanchor="bottom"),
                      hovermode="x unified")
    return fig


def _outside_node(category: str, direction: str) -> str:
    group = OUTSIDE_GROUP.get(category, "Outside world")
    # investors both fund and receive payouts: two nodes so the diagram reads left to right
    if group == "Investors":
        return "Investors (funding)" if direction == "in" else "Investors (payouts)"
    return group


def money_flows(flows_by_type: pd.DataFrame, step: int | None = None) -> pd.DataFrame:
    """Flows between nodes (actor types and outside groups): source, target, amount_usd, sorted by amount."""
    f = flows_by_type if step is None else flows_by_type[flows_by_type["step"] == step]
    if f.empty:
        return pd.DataFrame(columns=["source", "target", "amount_usd"])
    src = np.where(f["payer_type"] == "outside", [_outside_node(c, "in") for c in f["category"]],
                   f["payer_type"].map(ACTOR_LABELS).fillna(f["payer_type"]))
    dst = np.where(f["payee_type"] == "outside", [_outside_node(c, "out") for c in f["category"]],
                   f["payee_type"].map(ACTOR_LABELS).fillna(f["payee_type"]))
    out = pd.DataFrame({"source": src, "target": dst, "amount_usd": f["amount_usd"].to_numpy()})
    out = out.groupby(["source", "target"], as_index=False)["amount_usd"].sum()
    return out[out["amount_usd"] > 0].sort_values("amount_usd", ascending=False).reset_index(drop=True)


def _node_color(label: str) -> str:
    for key, name in ACTOR_LABELS.items():
        if name == label:
            return ACTOR_COLORS[key]
    for name, color in OUTSIDE_COLORS.items():
        if label.startswith(name.split(" (")[0]):
            return color
    return "#999999"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_figure(flows_by_type: pd.DataFrame, step: int | None = None, title: str | None = None) -> go.Figure:
    """Money between the actor types and the outside world (end users, investors, workers & staff, hardware vendors,
    utilities, regulator) in one month (``step``) or over the whole run (``None``)."""
    links = money_flows(flows_by_type, step)
    when = "the whole run" if step is None else f"month {step}"
    if links.empty:
        return _empty(f"no payments in {when}")
    inflow_nodes = ["End users", "Investors (funding)"]
    outflow_nodes = ["Workers & staff", "Hardware vendors", "Utilities", "Regulator", "Investors (payouts)"]
    actor_nodes = [ACTOR_LABELS[a] for a in ("app", "provider", "trainer", "cloud", "labeller")]
    present = set(links["source"]) | set(links["target"])
    order = [n for n in inflow_nodes + actor_nodes + outflow_nodes if n in present]
    order += sorted(present - set(order))
    index = {n: i for i, n in enumerate(order)}
    total_in = links.loc[links["source"].isin(inflow_nodes), "amount_usd"].sum()
    node_custom = []
    for n in order:
        through = max(links.loc[links["source"] == n, "amount_usd"].sum(),
                      links.loc[links["target"] == n, "amount_usd"].sum())
        node_custom.append(human(through, "USD"))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        valueformat=",.0f",
        node=dict(label=order, pad=14, thickness=16, color=[_node_color(n) for n in order],
                  customdata=node_custom, hovertemplate="%{label}: %{customdata}<extra></extra>"),
        link=dict(source=[index[s] for s in links["source"]], target=[index[t] for t in links["target"]],
                  value=links["amount_usd"].tolist(), color=[_rgba(_node_color(s), 0.35) for s in links["source"]],
                  customdata=[human(v, "USD") for v in links["amount_usd"]],
                  hovertemplate="%{source.label} → %{target.label}: %{customdata}<extra></extra>"),
    ))
    fig.update_layout(title=title or f"Money flows in {when} (USD; {human(total_in, 'USD')} entered the chain)",
                      height=460, margin=dict(l=10, r=10, t=50, b=10), font=dict(size=12))
    return fig


def value_captured(flows_by_type: pd.DataFrame) -> pd.DataFrame:
    """Per actor type over the run: revenue (payments received, financing excluded), costs (payments made,
    financing excluded) and value captured = revenue - costs, in USD."""
    trade = flows_by_type[~flows_by_type["category"].isin(FINANCING)]
    rev = trade[trade["payee_type"] != "outside"].groupby("payee_type")["amount_usd"].sum()
    cost = trade[trade["payer_type"] != "outside"].groupby("payer_type")["amount_usd"].sum()
    rows = []
    for a in ACTOR_ORDER:
        r, c = float(rev.get(a, 0.0)), float(cost.get(a, 0.0))
        rows.append({"agent_type": a, "stage": ACTOR_LABELS[a], "revenue_usd": r, "costs_usd": c,
                     "value_captured_usd": r - c})
    return pd.DataFrame(rows)


def value_captured_figure(flows_by_type: pd.DataFrame, reference: pd.DataFrame | None = None) -> go.Figure:
    """Revenue minus costs for each stage of the chain, as bars (with the reference preset's as outlines)."""
    v = value_captured(flows_by_type)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=v["stage"], y=v["value_captured_usd"], name="this scenario",
                         marker_color=[ACTOR_COLORS[a] for a in v["agent_type"]],
                         customdata=np.column_stack([[human(x, "USD") for x in v["revenue_usd"]],
                                                     [human(x, "USD") for x in v["costs_usd"]],
                                                     [human(x, "USD") for x in v["value_captured_usd"]]]),
                         hovertemplate="%{x}<br>revenue %{customdata[0]}<br>costs %{customdata[1]}"
                                       "<br>value captured %{customdata[2]}<extra></extra>"))
    if reference is not None:
        r = value_captured(reference)
        fig.add_trace(go.Scatter(x=r["stage"], y=r["value_captured_usd"], name="unmodified preset",
                                 mode="markers", marker=dict(symbol="line-ew-open", size=38, line=dict(width=3),
                                                             color="#8c8c8c"),
                                 customdata=[human(x, "USD") for x in r["value_captured_usd"]],
                                 hovertemplate="%{x}: %{customdata} in the preset<extra></extra>"))
    fig.add_hline(y=0, line_width=1, line_color="#8c8c8c")
    fig.update_yaxes(title_text="revenue minus costs over the run (USD)")
    fig.update_xaxes(title_text="stage of the chain (financing flows excluded)")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), showlegend=reference is not None,
                      legend=dict(orientation="h", y=1.08, x=0))
    return fig


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
    _month_axis(fig)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.08, x=0),
                      hovermode="x unified")
    return fig


def hhi_caption(metrics: pd.DataFrame, template: str) -> str:
    """``template`` with ``{training}``, ``{api}`` and ``{cloud}`` filled with each stage's HHI at the horizon."""
    last = metrics.iloc[-1]
    return template.format(**{k: f"{last['hhi_' + k]:,.0f}" for k in ("training", "api", "cloud")})


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
        return _empty("no events")
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
    _month_axis(fig)
    fig.update_layout(height=120 + 28 * len(kinds), margin=dict(l=10, r=10, t=20, b=10))
    return fig


# ---- Compare -----------------------------------------------------------------------------------------------------


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
    _month_axis(fig)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1, x=0),
                      hovermode="x unified")
    return fig


def fan_chart_figure(series: pd.DataFrame, metric: str, groups: pd.Series | None = None,
                     bands: tuple[tuple[float, float], ...] = ((0.05, 0.95), (0.25, 0.75))) -> go.Figure:
    """Median over replicates with shaded quantile bands (90% and 50% by default), one fan per group of runs."""
    if series.empty or metric not in series:
        return _empty("no series stored yet")
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
                                     fill="toself", fillcolor=_rgba(color, 0.18), line=dict(width=0),
                                     hoverinfo="skip", name=f"{round(100 * (hi - lo))}% of runs",
                                     legendgroup=str(gname), showlegend=gi == 0))
        fig.add_trace(go.Scatter(x=steps, y=q.median().reindex(steps), mode="lines", line=dict(color=color, width=2),
                                 name=f"{gname} (median of {n} runs)", legendgroup=str(gname),
                                 hovertemplate=f"month %{{x}}: median %{{y:,.4g}} {unit}<extra>{gname}</extra>"))
    fig.update_yaxes(title_text=axis_title(metric))
    _month_axis(fig)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.02, x=0,
                                                                                    yanchor="bottom"))
    return fig


def sensitivity_figure(sens: pd.DataFrame, outcome: str) -> go.Figure:
    """Tornado of input importance: Sobol' S1 and ST with 95% intervals, or signed SRRC for grid/LHS designs."""
    if sens.empty:
        return _empty("no sensitivity yet (too few runs)")
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
        return _empty("no runs finished yet")
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


# ---- Plan --------------------------------------------------------------------------------------------------------


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
        return _empty("no published runs with this figure")
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


# ---- Classroom ---------------------------------------------------------------------------------------------------

_NETWORK_POS = {  # the chain left to right (money flows from end users towards the labellers), outside below
    "Investors (funding)": (3.0, 1.9),
    "End users": (6.0, 0.0),
    ACTOR_LABELS["app"]: (4.5, 0.0),
    ACTOR_LABELS["provider"]: (3.0, 0.0),
    ACTOR_LABELS["trainer"]: (1.5, 0.0),
    ACTOR_LABELS["labeller"]: (0.0, 0.0),
    ACTOR_LABELS["cloud"]: (2.25, -1.3),
    "Workers & staff": (0.4, -2.6),
    "Hardware vendors": (1.7, -2.9),
    "Utilities": (2.9, -2.9),
    "Regulator": (4.1, -2.6),
    "Investors (payouts)": (5.4, -2.0),
}


_SHORT = {ACTOR_LABELS["labeller"]: "Labellers", ACTOR_LABELS["trainer"]: "Labs", ACTOR_LABELS["cloud"]: "Clouds",
          ACTOR_LABELS["provider"]: "APIs", ACTOR_LABELS["app"]: "Apps", "Hardware vendors": "Hardware",
          "Investors (funding)": "Investors (funding)", "Investors (payouts)": "Investors (payouts)"}


def network_figure(flows_by_type: pd.DataFrame, step: int | None = None) -> go.Figure:
    """Who trades with whom: actor types and the outside world as nodes, payments as arrows whose width is money."""
    links = money_flows(flows_by_type, step)
    when = "over the whole run" if step is None else f"in month {step}"
    fig = go.Figure()
    nodes = list(_NETWORK_POS)
    if not links.empty:
        peak = float(links["amount_usd"].max())
        for s, t, v in links.itertuples(index=False):
            if s not in _NETWORK_POS or t not in _NETWORK_POS:
                continue
            (x0, y0), (x1, y1) = _NETWORK_POS[s], _NETWORK_POS[t]
            width = 1 + 14 * math.sqrt(v / peak)
            color = _rgba(_node_color(s), 0.55)
            fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=2, arrowsize=0.6, arrowwidth=width, arrowcolor=color,
                               standoff=16, startstandoff=16, text="")
            fig.add_trace(go.Scatter(x=[(x0 + x1) / 2], y=[(y0 + y1) / 2], mode="markers",
                                     marker=dict(size=14, color="rgba(0,0,0,0)"), showlegend=False,
                                     hovertemplate=f"{s} → {t}: {human(v, 'USD')}<extra></extra>"))
    active = set(links["source"]) | set(links["target"]) if not links.empty else set()
    fig.add_trace(go.Scatter(
        x=[_NETWORK_POS[n][0] for n in nodes], y=[_NETWORK_POS[n][1] for n in nodes], mode="markers+text",
        text=[_SHORT.get(n, n) for n in nodes], customdata=nodes, showlegend=False,
        textposition=["top center" if _NETWORK_POS[n][1] >= 0 else "bottom center" for n in nodes],
        marker=dict(size=[30 if n in active else 16 for n in nodes], color=[_node_color(n) for n in nodes],
                    opacity=[1.0 if n in active else 0.35 for n in nodes], line=dict(width=1, color="#777")),
        hovertemplate="%{customdata}<extra></extra>"))
    fig.update_xaxes(visible=False, range=[-0.7, 6.7])
    fig.update_yaxes(visible=False, range=[-3.4, 2.4])
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"Who pays whom {when} (arrow width ∝ √USD)")
    return fig


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


# ---- Ethics ------------------------------------------------------------------------------------------------------


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
    _month_axis(fig)
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
    _month_axis(fig)
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
    _month_axis(fig)
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
    _month_axis(fig)
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
                                     fillcolor=_rgba(color, 0.15), line=dict(width=0), hoverinfo="skip",
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
