"""The Forecast page's what-if levers: the shared lever definitions (``dashboard.components.levers.LEVERS``: labels,
ranges, help) given a calendar date each, and their translation into ``sim.experiments.forecast.Levers``.

Dated levers take effect at their date (a GPU price or demand shock ``at``, an outside open-weights release ``at``,
a bias-audit mandate ``start_at``), so the forecast before that date is the unmodified one. The carbon price and the
wage floor have no date in the model: they apply from the scenario's start, which the page says.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.components.levers import LEVERS, Lever
from sim.experiments.forecast import Levers
from sim.scenario import BiasAudit
from sim.scenario.calendar import date_of, month_number

PREFIX = "fc_"
DEMAND_SHOCK = Lever("demand_shock_pct", "Demand shock (% change)", "int", -90, 200, 5, fmt="%d%%",
                     help="one-off change of every app category's potential users; 0 = no shock")
DEFAULT_AT = "2027-01"


def month_options(first: str, last: str) -> list[str]:
    return [date_of(n) for n in range(month_number(first), month_number(last) + 1)]


def _slider(container, lever: Lever, default: float = 0) -> Any:
    """A slider for ``lever`` that starts at ``default`` (0: no shock, no carbon price, no wage floor)."""
    kind = int if lever.kind == "int" else float
    st.session_state.setdefault(PREFIX + lever.name, kind(default))
    return container.slider(lever.label, min_value=kind(lever.lo), max_value=kind(lever.hi),
                            step=kind(lever.step), key=PREFIX + lever.name, help=lever.help, format=lever.fmt)


def _date(container, label: str, key: str, options: list[str], disabled: bool) -> str:
    if st.session_state.get(PREFIX + key) not in options:
        st.session_state[PREFIX + key] = DEFAULT_AT if DEFAULT_AT in options else options[len(options) // 2]
    return container.select_slider(label, options=options, key=PREFIX + key, disabled=disabled)


def lever_panel(container, first: str, last: str) -> dict[str, Any]:
    """The what-if levers in ``container``; dates from ``first`` to ``last`` (YYYY-MM), the month after the
    scenario's start to the forecast's end. Returns their values."""
    dates = month_options(first, last)
    v: dict[str, Any] = {}
    with container.expander("Shocks at a date", expanded=True):
        v["shock_pct"] = _slider(st, LEVERS["shock_pct"])
        v["shock_at"] = _date(st, "GPU price shock: date", "shock_at", dates, not v["shock_pct"])
        v["demand_shock_pct"] = _slider(st, DEMAND_SHOCK)
        v["demand_shock_at"] = _date(st, "Demand shock: date", "demand_shock_at", dates, not v["demand_shock_pct"])
        v["ow"] = st.toggle(LEVERS["ow"].label, key=PREFIX + "ow", help=LEVERS["ow"].help)
        v["ow_at"] = _date(st, "Open-weights release: date", "ow_at", dates, not v["ow"])
    with container.expander("Policy", expanded=True):
        v["audit"] = st.toggle(LEVERS["audit"].label, key=PREFIX + "audit", help=LEVERS["audit"].help)
        v["audit_at"] = _date(st, "Bias-audit mandate: from", "audit_at", dates, not v["audit"])
        v["audit_threshold"] = _slider(st, LEVERS["audit_threshold"], BiasAudit().threshold) if v["audit"] else None
        v["carbon"] = _slider(st, LEVERS["carbon"])
        v["wage_floor"] = _slider(st, LEVERS["wage_floor"])
        st.caption("The carbon price and the wage floor have no date in the model: they apply from the "
                   "scenario's start, so they change the past too.")
    return v


def to_levers(v: dict[str, Any]) -> Levers:
    """The ``Levers`` of the panel's values (levers left at zero / off are not applied)."""
    overrides: dict[str, Any] = {}
    shocks = []
    if v.get("shock_pct"):
        shocks.append({"kind": "gpu_price", "change": v["shock_pct"] / 100, "at": v["shock_at"]})
    if v.get("demand_shock_pct"):
        shocks.append({"kind": "demand", "change": v["demand_shock_pct"] / 100, "at": v["demand_shock_at"]})
    if v.get("ow"):
        overrides["policy.open_weights_release.at"] = v["ow_at"]
    if v.get("audit"):
        overrides.update({"policy.bias_audit.enabled": True, "policy.bias_audit.start_at": v["audit_at"],
                          "policy.bias_audit.threshold": float(v["audit_threshold"])})
    if v.get("carbon"):
        overrides["policy.carbon_price_usd_per_tco2"] = float(v["carbon"])
    if v.get("wage_floor"):
        overrides["policy.wage_floor_usd_per_hour"] = float(v["wage_floor"])
    return Levers(overrides=overrides, shocks=shocks)
