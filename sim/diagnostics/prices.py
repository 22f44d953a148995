"""Why a headline price is what it is: the API, GPU and label prices split into their parts, month by month, from a
run's ledger (``flows``) and ``metrics``; and, between two scenarios, which part moved the price most.

* API price per 1M tokens = serving cost (the inference GPU-hours the providers paid for) + licence fee (paid to
  the model's lab) + providers' margin (the rest). Serving cost = GPU-hours per 1M tokens (the size of the models
  served, on the reference hardware) x the price paid per GPU-hour.
* GPU price per GPU-hour = energy and carbon per GPU-hour sold + depreciation of the GPU + the cloud's rent above
  both; the rent follows utilisation (hours sold / hours in the fleet) and the fleet.
* Label price = the workers' wages per label + the vendor's margin; aggregation (several labels per example) buys
  more labels, not dearer ones.

Every part is an accounting identity over payments actually made, so the parts add up to the price paid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.diagnostics.costs import gpu_cost_floor


def _by_category(flows: pd.DataFrame) -> pd.DataFrame:
    """Payments per step and category (works on the per-payment ledger or on flows aggregated by actor type)."""
    if flows.empty:
        return pd.DataFrame()
    return flows.groupby(["step", "category"])["amount_usd"].sum().unstack(fill_value=0.0)


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    den = den.astype(float)
    return (num.astype(float) * scale).where(den > 0) / den.where(den > 0)


def price_parts(metrics: pd.DataFrame, flows: pd.DataFrame, scenario=None) -> pd.DataFrame:
    """One row per month (step >= 1): each headline price and its parts (USD; see the module text). With the
    ``scenario`` the GPU price's depreciation per GPU-hour is included (``sim.diagnostics.costs``)."""
    m = metrics[metrics["step"] >= 1].set_index("step")
    cat = _by_category(flows).reindex(m.index, fill_value=0.0)

    def paid(name: str) -> pd.Series:
        return cat[name] if name in cat.columns else pd.Series(0.0, index=m.index)

    tokens = m["tokens_served"]
    out = pd.DataFrame(index=m.index)
    out["api_price_usd_per_mtok"] = _ratio(paid("api_tokens"), tokens, 1e6)
    out["api_serving_usd_per_mtok"] = _ratio(paid("inference_gpu_hours"), tokens, 1e6)
    out["api_licence_usd_per_mtok"] = _ratio(paid("model_licence"), tokens, 1e6)
    out["api_margin_usd_per_mtok"] = (out["api_price_usd_per_mtok"] - out["api_serving_usd_per_mtok"]
                                      - out["api_licence_usd_per_mtok"])
    out["serving_gpu_hours_per_mtok"] = _ratio(m["gpu_hours_inference"], tokens, 1e6)
    out["serving_gpu_price_usd_per_hour"] = _ratio(paid("inference_gpu_hours"), m["gpu_hours_inference"])
    hours = m["gpu_hours_training"] + m["gpu_hours_inference"]
    out["gpu_price_usd_per_hour"] = m["gpu_price_usd_per_hour"]
    out["gpu_energy_usd_per_hour"] = _ratio(paid("energy") + paid("carbon_tax"), hours)
    if scenario is not None:
        floor = gpu_cost_floor(scenario, m.index.to_numpy())
        out["gpu_depreciation_usd_per_hour"] = floor["depreciation_usd_per_gpu_hour"].to_numpy()
    else:
        out["gpu_depreciation_usd_per_hour"] = np.nan
    out["gpu_rent_usd_per_hour"] = (out["gpu_price_usd_per_hour"] - out["gpu_energy_usd_per_hour"]
                                    - out["gpu_depreciation_usd_per_hour"].fillna(0.0))
    out["gpu_utilization"] = m["gpu_utilization"]
    out["gpus_installed"] = m["gpus_installed"]
    labels = m["labels_bought"]
    out["label_price_usd"] = _ratio(paid("labels"), labels)
    out["label_wages_usd_per_label"] = _ratio(paid("labeller_wages"), labels)
    out["label_margin_usd_per_label"] = out["label_price_usd"] - out["label_wages_usd_per_label"]
    out["labels_bought"] = labels
    out["best_model_params"] = m["best_model_params"]
    return out.reset_index()


# ---- which part moved ------------------------------------------------------------------------------------------

API_PARTS = {"api_serving_usd_per_mtok": "serving cost of the hosted models",
             "api_licence_usd_per_mtok": "licence fee to the labs",
             "api_margin_usd_per_mtok": "providers' margin"}
GPU_PARTS = {"gpu_energy_usd_per_hour": "energy and carbon", "gpu_depreciation_usd_per_hour": "depreciation",
             "gpu_rent_usd_per_hour": "clouds' rent above cost (follows utilisation)"}
LABEL_PARTS = {"label_wages_usd_per_label": "workers' wages", "label_margin_usd_per_label": "vendors' margin"}


@dataclass(frozen=True)
class PartChange:
    name: str  # column
    label: str
    reference: float
    scenario: float

    @property
    def change(self) -> float:
        return self.scenario - self.reference


@dataclass(frozen=True)
class PriceChange:
    """A price in a scenario against the reference (means over seeds at one month) and the change of its parts,
    largest move first."""

    price: str
    reference: float
    scenario: float
    parts: tuple[PartChange, ...]
    context: dict  # extra figures (reference, scenario) the sentence may quote

    @property
    def driver(self) -> PartChange | None:
        moved = [p for p in self.parts if math.isfinite(p.change)]
        return max(moved, key=lambda p: abs(p.change)) if moved else None


