"""Headline figures of a run (the KPI cards), each with its unit, and their change against a reference run."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from dashboard.charts.format import human


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float
    unit: str
    text: str
    better: str  # "higher" | "lower" | "neither": colours the delta
    help: str
    absolute_delta: bool = False  # HHI and bias: show the change in points, not percent
    trend: tuple[float, ...] = ()  # month-by-month values behind the figure (sparkline in the card)

    def delta(self, reference: "Kpi | None") -> str | None:
        if reference is None:
            return None
        if self.absolute_delta:
            d = self.value - reference.value
            if abs(d) < 1e-12:
                return "no change vs preset"
            return f"{d:+,.0f} {self.unit} vs preset" if abs(d) >= 10 else f"{d:+.3f} {self.unit} vs preset"
        if reference.value == 0:
            return None if self.value == 0 else f"{human(self.value - reference.value, self.unit)} vs preset (was 0)"
        rel = (self.value - reference.value) / abs(reference.value)
        if abs(rel) < 5e-5:
            return "no change vs preset"
        if abs(rel) >= 1:
            return f"{rel:+,.0%} vs preset"
        return f"{rel:+.1%} vs preset" if abs(rel) >= 0.001 else f"{rel:+.2%} vs preset"

    @property
    def delta_color(self) -> str:
        return {"higher": "normal", "lower": "inverse"}.get(self.better, "off")

    def metric_args(self, reference: "Kpi | None") -> dict:
        """Keyword arguments for ``st.metric``: the delta text, its colour, and no arrow when nothing changed."""
        text = self.delta(reference)
        if text is None:
            return {"delta": None}
        if text.startswith("no change"):
            return {"delta": text, "delta_color": "off", "delta_arrow": "off"}
        return {"delta": text, "delta_color": self.delta_color}


def _final(m: pd.DataFrame, col: str) -> float:
    return float(m[col].iloc[-1]) if len(m) else math.nan


def kpis(metrics: pd.DataFrame) -> list[Kpi]:
    """Ten headline figures: five at the horizon, five over the whole run."""
    m = metrics
    months = m[m["step"] >= 1]
    hours = float(months["labeller_hours"].sum())
    wage = float(months["labeller_wages_usd"].sum()) / hours if hours > 0 else math.nan
    users = _final(m, "app_users")
    tokens = _final(m, "tokens_served")
    spend = float(months["end_user_spend_usd"].sum())
    gpu = _final(m, "gpu_price_usd_per_hour")
    api = _final(m, "api_price_usd_per_mtok")
    released = float(months["models_released"].sum())
    co2 = float(months["co2_t"].sum())
    hhi = _final(m, "hhi_api")
    bias = _final(m, "deployed_bias")
    cards = [
        Kpi("app_users", "App users (last month)", users, "users", human(users, "users"), "higher",
            "end users subscribed to any app at the horizon"),
        Kpi("tokens_served", "Tokens served (last month)", tokens, "tokens/month", human(tokens, "tokens/mo"),
            "higher", "API tokens served to apps in the last month"),
        Kpi("gpu_price", "GPU rental price (last month)", gpu, "USD/GPU-hour", f"{gpu:,.2f} USD/GPU\u2011h", "neither",
            "capacity-weighted mean price of a GPU-hour across clouds"),
        Kpi("api_price", "API price (last month)", api, "USD/1M tokens", f"{api:,.3f} USD/1M tok", "lower",
            "token-weighted mean price providers charge apps"),
        Kpi("hhi_api", "API concentration (HHI)", hhi, "HHI", f"{hhi:,.0f} HHI", "lower",
            "Herfindahl-Hirschman index (0-10,000) of providers' tokens served; above 2,500 = highly concentrated",
            absolute_delta=True),
        Kpi("end_user_spend", "End-user spend (whole run)", spend, "USD", human(spend, "USD"), "neither",
            "end users' subscription payments to apps, summed over all months"),
        Kpi("models_released", "Models released (whole run)", released, "models", f"{released:,.0f} models",
            "higher", "models released by labs or the outside world"),
        Kpi("labeller_wage", "Labeller pay (run mean)", wage, "USD/hour", f"{wage:,.2f} USD/hour", "higher",
            "hours-weighted mean hourly pay of labelling workers over the run"),
        Kpi("co2", "CO2 emitted (whole run)", co2, "tCO2", human(co2, "tCO2"), "lower",
            "emissions of the electricity used by every GPU-hour sold"),
        Kpi("deployed_bias", "Deployed bias (last month)", bias, "parity gap", f"{bias:.3f} parity gap", "lower",
            "token-weighted demographic-parity gap of the models serving tokens (0-1)", absolute_delta=True),
    ]
    trends = {
        "app_users": months["app_users"], "tokens_served": months["tokens_served"],
        "gpu_price": months["gpu_price_usd_per_hour"], "api_price": months["api_price_usd_per_mtok"],
        "hhi_api": months["hhi_api"], "end_user_spend": months["end_user_spend_usd"].cumsum(),
        "models_released": months["models_released"].cumsum(), "labeller_wage": months["labeller_wage_usd_per_hour"],
        "co2": months["co2_t"].cumsum(), "deployed_bias": months["deployed_bias"],
    }
    return [replace(k, trend=_trend(trends.get(k.key))) for k in cards]


def _trend(series: pd.Series | None) -> tuple[float, ...]:
    """The series for a KPI card's sparkline; months without a value (no API yet) are left out."""
    if series is None:
        return ()
    values = pd.to_numeric(series, errors="coerce").dropna()
    return tuple(float(v) for v in values)
