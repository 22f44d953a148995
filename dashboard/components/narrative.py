"""Plain-words accounts of one simulated month, stage by stage, generated from that month's metrics and events.

``month_story(metrics, events, scenario, step)`` -> (headline, [(stage, text), ...]). Every number carries its
unit; every "why" names the mechanism of the model that produced the change (price response to utilisation,
adoption closing a share of the gap to target users, labs training when they have the cash, ...).
"""

from __future__ import annotations

import pandas as pd

from dashboard.charts.format import human
from sim.scenario import Scenario

STAGES = ("Data labelling", "Model training", "Model optimisation", "Deployment on cloud hardware",
          "Application development", "Service provision")


def _pct(new: float, old: float) -> float | None:
    if old == 0 or old != old or new != new:
        return None
    return (new - old) / abs(old)


def _change(new: float, old: float, unit_text: str, digits: int = 2) -> str:
    p = _pct(new, old)
    if p is None or abs(p) < 0.005:
        return f"held at {new:,.{digits}f} {unit_text}"
    return f"{'rose' if p > 0 else 'fell'} {abs(p):.0%} to {new:,.{digits}f} {unit_text}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


_TECHNIQUES = {
    "none": "serve their models as trained (bf16)",
    "int8": "quantise their models to int8 (half the GPU time per token, a little more loss)",
    "distill": "distil their models into smaller students, served in int8",
}


def _optimisation_text(scenario: Scenario) -> str:
    """What each kind of lab does to its model before serving it, from the scenario (robust to older schemas)."""
    trainers = scenario.trainers
    opt = getattr(trainers, "optimisation", None)
    if opt is not None:
        by_choice: dict[str, list[str]] = {}
        for strategy in ("frontier", "open_weights", "efficient"):
            choice = getattr(opt, strategy, None)
            if choice is not None:
                by_choice.setdefault(choice, []).append(strategy.replace("_", "-"))
        parts = [f"{' and '.join(who)} labs {_TECHNIQUES.get(choice, choice)}" for choice, who in by_choice.items()]
        ratio = getattr(opt, "distill_size_ratio", None)
        text = "; ".join(parts) + "."
        if ratio and any(getattr(opt, s, None) == "distill" for s in ("frontier", "open_weights", "efficient")):
            text += f" A distilled student has {ratio:.0%} of its teacher's parameters."
        return text
    if getattr(trainers, "quantize_models", False):
        return "models are int8-quantised for serving (half the memory and bandwidth per parameter of bf16)."
    return "models are served as trained."


