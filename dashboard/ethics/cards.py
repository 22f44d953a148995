"""The Ethics page's five headline cards: labeller pay, vendors below a living wage, labelling's share of end users'
spend, CO2, and bias audits; deltas against the unmodified preset at the same seed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts.format import human
from dashboard.components import kpis
from dashboard.components.state import RunView


def _share(frame: pd.DataFrame, num: str) -> float:
    spend = frame["end_user_spend_usd"].sum()
    return float(frame[num].sum() / spend) if spend > 0 else float("nan")


def _delta(now: float, ref: float | None, unit: str, digits: int = 2, pct_points: bool = False,
           color: str = "normal") -> dict:
    """st.metric delta arguments: the change in (percentage) points, or no arrow when nothing changed."""
    if ref is None or ref != ref:
        return {"delta": None}
    d = now - ref
    if abs(d) < 10 ** -(digits + 2):
        return {"delta": "no change vs preset", "delta_color": "off", "delta_arrow": "off"}
    text = f"{100 * d:+.{digits}f} points vs preset" if pct_points else f"{d:+,.{digits}f} {unit} vs preset"
    return {"delta": text, "delta_color": color}


def headline_cards(view: RunView, ref_view: RunView | None) -> None:
    sc, m = view.scenario, view.metrics
    months = m[m["step"] >= 1]
    ref_m = ref_view.metrics if ref_view is not None else None
    ref_months = ref_m[ref_m["step"] >= 1] if ref_m is not None else None
    k = {x.key: x for x in kpis.kpis(m)}
    rk = {x.key: x for x in kpis.kpis(ref_m)} if ref_m is not None else {}
    min_living = min(r.living_wage_usd_per_hour for r in sc.labellers.regions)
    below_now = float(m["labellers_below_living_wage_share"].iloc[-1])
    share_now = _share(months, "label_spend_usd")
    wages_now = _share(months, "labeller_wages_usd")
    c = st.columns(5)
    c[0].metric("Labeller pay (run mean)", k["labeller_wage"].text,
                help=f"hours-weighted; the lowest regional living wage is {min_living:.2f} USD/hour", border=True,
                **k["labeller_wage"].metric_args(rk.get("labeller_wage")))
    c[1].metric("Vendors below living wage", f"{below_now:.0%} of vendors",
                **_delta(below_now, float(ref_m["labellers_below_living_wage_share"].iloc[-1]) if ref_m is not None
                         else None, "", 0, pct_points=True, color="inverse"), border=True,
                help="share of labelling vendors paying under their region's living wage, at the horizon")
    c[2].metric("Labelling's share of user spend", f"{100 * share_now:.4f} %",
                **_delta(share_now, _share(ref_months, "label_spend_usd") if ref_months is not None else None, "", 4,
                         pct_points=True), border=True,
                help=f"label purchases / end-user spend over the run; workers' wages alone: {100 * wages_now:.4f} %")
    c[3].metric("CO2 (whole run)", k["co2"].text, help=f"electricity {human(months['energy_kwh'].sum(), 'kWh')}",
                border=True, **k["co2"].metric_args(rk.get("co2")))
    fines = float(months["audit_fines_usd"].sum())
    c[4].metric("Bias audits",
                f"{int(m['audits_passed'].iloc[-1])} passed, {int(m['audits_failed'].iloc[-1])} failed",
                help=f"fines paid: {human(fines, 'USD')}; deployed bias at the horizon {k['deployed_bias'].text}",
                border=True)
