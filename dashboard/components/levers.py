"""Scenario levers: their definitions, the sidebar widgets, and their binding to the URL (``st.query_params``).

A lever's value lives in ``st.session_state["levers"]`` (so it survives page changes, which drop widget state) and
is mirrored into a widget key ``w_<name>`` while a page shows the sidebar. Levers start at the chosen preset's own
values; only levers that differ from the preset are applied (``Scenario.with_overrides``) and written to the URL,
so ``?preset=baseline&carbon=100&audit=1`` is the baseline with a 100 USD/tCO2 carbon price and a bias-audit law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from dashboard.components import state
from sim.scenario import Scenario, ScenarioError, load_scenario, preset_names, scenario_from_yaml

UPLOAD_PREFIX = "upload: "
# URL parameters that are page state, not levers: widgets bound to the URL (``bind="query-params"``) own them
PAGE_PARAMS: set[str] = {"reps", "tab", "series", "ts_ref", "flow_month", "window", "cmp", "cmp_metric", "cls_month"}
DEFAULT_PRESET = "baseline"


@dataclass(frozen=True)
class Lever:
    name: str  # URL key; widget key is "w_" + name
    label: str
    kind: str  # int | float | bool | choice
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    fmt: str | None = None


LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("seed", "Random seed", "int", 0, 2**32 - 1, 1, help="same scenario + seed = identical results"),
    Lever("horizon", "Horizon (months)", "int", 1, 240, 1, help="months simulated"),
    Lever("shock_pct", "GPU price shock (% change)", "int", -90, 200, 5, fmt="%d%%",
          help="one-off change of every cloud's GPU rental price; 0 = no shock (e.g. -50 halves the price)"),
    Lever("shock_month", "GPU price shock: month", "int", 0, 240, 1, help="month the GPU price shock hits"),
    Lever("demand", "Demand growth multiplier (x)", "float", 0.0, 5.0, 0.1, fmt="%.1f x",
          help="scales every app category's monthly growth of potential users (market.demand_growth_multiplier)"),
    Lever("wage_floor", "Labeller wage floor (USD/hour)", "float", 0.0, 40.0, 0.25, fmt="%.2f USD/h",
          help="legal minimum pay for labelling work; 0 = no floor (policy.wage_floor_usd_per_hour)"),
    Lever("audit", "Bias-audit mandate", "bool", help="models must pass a bias audit before deployment"),
    Lever("audit_threshold", "Audit threshold (parity gap, 0-1)", "float", 0.01, 0.30, 0.01, fmt="%.2f",
          help="largest demographic-parity gap a model may have (policy.bias_audit.threshold)"),
    Lever("audit_action", "Failing models are", "choice", choices=("block", "fine"),
          help="blocked from deployment, or deployed and fined (policy.bias_audit.action)"),
    Lever("carbon", "Carbon price (USD/tCO2)", "float", 0.0, 1000.0, 5.0, fmt="%.0f USD/t",
          help="paid by clouds on the CO2 of their electricity (policy.carbon_price_usd_per_tco2)"),
    Lever("ow", "Outside open-weights release", "bool",
          help="an outside lab releases a strong open-weights model (policy.open_weights_release)"),
    Lever("ow_month", "Open-weights release: month", "int", 0, 240, 1),
)}


# ---- scenario <-> lever values ---------------------------------------------------------------------------------


def values_from_scenario(s: Scenario) -> dict[str, Any]:
    """The lever values a scenario has on its own (its 'unmodified' position)."""
    ow_month = s.policy.open_weights_release.month
    return {
        "seed": int(s.seed),
        "horizon": int(s.horizon_months),
        "shock_pct": 0,
        "shock_month": min(24, int(s.horizon_months)),
        "demand": float(s.market.demand_growth_multiplier),
        "wage_floor": float(s.policy.wage_floor_usd_per_hour or 0.0),
        "audit": bool(s.policy.bias_audit.enabled),
        "audit_threshold": float(s.policy.bias_audit.threshold),
        "audit_action": str(s.policy.bias_audit.action),
        "carbon": float(s.policy.carbon_price_usd_per_tco2),
        "ow": ow_month is not None,
        "ow_month": int(ow_month) if ow_month is not None else min(30, int(s.horizon_months)),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def changed(values: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Levers whose value differs from the base scenario's (dependent levers only when their switch is on)."""
    out = {k: v for k, v in values.items() if k in LEVERS and not _same(v, base.get(k))}
    if not values.get("shock_pct"):
        out.pop("shock_month", None)
    if not values.get("audit"):
        out.pop("audit_threshold", None)
        out.pop("audit_action", None)
    if not values.get("ow"):
        out.pop("ow_month", None)
    elif values.get("ow") and not base.get("ow"):
        out["ow_month"] = values["ow_month"]
    return out


