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
        if not (math.isfinite(self.value) and math.isfinite(reference.value)):
            return None  # a figure missing in either run has no change to show
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


# key -> (label, unit, better, help, absolute delta); the order is the cards' order
CARDS: dict[str, tuple[str, str, str, str, bool]] = {
    "app_users": ("App users (last month)", "users", "higher", "end users subscribed to any app at the horizon",
                  False),
    "tokens_served": ("Tokens served (last month)", "tokens/month", "higher",
                      "API tokens served to apps in the last month", False),
    "gpu_price": ("GPU rental price (last month)", "USD/GPU-hour", "neither",
                  "capacity-weighted mean price of a GPU-hour across clouds", False),
    "api_price": ("API price (last month)", "USD/1M tokens", "lower", "token-weighted mean price providers charge apps",
                  False),
    "hhi_api": ("API concentration (HHI)", "HHI", "lower",
                "Herfindahl-Hirschman index (0-10,000) of providers' tokens served; above 2,500 = highly concentrated",
                True),
    "end_user_spend": ("End-user spend (whole run)", "USD", "neither",
                       "end users' subscription payments to apps, summed over all months", False),
    "models_released": ("Models released (whole run)", "models", "higher",
                        "models released by labs or the outside world", False),
    "labeller_wage": ("Labeller pay (run mean)", "USD/hour", "higher",
                      "hours-weighted mean hourly pay of labelling workers over the run", False),
    "co2": ("CO2 emitted (whole run)", "tCO2", "lower", "emissions of the electricity used by every GPU-hour sold",
            False),
    "deployed_bias": ("Deployed bias (last month)", "parity gap", "lower",
                      "token-weighted demographic-parity gap of the models serving tokens (0-1)", True),
}
# what a card says when its figure does not exist in the run (never "nan")
MISSING = {"api_price": "— (no tokens served)", "deployed_bias": "— (no model deployed)",
           "labeller_wage": "— (no labelling work)"}


def format_value(key: str, value: float) -> str:
    """A card's figure with its unit; a figure the run does not have is a dash with the reason."""
    if value is None or not math.isfinite(value):
        return MISSING.get(key, "— (not in this run)")
    return {
        "app_users": lambda v: human(v, "users"),
        "tokens_served": lambda v: human(v, "tokens/mo"),
        "gpu_price": lambda v: f"{v:,.2f} USD/GPU\u2011h",
        "api_price": lambda v: f"{v:,.3f} USD/1M tok",
        "hhi_api": lambda v: f"{v:,.0f} HHI",
        "end_user_spend": lambda v: human(v, "USD"),
        "models_released": lambda v: f"{v:,.0f} models",
        "labeller_wage": lambda v: f"{v:,.2f} USD/hour",
        "co2": lambda v: human(v, "tCO2"),
        "deployed_bias": lambda v: f"{v:.3f} parity gap",
    }[key](value)


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
    values = {"app_users": users, "tokens_served": tokens, "gpu_price": gpu, "api_price": api, "hhi_api": hhi,
              "end_user_spend": spend, "models_released": released, "labeller_wage": wage, "co2": co2,
              "deployed_bias": bias}
    cards = [Kpi(key, label, values[key], unit, format_value(key, values[key]), better, help_text, absolute_delta=ab)
             for key, (label, unit, better, help_text, ab) in CARDS.items()]
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