def _mean_at(parts: list[pd.DataFrame], steps, column: str) -> float:
    """Mean over the seeds of each seed's mean over ``steps`` (months without a value left out)."""
    vals = []
    for p in parts:
        v = p.loc[p["step"].isin(list(steps)), column].astype(float)
        v = v[np.isfinite(v)]
        if len(v):
            vals.append(float(v.mean()))
    return float(np.mean(vals)) if vals else math.nan


def compare_price(price: str, parts_map: dict[str, str], scenario_parts: list[pd.DataFrame],
                  reference_parts: list[pd.DataFrame], steps, context_columns: tuple[str, ...] = ()
                  ) -> PriceChange:
    """The change of ``price`` and of each of its parts over the months ``steps`` (means over the seeds'
    ``price_parts``)."""
    parts = tuple(sorted((PartChange(c, lab, _mean_at(reference_parts, steps, c), _mean_at(scenario_parts, steps, c))
                          for c, lab in parts_map.items()),
                         key=lambda p: -abs(p.change) if math.isfinite(p.change) else 0.0))
    context = {c: (_mean_at(reference_parts, steps, c), _mean_at(scenario_parts, steps, c)) for c in context_columns}
    return PriceChange(price, _mean_at(reference_parts, steps, price), _mean_at(scenario_parts, steps, price), parts,
                       context)


def serving_split(change: PriceChange) -> tuple[float, float] | None:
    """The serving cost's change split (midpoint rule, exact sum) into the effect of the GPU-hours per 1M tokens
    (the models' size) and of the price paid per GPU-hour."""
    try:
        h0, h1 = change.context["serving_gpu_hours_per_mtok"]
        p0, p1 = change.context["serving_gpu_price_usd_per_hour"]
    except KeyError:
        return None
    if not all(math.isfinite(x) for x in (h0, h1, p0, p1)):
        return None
    return (h1 - h0) * (p0 + p1) / 2.0, (p1 - p0) * (h0 + h1) / 2.0


def compare_api_price(scenario_parts, reference_parts, steps) -> PriceChange:
    return compare_price("api_price_usd_per_mtok", API_PARTS, scenario_parts, reference_parts, steps,
                         ("serving_gpu_hours_per_mtok", "serving_gpu_price_usd_per_hour", "best_model_params"))


def compare_gpu_price(scenario_parts, reference_parts, steps) -> PriceChange:
    return compare_price("gpu_price_usd_per_hour", GPU_PARTS, scenario_parts, reference_parts, steps,
                         ("gpu_utilization", "gpus_installed"))


def compare_label_price(scenario_parts, reference_parts, steps) -> PriceChange:
    return compare_price("label_price_usd", LABEL_PARTS, scenario_parts, reference_parts, steps, ("labels_bought",))


def _pct(new: float, old: float) -> str:
    if not (math.isfinite(new) and math.isfinite(old)) or old == 0:
        return "n/a"
    return f"{(new - old) / abs(old):+.0%}"


def _si(x: float) -> str:
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.2g}{suf}" if abs(x) / div < 10 else f"{x / div:,.0f}{suf}"
    return f"{x:,.2g}"


def api_sentence(change: PriceChange, month_text: str) -> str:
    """One sentence naming the part of the API price that moved most, with the figures."""
    unit = "USD per 1M tokens"
    if not (math.isfinite(change.scenario) and math.isfinite(change.reference)):
        return f"The API price cannot be compared at {month_text}: one of the runs serves no tokens then."
    d = change.driver
    head = (f"At {month_text} the API price is {change.scenario:,.3f} {unit} against {change.reference:,.3f} in the "
            f"reference ({_pct(change.scenario, change.reference)})")
    if d is None or abs(d.change) < 1e-12:
        return head + "; none of its parts moved."
    text = (f"{head}; the part that moved most is the {d.label}, {d.reference:,.3f} -> {d.scenario:,.3f} "
            f"({d.change:+,.3f})")
    if d.name == "api_serving_usd_per_mtok":
        split = serving_split(change)
        if split is not None:
            size, gpu = split
            h0, h1 = change.context["serving_gpu_hours_per_mtok"]
            p0, p1 = change.context["serving_gpu_price_usd_per_hour"]
            b0, b1 = change.context["best_model_params"]
            text += (f": GPU-hours per 1M tokens {h0:,.3g} -> {h1:,.3g} ({_pct(h1, h0)}, worth {size:+,.3f}; the "
                     f"largest deployable model {_si(b0)} -> {_si(b1)} parameters) and the GPU-hour price paid "
                     f"{p0:,.2f} -> {p1:,.2f} USD ({_pct(p1, p0)}, worth {gpu:+,.3f})")
    others = [p for p in change.parts if p is not d and math.isfinite(p.change)]
    if others:
        text += "; " + ", ".join(f"{p.label} {p.change:+,.3f}" for p in others)
    return text + "."


def simple_sentence(change: PriceChange, what: str, unit: str, month_text: str, digits: int = 2) -> str:
    """The same for the GPU and label prices."""
    if not (math.isfinite(change.scenario) and math.isfinite(change.reference)):
        return f"The {what} cannot be compared at {month_text}: one of the runs has none then."
    d = change.driver
    text = (f"The {what} is {change.scenario:,.{digits}f} {unit} against {change.reference:,.{digits}f} "
            f"({_pct(change.scenario, change.reference)})")
    if d is not None and abs(d.change) > 0:
        text += f", most of it in the {d.label} ({d.change:+,.{digits}f})"
    for col, (a, b) in change.context.items():
        if col == "gpu_utilization":
            text += f"; utilisation {a:.0%} -> {b:.0%}"
        elif col == "gpus_installed":
            text += f"; fleet {_si(a)} -> {_si(b)} GPUs"
        elif col == "labels_bought":
            text += f"; labels bought that month {_si(a)} -> {_si(b)}"
    return text + "."
