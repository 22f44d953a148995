"""Plausibility checks over one run's frames: states the model reached that an analyst should not take at face
value. ``run_checks(scenario, metrics, flows) -> [Finding]``, each with the month it starts and the figure.

* ``gpu_below_cost``: GPUs rent below their energy plus depreciation (``sim.diagnostics.costs``);
* ``labels_below_wages``: a label sells for less than the wages it took;
* ``chain_never_forms``: no model, API or app within the horizon;
* ``price_floor`` / ``price_ceiling``: the clouds' repricing sits on its floor or ceiling (the bound binds);
* ``audit_never_fails``: a bias-audit mandate under which no model ever fails (its action never acts);
* ``nothing_deployed``: a mandate that blocks every model, so no API ever opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.diagnostics.costs import gpu_cost_floor
from sim.diagnostics.prices import price_parts

BOUND_TOLERANCE = 0.01  # within 1% of the floor or ceiling counts as on it (fleet weights drift a little)


@dataclass(frozen=True)
class Finding:
    kind: str
    month: int | None  # first month it holds (None: the whole run)
    months: int  # how many months it holds
    message: str  # plain words with the figures


def _first(mask: pd.Series, steps: pd.Series) -> tuple[int | None, int]:
    hit = steps[mask.to_numpy()]
    return (int(hit.iloc[0]) if len(hit) else None), int(mask.sum())


def run_checks(scenario, metrics: pd.DataFrame, flows: pd.DataFrame,
               parts: pd.DataFrame | None = None) -> list[Finding]:
    """The findings of one run (``parts``: its ``price_parts`` when already computed)."""
    m = metrics[metrics["step"] >= 1].reset_index(drop=True)
    out: list[Finding] = []
    if m.empty:
        return out
    steps = m["step"]
    horizon = int(steps.max())
    cost = gpu_cost_floor(scenario, steps.to_numpy())
    price = m["gpu_price_usd_per_hour"].to_numpy()
    mc = cost["marginal_cost_usd_per_gpu_hour"].to_numpy()
    first, n = _first(pd.Series(price < mc), steps)
    if first is not None:
        i = int(np.argmax(price < mc))
        out.append(Finding("gpu_below_cost", first, n,
                           f"From month {first} GPUs rent at {price[i]:,.2f} USD per GPU-hour, below their energy "
                           f"({cost['energy_usd_per_gpu_hour'].iloc[i]:,.2f}) plus depreciation "
                           f"({cost['depreciation_usd_per_gpu_hour'].iloc[i]:,.2f}) = {mc[i]:,.2f} USD; "
                           f"{n} of {horizon} months are below that cost."))
    floor = cost["price_floor_usd_per_hour"].to_numpy()
    ceiling = cost["price_ceiling_usd_per_hour"].to_numpy()
    for kind, mask, bound, word in (("price_floor", price <= floor * (1 + BOUND_TOLERANCE), floor, "floor"),
                                    ("price_ceiling", price >= ceiling * (1 - BOUND_TOLERANCE), ceiling,
                                     "ceiling")):
        first, n = _first(pd.Series(mask), steps)
        if first is not None:
            i = int(np.argmax(mask))
            share = scenario.market.gpu_price_floor_share if word == "floor" else 4.0
            out.append(Finding(kind, first, n,
                               f"The GPU price sits on its {word} ({share:g} x the reference price, "
                               f"{bound[i]:,.2f} USD per GPU-hour) from month {first}, in {n} of {horizon} months: "
                               f"the bound, not supply and demand, sets the price there."))
    parts = price_parts(metrics, flows) if parts is None else parts
    below = parts["label_price_usd"] < parts["label_wages_usd_per_label"] * (1 - 1e-9)
    first, n = _first(below.fillna(False), parts["step"])
    if first is not None:
        i = int(np.argmax(below.fillna(False).to_numpy()))
        out.append(Finding("labels_below_wages", first, n,
                           f"In month {first} labels sell at {parts['label_price_usd'].iloc[i]:,.4f} USD, below the "
                           f"wages they took ({parts['label_wages_usd_per_label'].iloc[i]:,.4f} USD per label)."))
    for col, what in (("models_available", "no model is released"), ("providers_live", "no API opens"),
                      ("apps_live", "no app reaches end users")):
        if float(m[col].max()) <= 0:
            out.append(Finding("chain_never_forms", None, horizon,
                               f"The chain never forms: {what} within the {horizon} months, so prices, users and "
                               "shares after that stage are empty (not zero)."))
            break
    audit = scenario.policy.bias_audit
    last = m.iloc[-1]
    if audit.enabled:
        passed, failed = int(last["audits_passed"]), int(last["audits_failed"])
        if passed > 0 and failed == 0:
            out.append(Finding("audit_never_fails", None, horizon,
                               f"The bias audit never fails a model: {passed} passed at threshold "
                               f"{audit.threshold:g}, so its action ({audit.action}) never acts; lower the threshold "
                               f"to see it bind (deployed bias at the horizon {last['deployed_bias']:.3f})."))
        if failed > 0 and float(m["providers_live"].max()) <= 0:
            out.append(Finding("nothing_deployed", None, horizon,
                               f"Every audited model fails (threshold {audit.threshold:g}, {failed} failed) and is "
                               f"{'blocked' if audit.action == 'block' else 'fined'}: no API opens in {horizon} "
                               "months."))
    return out
