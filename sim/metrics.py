"""The per-month metrics a run reports (``metrics.parquet``), with meaning and unit.

One row per step: step 0 is the state after set-up, step k the state after month k. Flow quantities (spend, tokens,
energy) are totals for that month; stocks (prices, counts, HHI) are end-of-month values. The stages fill the month's
figures as they go (``Month.metrics``); ``record`` completes them at the end of the month and hands them to the
model's DataCollector.
"""

from __future__ import annotations

import numpy as np

from sim.actors import AppDeveloper, CloudHost, DataLabeller, ModelTrainer, ServiceProvider
from sim.markets.clearing import hhi
from sim.markets.gpu_hours import equivalent_gpu_price
from sim.markets.licences import candidate_models
from sim.month import Month

METRICS: dict[str, str] = {
    "step": "month index (0 = after set-up)",
    "date": "calendar month of the row (YYYY-MM): the scenario's start_date + step months",
    "gpu_price_usd_per_hour": "capacity-weighted mean rental price of a GPU-hour across clouds (USD per GPU-hour)",
    "gpu_price_h100_equiv_usd_per_hour": "market price of an H100-SXM's worth of peak FLOP/s for an hour (USD)",
    "gpu_utilization": "GPU-hours sold / GPU-hours available this month (0-1)",
    "gpus_installed": "GPUs in all clouds' fleets (count)",
    "gpu_hours_training": "GPU-hours sold to training runs this month",
    "gpu_hours_inference": "GPU-hours sold to API serving this month",
    "api_price_usd_per_mtok": "token-weighted mean API price (USD per 1M tokens); listed mean before any token is served",
    "tokens_served": "API tokens served to apps this month (tokens)",
    "api_revenue_usd": "apps' payments to service providers this month (USD)",
    "licence_revenue_usd": "providers' model-licence payments to labs this month (USD)",
    "end_user_spend_usd": "end users' subscription payments to apps this month (USD)",
    "app_users": "end users subscribed to any app (users)",
    "apps_live": "launched apps (count)",
    "models_released": "models released this month, by labs or the outside world (count)",
    "models_available": "deployable models on offer to providers (count)",
    "best_model_quality": "highest quality index (0-1, from the scaling-law loss) among deployable models",
    "best_model_params": "parameters of the largest deployable model (count)",
    "providers_live": "service providers hosting a model (count)",
    "trainers_training": "labs with a run in progress (count)",
    "labels_bought": "labels bought this month (labels)",
    "label_spend_usd": "labs' payments to labelling vendors this month (USD)",
    "label_price_usd": "median price of one label across vendors (USD per label)",
    "labeller_wage_usd_per_hour": "hours-weighted mean hourly pay of labelling workers this month (USD per hour); "
    "empty (NaN) in months without labelling work",
    "labeller_wages_usd": "wages paid to labelling workers this month (USD)",
    "labeller_hours": "labelling worker-hours this month (hours)",
    "labellers_below_living_wage_share": "share of labelling vendors paying under their region's living wage (0-1)",
    "energy_kwh": "electricity used by the GPU-hours sold, TDP x PUE (kWh)",
    "co2_t": "emissions of that electricity at each cloud's grid intensity (tCO2)",
    "carbon_tax_usd": "carbon price paid by clouds this month (USD)",
    "hhi_training": "Herfindahl-Hirschman index of labs' licence revenue this month (0-10,000)",
    "hhi_api": "Herfindahl-Hirschman index of providers' tokens served this month (0-10,000)",
    "hhi_cloud": "Herfindahl-Hirschman index of clouds' GPU-hours sold this month (0-10,000)",
    "hhi_labelling": "Herfindahl-Hirschman index of labelling vendors' labels sold this month (0-10,000)",
    "hhi_apps": "Herfindahl-Hirschman index of app developers' end users (0-10,000)",
    "labeller_value_share": "labelling vendors' revenue / end users' spend this month (0-1): labellers' share of value",
    "deployed_bias": "token-weighted bias (demographic-parity difference) of the models serving tokens (0-1)",
    "audits_passed": "bias audits passed so far (count)",
    "audits_failed": "bias audits failed so far (count)",
    "audit_fines_usd": "audit fines paid this month (USD)",
    "n_labellers": "labelling vendors alive (count)",
    "n_trainers": "labs alive (count)",
    "n_clouds": "cloud hosts alive (count)",
    "n_providers": "service providers alive (count)",
    "n_apps": "app developers alive, launched or not (count)",
    "outside_inflow_usd": "money entering the chain from the outside world this month (USD)",
    "outside_outflow_usd": "money leaving the chain to the outside world this month (USD)",
    # calendar-time figures (issue 11)
    "frontier_train_flops": "largest physical training compute of any model released so far (FLOP)",
    "frontier_run_cost_usd": "cost of that run: compute at the price paid plus its human data (USD)",
    "models_over_1e25_flops": "models released so far trained with at least 1e25 FLOP (count, cumulative)",
    "price_at_gpt4_level_usd_per_mtok": "cheapest API price among live providers hosting a model at least as capable "
    "as GPT-4 (capability_thresholds.csv) (USD per 1M tokens); NaN before one is served",
    "price_at_gpt35_level_usd_per_mtok": "the same at GPT-3.5 level (USD per 1M tokens); NaN before one is served",
    "lab_revenue_max_usd": "monthly revenue of the largest lab, all sources: licences, its own API's sales to other "
    "apps and its own app's subscriptions (USD)",
    "gpu_capex_usd": "clouds' spend on accelerators this month (USD)",
    "investment_usd": "investors' funding rounds to labs this month (USD)",
    "cloud_financing_usd": "outside capital (investors, lenders) financing clouds' GPU orders this month (USD, clouds.investment)",
    "open_weights_token_share": "share of API tokens served by open-weights models this month (0-1); NaN without tokens",
    "expert_label_spend_usd": "labs' payments to expert-feedback vendors this month (USD)",
    "expert_label_share": "expert feedback's share of labs' human-data spend this month (0-1); NaN without spend",
    "labellers_revenue_usd": "labelling vendors' revenue this month, both tiers (USD); equals label_spend_usd",
    "expert_wages_usd": "wages paid to experts this month (USD)",
}
METRIC_COLUMNS: tuple[str, ...] = tuple(METRICS)
NAN_WHEN_MISSING = ("deployed_bias", "api_price_usd_per_mtok", "price_at_gpt4_level_usd_per_mtok",
                    "price_at_gpt35_level_usd_per_mtok", "open_weights_token_share", "expert_label_share",
                    "frontier_run_cost_usd")  # undefined without tokens served, labels bought or a model


