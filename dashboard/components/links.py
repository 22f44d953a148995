"""Links and file names that carry the whole view. The levers travel as URL parameters (``levers.sync_url``); page
state (open tab, chosen series, month, window, Compare selection, replicates) travels through widgets bound to the
URL (``bind="query-params"``, their keys listed in ``levers.PAGE_PARAMS``). Exports are named after the scenario
and the levers that differ from it."""

from __future__ import annotations

import re

from dashboard.components import levers
from sim.scenario import ScenarioError


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def export_stem(scenario_name: str, seed: int) -> str:
    """``gpu_price_crash_shock_pct-50_shock_month24_seed42``: the scenario, each lever that differs from it, the
    seed (what a download of these settings should be called)."""
    parts = [scenario_name]
    try:
        _, base, _, values = levers.current()
        changes = levers.changed(values, levers.values_from_scenario(base))
    except ScenarioError:
        changes = {}
    for name, value in changes.items():
        if name != "seed":
            parts.append(f"{name}{levers.format_url_value(levers.LEVERS[name], value)}")
    parts.append(f"seed{int(seed)}")
    return _safe("_".join(parts))