def month_story(metrics: pd.DataFrame, events: pd.DataFrame, scenario: Scenario, step: int) -> tuple[str, list]:
    """A headline and one paragraph per stage of the chain for month ``step`` (1..horizon)."""
    m = metrics.set_index("step")
    step = int(min(max(step, 1), m.index.max()))
    now, before = m.loc[step], m.loc[step - 1]
    ev = events[events["step"] == step]
    kinds = ev["kind"].value_counts().to_dict()
    first = {c: _first_step(metrics, c) for c in ("models_available", "providers_live", "apps_live")}

    # ---- headline ----------------------------------------------------------------------------------------------
    news = []
    for _, e in ev[ev["kind"] == "shock"].iterrows():
        news.append(f"a shock hits: {e['detail'].replace('gpu_price', 'GPU prices')}")
    for _, e in ev[ev["kind"] == "open_weights_release"].iterrows():
        news.append(f"an outside lab releases open weights ({e['detail']})")
    if first["models_available"] == step:
        news.append("the first models are released")
    if first["providers_live"] == step:
        news.append("the first APIs open")
    if first["apps_live"] == step:
        news.append("the first apps reach end users")
    if kinds.get("exit"):
        news.append(f"{_count(kinds['exit'], 'firm')} leave the market")
    if not news:
        if now["models_available"] == 0:
            news.append("no model exists yet: labs are training and clouds are building capacity")
        else:
            news.append(f"the chain serves {human(now['app_users'], 'users')} through "
                        f"{_count(int(now['apps_live']), 'app')}")
    headline = f"Month {step}: " + "; ".join(news) + "."

    stories: list[tuple[str, str]] = []

    # ---- data labelling ----------------------------------------------------------------------------------------
    if now["labels_bought"] > 0:
        txt = (f"Labs bought {human(now['labels_bought'], 'labels')} for {human(now['label_spend_usd'], 'USD')} "
               f"({now['label_price_usd']:.3f} USD per label). Labelling workers put in "
               f"{human(now['labeller_hours'], 'hours')} at a mean {now['labeller_wage_usd_per_hour']:.2f} USD/hour, "
               f"earning {human(now['labeller_wages_usd'], 'USD')}; the vendors keep the rest as margin.")
    else:
        txt = ("No labels were bought this month: labs buy labels (human judgements used to fine-tune and align a "
               "model) when they start a training run.")
    share = now["labellers_below_living_wage_share"]
    txt += f" {share:.0%} of labelling vendors pay below their region's living wage."
    if scenario.policy.wage_floor_usd_per_hour:
        txt += f" A wage floor of {scenario.policy.wage_floor_usd_per_hour:.2f} USD/hour is in force."
    stories.append((STAGES[0], txt))

    # ---- training ----------------------------------------------------------------------------------------------
    starts = ev[ev["kind"] == "run_started"]
    if now["gpu_hours_training"] > 0:
        txt = f"Labs rented {human(now['gpu_hours_training'], 'GPU-hours')} from the clouds for training. "
    else:
        txt = "No GPU-hours were rented for training this month. "
    txt += (f"At the month's end {_count(int(now['trainers_training']), 'lab')} of {int(now['n_trainers'])} had a "
            "run in progress.")
    if len(starts):
        txt += (f" {_count(len(starts), 'new run')} started (e.g. {starts.iloc[0]['detail']}): a lab starts a run "
                f"when its cash exceeds {human(scenario.trainers.min_cash_to_train_usd, 'USD')}, and commits "
                f"{scenario.trainers.budget_share_per_run:.0%} of it, sized compute-optimally by the scaling law.")
    rel = ev[ev["kind"] == "model_release"]
    if len(rel):
        txt += f" {_count(len(rel), 'model')} finished training and were released ({rel.iloc[0]['detail']})."
    stories.append((STAGES[1], txt))

    # ---- optimisation ------------------------------------------------------------------------------------------
    txt = (f"{_count(int(now['models_available']), 'model')} can be deployed. Before serving, labs optimise their "
           f"models: {_optimisation_text(scenario)}")
    if now["best_model_params"] > 0:
        txt += (f" The largest deployable model has {human(now['best_model_params'], 'parameters')}; the best "
                f"quality index is {now['best_model_quality']:.3f} (0-1, from its scaling-law loss).")
    audits = {k: kinds.get(k, 0) for k in ("audit_pass", "audit_block", "audit_fine")}
    if sum(audits.values()):
        txt += (f" Bias audits: {audits['audit_pass']} passed, {audits['audit_block']} blocked, "
                f"{audits['audit_fine']} fined (threshold {scenario.policy.bias_audit.threshold:.2f}).")
    stories.append((STAGES[2], txt))

    # ---- deployment --------------------------------------------------------------------------------------------
    target = scenario.market.target_gpu_utilization
    util = now["gpu_utilization"]
    why = "utilisation is " + ("above" if util > target else "below" if util < target else "at")
    txt = (f"Clouds run {human(now['gpus_installed'], 'GPUs')}, {util:.0%} of their hours sold. The GPU-hour price "
           f"{_change(now['gpu_price_usd_per_hour'], before['gpu_price_usd_per_hour'], 'USD')}: prices move each "
           f"month with demand ({why} the {target:.0%} target).")
    if kinds.get("shock"):
        txt += " This month's shock moved prices at once."
    if kinds.get("gpu_order"):
        txt += (f" {_count(kinds['gpu_order'], 'GPU order')} placed (clouds expand above "
                f"{scenario.market.expansion_utilization:.0%} utilisation; new GPUs arrive after "
                f"{scenario.market.capacity_lead_time_months} months).")
    if kinds.get("capacity_online"):
        txt += f" {_count(kinds['capacity_online'], 'batch', 'batches')} of ordered GPUs came online."
    if now["providers_live"] > 0:
        txt += f" {_count(int(now['providers_live']), 'API provider')} host models"
        txt += (f", renting {human(now['gpu_hours_inference'], 'GPU-hours')} to serve them."
                if now["gpu_hours_inference"] > 0 else " (no tokens served yet).")
    if kinds.get("api_launch"):
        txt += f" {_count(kinds['api_launch'], 'new API')} opened."
    txt += f" The GPUs drew {human(now['energy_kwh'], 'kWh')} and emitted {human(now['co2_t'], 'tCO2')}."
    stories.append((STAGES[3], txt))

    # ---- application development -------------------------------------------------------------------------------
    launches = ev[ev["kind"] == "app_launch"]
    txt = f"{_count(int(now['apps_live']), 'app')} are live."
    if len(launches):
        cats = launches["detail"].value_counts()
        txt += (f" {_count(len(launches), 'app')} launched (" + ", ".join(f"{n} {c.replace('_', ' ')}"
                                                                           for c, n in cats.items()) + ")")
        txt += (": once an API exists, each waiting developer launches with a "
                f"{scenario.apps.launch_rate_per_month:.0%} "
                "chance a month, choosing among providers by price and model quality.")
    elif now["providers_live"] == 0:
        txt += " Developers wait: no API to build on yet."
    entries = ev[(ev["kind"] == "entry") & (ev["agent_type"] == "app")]
    if len(entries):
        txt += f" {_count(len(entries), 'developer')} entered, drawn by profitable apps."
    stories.append((STAGES[4], txt))

    # ---- service provision -------------------------------------------------------------------------------------
    if now["app_users"] > 0:
        txt = (f"End users: {human(now['app_users'], 'users')} (" +
               (f"{_pct(now['app_users'], before['app_users']):+.1%} on the month" if before["app_users"] > 0
                else "the first ones") +
               f"), spending {human(now['end_user_spend_usd'], 'USD')} on subscriptions. Adoption closes "
               f"{scenario.market.adoption_speed:.0%} of the gap to the users an app's price and quality attract each "
               f"month. Apps paid providers {human(now['api_revenue_usd'], 'USD')} for "
               f"{human(now['tokens_served'], 'tokens')}; the API price "
               f"{_change(now['api_price_usd_per_mtok'], before['api_price_usd_per_mtok'], 'USD per 1M tokens', 3)}. "
               f"Providers passed {human(now['licence_revenue_usd'], 'USD')} to the labs as licence fees. "
               f"API concentration: HHI {now['hhi_api']:,.0f} (0-10,000).")
    else:
        txt = "No end user is served yet: the chain has not reached them."
    stories.append((STAGES[5], txt))
    return headline, stories


