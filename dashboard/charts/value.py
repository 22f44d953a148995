"""Who captures the value: each stage's revenue, costs, profit and margin over a window of months, over the seeds,
against the reference scenario on the same seeds; and the difference Sankey (which payments grew or shrank)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.flows import money_flows, value_captured
from dashboard.charts.format import human
from dashboard.charts.style import ACTOR_COLORS, ACTOR_ORDER, empty_figure


def _window(flows_by_type: pd.DataFrame, start: int) -> pd.DataFrame:
    return flows_by_type[flows_by_type["step"] >= start]


def stage_accounts(flows: list[pd.DataFrame], start: int = 1) -> pd.DataFrame:
    """Per seed and stage over months >= ``start``: revenue, costs, profit (= value captured) and margin
    (profit / revenue; NaN without revenue), in USD. Financing (funding, payouts) is left out."""
    rows = []
    for i, f in enumerate(flows):
        v = value_captured(_window(f, start)).rename(columns={"value_captured_usd": "profit_usd"})
        v["seed_index"] = i
        rows.append(v)
    out = pd.concat(rows, ignore_index=True)
    out["margin"] = np.where(out["revenue_usd"] > 0, out["profit_usd"] / out["revenue_usd"].where(
        out["revenue_usd"] > 0), np.nan)
    return out


def accounts_table(scenario: list[pd.DataFrame], reference: list[pd.DataFrame] | None, start: int) -> pd.DataFrame:
    """One row per stage: the medians over the seeds, and with a reference the median paired change of profit
    and its 5-95% range over the seeds."""
    a = stage_accounts(scenario, start)
    med = a.groupby("agent_type", sort=False)[["revenue_usd", "costs_usd", "profit_usd", "margin"]].median()
    med = med.reindex(list(ACTOR_ORDER))
    med.insert(0, "stage", a.drop_duplicates("agent_type").set_index("agent_type")["stage"].reindex(med.index))
    if reference is not None and len(reference) == len(scenario):
        r = stage_accounts(reference, start)
        d = a.set_index(["agent_type", "seed_index"])["profit_usd"] - r.set_index(["agent_type", "seed_index"])[
            "profit_usd"]
        g = d.groupby(level=0)
        med["reference_profit_usd"] = r.groupby("agent_type")["profit_usd"].median().reindex(med.index)
        med["profit_change_usd"] = g.median().reindex(med.index)
        med["change_q05_usd"] = g.quantile(0.05).reindex(med.index)
        med["change_q95_usd"] = g.quantile(0.95).reindex(med.index)
        med["reference_margin"] = r.groupby("agent_type")["margin"].median().reindex(med.index)
    return med.reset_index()


def profit_change_figure(table: pd.DataFrame, start: int) -> go.Figure:
    """Each stage's profit over the window: the median change against the reference with the 90% range of the
    paired seeds' changes (or the profit itself without a reference)."""
    has_ref = "profit_change_usd" in table
    y = table["profit_change_usd"] if has_ref else table["profit_usd"]
    fig = go.Figure(go.Bar(
        x=table["stage"], y=y, marker_color=[ACTOR_COLORS[a] for a in table["agent_type"]],
        error_y=dict(type="data", symmetric=False, array=(table["change_q95_usd"] - y) if has_ref else None,
                     arrayminus=(y - table["change_q05_usd"]) if has_ref else None, visible=has_ref),
        customdata=[human(v, "USD") for v in y],
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.add_hline(y=0, line_width=1, line_color="#8c8c8c")
    what = "change of profit vs the reference (median of paired seeds; bars: 90% of seeds)" if has_ref else \
        "profit = revenue minus costs (median of seeds)"
    fig.update_yaxes(title_text=f"{what}, USD")
    fig.update_xaxes(title_text=f"stage of the chain, months {start} to the horizon (financing excluded)")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), showlegend=False)
    return fig


def _mean_links(flows: list[pd.DataFrame], start: int) -> pd.Series:
    links = [money_flows(_window(f, start)).set_index(["source", "target"])["amount_usd"] for f in flows]
    return pd.concat(links, axis=1).fillna(0.0).mean(axis=1)


def difference_sankey_figure(scenario: list[pd.DataFrame], reference: list[pd.DataFrame], start: int) -> go.Figure:
    """Payments between the same nodes as the money-flow Sankey, each band as wide as its change against the
    reference (mean over the seeds): green where the scenario pays more, red where it pays less."""
    diff = _mean_links(scenario, start).sub(_mean_links(reference, start), fill_value=0.0)
    diff = diff[diff.abs() > 1e-6 * max(1.0, float(diff.abs().max()))]
    if diff.empty:
        return empty_figure("no payment differs from the reference")
    diff = diff.reindex(diff.abs().sort_values(ascending=False).index)
    nodes = list(dict.fromkeys([n for pair in diff.index for n in pair]))
    index = {n: i for i, n in enumerate(nodes)}
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",.0f",
        node=dict(label=nodes, pad=14, thickness=16, color="#b0b0b0"),
        link=dict(source=[index[s] for s, _ in diff.index], target=[index[t] for _, t in diff.index],
                  value=diff.abs().tolist(),
                  color=["rgba(42,161,152,0.55)" if v > 0 else "rgba(192,80,80,0.55)" for v in diff],
                  customdata=[f"{'+' if v > 0 else '-'}{human(abs(v), 'USD')}" for v in diff],
                  hovertemplate="%{source.label} → %{target.label}: %{customdata} vs the reference<extra></extra>")))
    fig.update_layout(title=f"Change of the money flows from month {start} (green: more than the reference, red: "
                            "less; mean of the seeds)", height=460, margin=dict(l=10, r=10, t=50, b=10))
    return fig
