"""Names, units and number formatting shared by every chart and page: a metric's label and unit, an axis title,
and ``human(4.4e9, "USD") -> "4.40B USD"``."""

from __future__ import annotations

import math
import re

from sim.metrics import METRICS

# metric -> (short label, unit shown on axes and in hovers)
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