def _first_step(metrics: pd.DataFrame, column: str) -> int | None:
    hit = metrics.loc[metrics[column] > 0, "step"]
    return int(hit.iloc[0]) if len(hit) else None


def overview_markdown(metrics: pd.DataFrame, events: pd.DataFrame) -> str:
    """The run in a few plain lines: when the chain formed, where it stands at the horizon, what it cost."""
    m = metrics
    months = m[m["step"] >= 1]
    last = m.iloc[-1]

    def when(column: str) -> str:
        step = _first_step(m, column)
        return f"month {step}" if step is not None else "not within the horizon"

    shocks = events[events["kind"].isin(["shock", "open_weights_release"])] if len(events) else events
    lines = [
        f"- **The chain forms**: first model {when('models_available')}, first API {when('providers_live')}, "
        f"first app {when('apps_live')}; {_count(int(months['models_released'].sum()), 'model')} released in "
        f"{int(last['step'])} months.",
        f"- **At the horizon**: {human(last['app_users'], 'users')} on {int(last['apps_live'])} apps, "
        f"{human(last['tokens_served'], 'tokens')} a month at {last['api_price_usd_per_mtok']:,.3f} USD per 1M "
        f"tokens; GPUs rent at {last['gpu_price_usd_per_hour']:,.2f} USD/hour with "
        f"{last['gpu_utilization']:.0%} of GPU-hours sold.",
        f"- **Concentration**: HHI {last['hhi_training']:,.0f} among labs (licence revenue), "
        f"{last['hhi_api']:,.0f} among API providers (tokens), {last['hhi_cloud']:,.0f} among clouds (GPU-hours).",
        f"- **Labour and planet**: labellers earned {human(months['labeller_wages_usd'].sum(), 'USD')} over the run; "
        f"{last['labellers_below_living_wage_share']:.0%} of vendors pay below their region's living wage; the GPUs "
        f"used {human(months['energy_kwh'].sum(), 'kWh')} and emitted {human(months['co2_t'].sum(), 'tCO2')}.",
        f"- **Bias**: deployed models' parity gap {last['deployed_bias']:.3f}; audits passed "
        f"{int(last['audits_passed'])}, failed {int(last['audits_failed'])}.",
    ]
    if len(shocks):
        lines.append("- **Shocks and releases**: " + "; ".join(
            f"month {int(r.step)}: {r.detail}" for r in shocks.itertuples()) + ".")
    return "\n".join(lines)