def apply(base: Scenario, values: dict[str, Any]) -> Scenario:
    """The base scenario with the levers applied (only those that differ from its own values)."""
    ov = overrides(base, values)
    return base.with_overrides(ov) if ov else base


# lever -> the scenario field it sets (dotted path): the levers a sweep can vary
SWEEPABLE = {"demand": "market.demand_growth_multiplier", "wage_floor": "policy.wage_floor_usd_per_hour",
             "carbon": "policy.carbon_price_usd_per_tco2", "audit_threshold": "policy.bias_audit.threshold"}


def overrides(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """The scenario overrides (dotted paths) the levers that differ from the base scenario's own values make."""
    base_values = values_from_scenario(base)
    diff = changed(values, base_values)
    ov: dict[str, Any] = {}
    if "seed" in diff:
        ov["seed"] = int(diff["seed"])
    if "horizon" in diff:
        ov["horizon_months"] = int(diff["horizon"])
    if "demand" in diff:
        ov["market.demand_growth_multiplier"] = float(diff["demand"])
    if "wage_floor" in diff:
        ov["policy.wage_floor_usd_per_hour"] = float(diff["wage_floor"]) or None
    if "audit" in diff or "audit_threshold" in diff or "audit_action" in diff:
        ov["policy.bias_audit.enabled"] = bool(values["audit"])
        if values["audit"]:
            ov["policy.bias_audit.threshold"] = float(values["audit_threshold"])
            ov["policy.bias_audit.action"] = str(values["audit_action"])
    if "carbon" in diff:
        ov["policy.carbon_price_usd_per_tco2"] = float(diff["carbon"])
    if "ow" in diff or "ow_month" in diff:
        ov["policy.open_weights_release.month"] = int(values["ow_month"]) if values["ow"] else None
    if values.get("shock_pct"):
        shock = {"month": int(values["shock_month"]), "kind": "gpu_price", "change": float(values["shock_pct"]) / 100}
        ov["shocks"] = [sh.model_dump(mode="json") for sh in base.shocks] + [shock]
    return ov


def reference_for(base: Scenario, values: dict[str, Any]) -> Scenario:
    """The unmodified preset with the same seed and horizon: what KPI deltas are measured against."""
    ov = {}
    if int(values["seed"]) != base.seed:
        ov["seed"] = int(values["seed"])
    if int(values["horizon"]) != base.horizon_months:
        ov["horizon_months"] = int(values["horizon"])
    return base.with_overrides(ov) if ov else base


# ---- parsing URL values ------------------------------------------------------------------------------------------


def parse(lever: Lever, text: str) -> Any:
    """A lever value from its URL text; ValueError with the allowed values otherwise."""
    text = str(text).strip()
    if lever.kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{lever.name}={text!r} is not allowed; allowed: 1 or 0")
    if lever.kind == "choice":
        if text in lever.choices:
            return text
        raise ValueError(f"{lever.name}={text!r} is not allowed; allowed: {', '.join(lever.choices)}")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{lever.name}={text!r} is not a number; allowed: {lever.lo:g} to {lever.hi:g}") from None
    if not math.isfinite(number) or not lever.lo <= number <= lever.hi:
        raise ValueError(f"{lever.name}={text!r} is out of range; allowed: {lever.lo:g} to {lever.hi:g}")
    if lever.kind == "int":
        if number != int(number):
            raise ValueError(f"{lever.name}={text!r} is not a whole number; allowed: {lever.lo:g} to {lever.hi:g}")
        return int(number)
    return float(number)


def clamp(lever: Lever, value: Any) -> Any:
    """A value inside the widget's range (a scenario may hold a value beyond the slider's span)."""
    if lever.kind in ("int", "float") and lever.lo is not None and lever.hi is not None:
        value = min(max(value, lever.lo), lever.hi)
        return int(value) if lever.kind == "int" else float(value)
    return value


def format_url_value(lever: Lever, value: Any) -> str:
    if lever.kind == "bool":
        return "1" if value else "0"
    if lever.kind == "float":
        return f"{float(value):g}"
    return str(value)


# ---- sources: presets and uploads --------------------------------------------------------------------------------


def sources() -> list[str]:
    return preset_names() + [UPLOAD_PREFIX + n for n in st.session_state.get("uploads", {})]


def load_source(source: str) -> Scenario:
    if source.startswith(UPLOAD_PREFIX):
        return scenario_from_yaml(st.session_state["uploads"][source[len(UPLOAD_PREFIX):]])
    return _load_preset(source)


@st.cache_data(show_spinner=False)
def _preset_yaml(name: str) -> str:
    return load_scenario(name).to_yaml()


def _load_preset(name: str) -> Scenario:
    return scenario_from_yaml(_preset_yaml(name))


# ---- session state -----------------------------------------------------------------------------------------------


def init_session() -> None:
    """Once per browser session: levers from the URL (``?preset=...&carbon=...``) over the preset's own values.
    URL values that are not allowed are reported (``st.session_state['url_problems']``) and ignored."""
    if "levers" in st.session_state:
        return
    problems: list[str] = []
    params = {k: st.query_params.get(k) for k in st.query_params}
    source = params.get("preset") or DEFAULT_PRESET
    if source not in preset_names():
        problems.append(f"preset={source!r} is not a preset; allowed: {', '.join(preset_names())}")
        source = DEFAULT_PRESET if DEFAULT_PRESET in preset_names() else preset_names()[0]
    values = values_from_scenario(_load_preset(source))
    for name, lever in LEVERS.items():
        if name in params and params[name] is not None:
            try:
                values[name] = parse(lever, params[name])
            except ValueError as exc:
                problems.append(str(exc))
    if "shock_month" in params and "shock_pct" not in params:
        problems.append("shock_month is set without shock_pct; the shock needs both (shock_pct=-50&shock_month=24)")
    if "ow_month" in params and "ow" not in params:
        values["ow"] = True
    unknown = sorted(set(params) - set(LEVERS) - {"preset"} - PAGE_PARAMS)
    if unknown:
        problems.append(f"unknown URL parameters ignored: {', '.join(unknown)}; allowed: preset, "
                        + ", ".join(LEVERS))
    st.session_state["levers"] = {"source": source, **values}
    st.session_state["url_problems"] = problems


def current_values() -> dict[str, Any]:
    init_session()
    return dict(st.session_state["levers"])


def current() -> tuple[str, Scenario, Scenario, dict[str, Any]]:
    """(source, base scenario, scenario with levers, lever values) for the session's current levers.
    Raises ScenarioError if the combination is not allowed."""
    values = current_values()
    source = values.pop("source")
    try:
        base = load_source(source)
    except (KeyError, ScenarioError):  # an upload that is gone: fall back to the default preset
        source = DEFAULT_PRESET
        base = _load_preset(source)
        st.session_state["levers"] = {"source": source, **values_from_scenario(base)}
        values = values_from_scenario(base)
    return source, base, apply(base, values), values


def url_params(source: str, values: dict[str, Any], base: Scenario) -> dict[str, str]:
    """The query string that reproduces these levers: the preset and every lever that differs from it."""
    out: dict[str, str] = {}
    if not source.startswith(UPLOAD_PREFIX):
        out["preset"] = source
    for name, v in changed(values, values_from_scenario(base)).items():
        out[name] = format_url_value(LEVERS[name], v)
    return out


def sync_url(source: str, values: dict[str, Any], base: Scenario) -> None:
    """Write the levers into the URL, leaving the page-state parameters (bound widgets) as they are."""
    params = url_params(source, values, base)
    for k in ["preset", *LEVERS]:
        now = st.query_params.get(k)
        if k in params and now != params[k]:
            st.query_params[k] = params[k]
        elif k not in params and now is not None:
            del st.query_params[k]


def _reset_to_source() -> None:
    """on_change of the source picker: levers jump to the new source's own values."""
    source = st.session_state["w_source"]
    try:
        base = load_source(source)
    except (KeyError, ScenarioError):
        return
    values = values_from_scenario(base)
    st.session_state["levers"] = {"source": source, **values}
    for name, v in values.items():
        st.session_state["w_" + name] = clamp(LEVERS[name], v)


def reset_levers() -> None:
    source = st.session_state["levers"]["source"]
    st.session_state["w_source"] = source
    _reset_to_source()


def _widget(container, lever: Lever, disabled: bool = False, max_value: float | None = None) -> Any:
    key = "w_" + lever.name
    hi = lever.hi if max_value is None else max_value
    if lever.kind == "bool":
        return container.toggle(lever.label, key=key, help=lever.help, disabled=disabled)
    if lever.kind == "choice":
        return container.radio(lever.label, lever.choices, key=key, help=lever.help, horizontal=True,
                               disabled=disabled)
    if lever.name == "seed":
        return container.number_input(lever.label, min_value=int(lever.lo), max_value=int(hi), step=1, key=key,
                                      help=lever.help)
    if lever.kind == "int":
        return container.slider(lever.label, min_value=int(lever.lo), max_value=int(hi), step=int(lever.step),
                                key=key, help=lever.help, disabled=disabled, format=lever.fmt)
    return container.slider(lever.label, min_value=float(lever.lo), max_value=float(hi), step=float(lever.step),
                            key=key, help=lever.help, disabled=disabled, format=lever.fmt)


def sidebar(on_change: Callable[[], None] | None = None) -> tuple[str, Scenario, Scenario, dict[str, Any]] | None:
    """Draw the source picker and the levers in the sidebar; store their values; put them in the URL.

    Returns (source, base, scenario, values), or None after showing an error if the lever combination is not a
    valid scenario (the last good results stay on screen)."""
    init_session()
    stored = st.session_state["levers"]
    options = sources()
    if stored["source"] not in options:
        stored["source"] = DEFAULT_PRESET
    # seed widget keys from the stored levers (widget state is dropped when a page without the sidebar runs)
    if "w_source" not in st.session_state or st.session_state["w_source"] not in options:
        st.session_state["w_source"] = stored["source"]
    for name, lever in LEVERS.items():
        if "w_" + name not in st.session_state:
            st.session_state["w_" + name] = clamp(lever, stored[name])
    sb = st.sidebar
    sb.selectbox("Scenario", options, key="w_source", on_change=_reset_to_source,
                 help="a preset from data/scenarios/, or a YAML file uploaded on the Explore page")
    horizon = int(st.session_state["w_horizon"])
    for name in ("shock_month", "ow_month"):  # month levers cannot lie beyond the horizon
        if st.session_state["w_" + name] > horizon:
            st.session_state["w_" + name] = horizon
    with sb.expander("Market and shocks", expanded=True):
        _widget(st, LEVERS["demand"])
        _widget(st, LEVERS["shock_pct"])
        _widget(st, LEVERS["shock_month"], disabled=not st.session_state["w_shock_pct"], max_value=horizon)
        _widget(st, LEVERS["ow"])
        _widget(st, LEVERS["ow_month"], disabled=not st.session_state["w_ow"], max_value=horizon)
    with sb.expander("Policy", expanded=True):
        _widget(st, LEVERS["wage_floor"])
        _widget(st, LEVERS["carbon"])
        _widget(st, LEVERS["audit"])
        _widget(st, LEVERS["audit_threshold"], disabled=not st.session_state["w_audit"])
        _widget(st, LEVERS["audit_action"], disabled=not st.session_state["w_audit"])
    with sb.expander("Run", expanded=False):
        _widget(st, LEVERS["seed"])
        _widget(st, LEVERS["horizon"])
    values = {name: st.session_state["w_" + name] for name in LEVERS}
    source = st.session_state["w_source"]
    st.session_state["levers"] = {"source": source, **values}
    sb.button("Reset levers to the scenario's own values", on_click=reset_levers, width="stretch")
    for problem in st.session_state.get("url_problems", []):
        sb.warning(f"Link parameter ignored: {problem}")
    try:
        base = load_source(source)
        scenario = apply(base, values)
    except ScenarioError as exc:
        st.error("These lever settings do not make a valid scenario:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
        return None
    sync_url(source, values, base)
    sb.caption(state.estimate_text(scenario))
    link = "?" + "&".join(f"{k}={v}" for k, v in url_params(source, values, base).items())
    # plain text (st.code would load a 1.5 MB syntax highlighter); a zero-width space after each & lets it wrap
    sb.caption("Share this view: the page URL holds the levers and the page's state (tab, series, month, selection, "
               "replicates); the levers alone: **" + link.replace("&", "&\u200b") + "**"
               + (". Uploaded scenarios cannot travel in a link; download their YAML instead."
                  if source.startswith(UPLOAD_PREFIX) else ""))
    return source, base, scenario, values