def record(model, month: Month) -> None:
    """Complete the month's figures (stocks, concentration, counts) and collect them; keep the agents' cash."""
    step = month.t
    m = month.metrics
    clouds = model.agents_of(CloudHost)
    labellers = model.agents_of(DataLabeller)
    providers = model.agents_of(ServiceProvider)
    apps = model.agents_of(AppDeveloper)
    if clouds:
        cap = np.array(clouds.get("capacity_gpu_hours"))
        m["gpu_price_usd_per_hour"] = float(np.average(clouds.get("price_usd_per_hour"), weights=cap))
        m["gpu_price_h100_equiv_usd_per_hour"] = equivalent_gpu_price(model, "H100-SXM")
        m["gpu_utilization"] = float(sum(clouds.get("hours_sold")) / cap.sum()) if step > 0 else 0.0
        m["gpus_installed"] = float(sum(clouds.get("gpus")))
    hours = sum(labellers.get("hours_worked")) if step > 0 else 0.0
    wage_hours = sum(lb.hours_worked * lb.wage_usd_per_hour for lb in labellers) if step > 0 else 0.0
    # hours-weighted pay of the month's labelling work; NaN in a month without any (no run started)
    m["labeller_wage_usd_per_hour"] = wage_hours / hours if hours > 0 else float("nan")
    if labellers:
        m["label_price_usd"] = float(np.median(labellers.get("price_usd_per_label")))
        below = labellers.select(lambda lb: lb.wage_usd_per_hour < lb.living_wage_usd_per_hour)
        m["labellers_below_living_wage_share"] = len(below) / len(labellers)
    m["hhi_training"] = hhi(np.array(list(month.licence_by_owner.values())))
    m["hhi_api"] = hhi(np.array(list(month.tokens_by_provider.values())))
    m["hhi_cloud"] = hhi(np.array(clouds.get("hours_sold"))) if step > 0 else 0.0
    m["hhi_labelling"] = hhi(np.array(labellers.get("revenue_usd"))) if step > 0 else 0.0
    m["hhi_apps"] = hhi(np.array(apps.get("users")))
    spend = m.get("end_user_spend_usd", 0.0)
    m["labeller_value_share"] = m.get("label_spend_usd", 0.0) / spend if spend > 0 else 0.0
    offered = candidate_models(model)
    m["models_available"] = len(offered)
    m["providers_live"] = len(providers.select(lambda p: p.live))
    m["trainers_training"] = len(model.agents_of(ModelTrainer).select(lambda lab: lab.run is not None))
    m["n_labellers"], m["n_trainers"], m["n_clouds"] = len(labellers), len(model.agents_of(ModelTrainer)), len(clouds)
    m["n_providers"] = len(providers)
    m["n_apps"] = len(apps)
    m["best_model_quality"] = max((mdl.quality for mdl in offered), default=0.0)
    m["best_model_params"] = max((mdl.params for mdl in offered), default=0.0)
    m["audits_passed"], m["audits_failed"] = model.audits_passed, model.audits_failed
    model.best_quality_on_offer = m["best_model_quality"]
    _calendar_metrics(model, month, providers)
    m["outside_inflow_usd"], m["outside_outflow_usd"] = model.ledger.outside_in, model.ledger.outside_out
    for key in METRIC_COLUMNS:
        m.setdefault(key, float("nan") if key in NAN_WHEN_MISSING else 0.0)
    m["step"] = step
    m["date"] = model.date
    model.datacollector.collect(model)
    if model.collect_agents:
        ids = np.fromiter((a.unique_id for a in model.agents), dtype=np.int64, count=len(model.agents))
        model.agent_frames.append((step, ids, model.ledger.cash[ids].copy()))


