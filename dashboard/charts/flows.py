"""Money flows: who pays whom between the chain's actor types and the outside world. The Sankey diagram, the value
each stage captures, and the classroom's money network are built from the same aggregation (``money_flows``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.format import human
from dashboard.charts.style import ACTOR_COLORS, ACTOR_LABELS, ACTOR_ORDER, OUTSIDE_COLORS, empty_figure, rgba

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
# payments that are financing rather than trade: left out of "value captured"
FINANCING = ("investment", "debt_writeoff", "exit_payout")


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


def sankey_figure(flows_by_type: pd.DataFrame, step: int | None = None, title: str | None = None) -> go.Figure:
    """Money between the actor types and the outside world (end users, investors, workers & staff, hardware vendors,
    utilities, regulator) in one month (``step``) or over the whole run (``None``)."""
    links = money_flows(flows_by_type, step)
    when = "the whole run" if step is None else f"month {step}"
    if links.empty:
        return empty_figure(f"no payments in {when}")
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
                  value=links["amount_usd"].tolist(), color=[rgba(_node_color(s), 0.35) for s in links["source"]],
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
            color = rgba(_node_color(s), 0.55)
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