def _calendar_metrics(model, month: Month, providers) -> None:
    """The calendar-time columns: frontier compute and cost, prices at fixed capability, lab revenue, tiers."""
    m = month.metrics
    registry = model.models_registry
    if registry:
        frontier = max(registry, key=lambda mdl: mdl.train_flops)
        m["frontier_train_flops"] = float(frontier.train_flops)
        m["frontier_run_cost_usd"] = float(frontier.run_cost_usd)
        m["models_over_1e25_flops"] = sum(1 for mdl in registry if mdl.train_flops >= 1e25)
    live = [p for p in providers if p.live and p.hosted.deployable and p.price_usd_per_mtok == p.price_usd_per_mtok]
    for cap, col in (("gpt4", "price_at_gpt4_level_usd_per_mtok"), ("gpt35", "price_at_gpt35_level_usd_per_mtok")):
        q = model.capability_quality[cap]
        prices = [p.price_usd_per_mtok for p in live if p.hosted.quality >= q]
        if prices:
            m[col] = float(min(prices))
    labs = model.agents_of(ModelTrainer)
    if labs:
        m["lab_revenue_max_usd"] = float(max(lab.revenue_usd + lab.first_party_revenue_usd for lab in labs))
    tokens = month.tokens_by_provider
    total = sum(tokens.values())
    if total > 0:
        by_id = {p.unique_id: p for p in providers}
        ow = sum(v for pid, v in tokens.items() if pid in by_id and by_id[pid].hosted is not None
                 and by_id[pid].hosted.strategy == "open_weights")
        m["open_weights_token_share"] = ow / total
    spend = m.get("label_spend_usd", 0.0)
    m["expert_label_share"] = m.get("expert_label_spend_usd", 0.0) / spend if spend > 0 else float("nan")
    m["labellers_revenue_usd"] = spend
