"""``ChainModel``: the LLM industry chain as a Mesa model, stepping one month at a time.

Each month, in order:

1. Shocks and policies take effect (GPU price or demand shocks, an open-weights release, the wage floor).
2. Idle labs plan a run (compute-optimal N and D for their budget) and buy labels on the label market.
3. App developers launch on an API once one exists, choose a provider (logit on quality and price) and gain or lose
   end users; their users' tokens become the providers' demand.
4. The GPU-hour market matches training and inference demand to cloud fleets, cheapest capacity first.
5. Money moves: end users pay apps, apps pay providers, providers pay clouds and model licences, labs pay clouds,
   clouds pay utilities (energy) and the regulator (carbon), firms pay their staff.
6. Finished runs release models (quality from the scaling law, bias from the labels bought); audits apply.
7. Providers choose what to host and set prices; clouds re-price by utilisation and order GPUs; insolvent firms exit
   and profitable stages attract entrants funded by investors.

Unit costs come from ``ecosystem.planner`` (the same functions as the cost planner) and ``ecosystem.scaling``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import mesa
import numpy as np

from ecosystem import planner, scaling
from ecosystem.profiles import optimisation_loss_ratios
from ecosystem.reference import default, hardware
from sim.agents import AppDeveloper, CloudHost, DataLabeller, ModelTrainer, ServiceProvider, StageHistory, TrainedModel
from sim.bias import label_cost_multiplier, model_bias
from sim.ledger import OUTSIDE, Ledger
from sim.markets import group_sum, hhi, logit_choice, merit_order_match
from sim.metrics import METRIC_COLUMNS
from sim.scenario import APP_CATEGORIES, STRATEGIES, Scenario

HOURS_PER_MONTH = 730.0
REFERENCE_SERVING_HW = "H100-SXM"


@lru_cache(maxsize=4096)
def _optimal_allocation(flops_rounded: float, fit: str) -> scaling.OptimalAllocation:
    return scaling.optimal_allocation(flops_rounded, fit)


def _apportion(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` items by ``shares`` (deterministic)."""
    raw = [total * s for s in shares]
    counts = [int(math.floor(r)) for r in raw]
    rest = total - sum(counts)
    order = sorted(range(len(shares)), key=lambda i: (raw[i] - counts[i]), reverse=True)
    for i in order[:rest]:
        counts[i] += 1
    return counts


class ChainModel(mesa.Model):
    """The LLM chain. ``ChainModel(scenario, seed).run()`` or step it month by month."""

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.seed_value = seed
        self.scenario = scenario
        self.ledger = Ledger()
        self.fit = scenario.scaling_fit
        self.models_registry: list[TrainedModel] = []
        self.events: list[dict] = []
        self.agent_frames: list[tuple[int, np.ndarray, np.ndarray]] = []  # (step, agent ids, their cash)
        self.collect_agents = True
        self.demand_multiplier = 1.0
        self.history = {k: StageHistory() for k in ("trainer", "provider", "app")}
        self.last_entry_step = {k: -99 for k in ("trainer", "provider", "app")}
        self._month: dict = {}
        self._categories = list(scenario.market.demand)
        self._cat_code = {c: i for i, c in enumerate(self._categories)}
        self._next_model_id = 0
        self.audits_passed = 0
        self.audits_failed = 0
        self._loss_ratios = optimisation_loss_ratios()
        ref = hardware(REFERENCE_SERVING_HW)
        self._int8_time_share = ref.peak_bf16_flops_per_s / ref.peak_fp8_flops_per_s
        self._build_population()
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m._month[c]) for c in METRIC_COLUMNS}
        )
        self._record(step=0)

    # ---- set-up ---------------------------------------------------------------------------------------------------

    def _fund(self, agent, amount_usd: float) -> None:
        self.ledger.pay(OUTSIDE, agent.unique_id, amount_usd, "investment")

    def _build_population(self) -> None:
        sc = self.scenario
        lab = sc.labellers
        for region, n in zip(lab.regions, _apportion(lab.count, [r.share for r in lab.regions])):
            for _ in range(n):
                a = DataLabeller(self, region, lab.workers_per_vendor, lab.hours_per_worker_month, lab.vendor_margin)
                a.set_wage(sc.policy.wage_floor_usd_per_hour)
                self._fund(a, lab.capital_usd)
        mix = sc.trainers.strategy_mix
        for strategy, n in zip(STRATEGIES, _apportion(sc.trainers.count, [getattr(mix, s) for s in STRATEGIES])):
            for _ in range(n):
                self._fund(ModelTrainer(self, strategy, sc.trainers), sc.trainers.capital_usd)
        fleet = list(sc.clouds.fleet.items())
        for i in range(sc.clouds.count):
            hw, gpus = fleet[i % len(fleet)]
            self._fund(CloudHost(self, hw, gpus, sc.clouds, sc.market), sc.clouds.capital_usd)
        for _ in range(sc.providers.count):
            self._fund(ServiceProvider(self, sc.providers), sc.providers.capital_usd)
        weights = [sc.market.demand[c].potential_users for c in self._categories]
        total = sum(weights)
        for cat, n in zip(self._categories, _apportion(sc.apps.count, [w / total for w in weights])):
            for _ in range(n):
                self._fund(AppDeveloper(self, cat), sc.apps.capital_usd)

    # ---- helpers the agents use -----------------------------------------------------------------------------------

    def optimal_allocation(self, flops: float, fit: str) -> scaling.OptimalAllocation:
        rounded = float(f"{flops:.3g}")
        return _optimal_allocation(rounded, fit)

    def gpu_capex_usd(self, hardware_id: str) -> float:
        """Installed cost of one GPU: the H100 all-in capex scaled by peak FLOP/s (no per-part quotes in the tables)."""
        ref = hardware("H100-SXM").peak_bf16_flops_per_s
        return default("gpu_capex_usd.H100-SXM") * hardware(hardware_id).peak_bf16_flops_per_s / ref

    def agents_of(self, cls) -> mesa.agent.AgentSet:
        return self.agents_by_type.get(cls, mesa.agent.AgentSet([], random=self.random))

    def _event(self, kind: str, agent_id: int, agent_type: str, detail: str) -> None:
        self.events.append({"step": int(self.steps), "kind": kind, "agent_id": int(agent_id),
                            "agent_type": agent_type, "detail": detail})

    def _price_per_peak_pflop_hour(self) -> float:
        """Capacity-weighted market price of one hour of 1 PFLOP/s of peak compute."""
        clouds = list(self.agents_of(CloudHost))
        if not clouds:
            return float("nan")
        cap = np.array([c.gpus * c.peak_flops_per_s for c in clouds])
        price = np.array([c.price_usd_per_hour / (c.peak_flops_per_s / 1e15) for c in clouds])
        return float((price * cap).sum() / cap.sum())

    def equivalent_gpu_price(self, hardware_id: str) -> float:
        return self._price_per_peak_pflop_hour() * hardware(hardware_id).peak_bf16_flops_per_s / 1e15

    # ---- the month ------------------------------------------------------------------------------------------------

    def step(self) -> None:
        t = int(self.steps)
        self.ledger.begin_step(t)
        self.agents.do("reset_month")
        m = {"labels_bought": 0.0, "label_spend_usd": 0.0, "models_released": 0, "audit_fines_usd": 0.0}
        self._month = m
        self._shocks_and_policies(t)
        self._labs_plan_and_buy_labels(t, m)
        self._apps_and_end_users(t, m)
        self._gpu_market(t, m)
        self._payments(t, m)
        self._release_models(t, m)
        self._providers_choose_and_price(t)
        self._clouds_reprice_and_invest(t)
        self._staff_costs()
        self._exits_and_entries(t)
        self._record(step=t)

    # 1 ------------------------------------------------------------------------------------------------------------
    def _shocks_and_policies(self, t: int) -> None:
        sc = self.scenario
        doubling = sc.market.gpu_price_performance_doubling_years
        if doubling:  # hardware progress: the same FLOP/s costs less to rent and to buy every month
            decay = 2.0 ** (-1.0 / (12.0 * doubling))
            for c in self.agents_of(CloudHost):
                c.price_usd_per_hour *= decay
                c.reference_price *= decay
                c.capex_per_gpu_usd *= decay
        for shock in sc.shocks:
            if shock.month != t:
                continue
            if shock.kind == "gpu_price":
                for c in self.agents_of(CloudHost):
                    c.price_usd_per_hour *= 1.0 + shock.change
                    c.reference_price *= 1.0 + shock.change
                    c.capex_per_gpu_usd *= 1.0 + shock.change
            else:
                self.demand_multiplier *= 1.0 + shock.change
            self._event("shock", OUTSIDE, "outside", f"{shock.kind} {shock.change:+.0%}")
        ow = sc.policy.open_weights_release
        if ow.month is not None and ow.month == t:
            loss = scaling.loss(ow.params, ow.tokens, self.fit)
            serving, loss_served = self._optimise(ow.params, loss, "int8")
            model = TrainedModel(
                model_id=self._new_model_id(), owner_id=OUTSIDE, strategy="open_weights", params=ow.params,
                tokens=ow.tokens, train_flops=6 * ow.params * ow.tokens, loss=loss,
                quality=scaling.quality_from_loss(loss_served, self.fit), bias=ow.bias, label_bias=float("nan"),
                label_noise=float("nan"), aggregation="unknown", serving_params=serving,
                optimisation="int8",
                licence_share=0.0, release_step=t)
            self._audit(model, None, t)
            self.models_registry.append(model)
            self._month["models_released"] = self._month.get("models_released", 0) + 1
            self._event("open_weights_release", OUTSIDE, "outside",
                        f"{ow.params / 1e9:.0f}B params, quality {model.quality:.2f}")

    def _new_model_id(self) -> int:
        self._next_model_id += 1
        return self._next_model_id

    # 2 ------------------------------------------------------------------------------------------------------------
    def _labs_plan_and_buy_labels(self, t: int, m: dict) -> None:
        labellers = list(self.agents_of(DataLabeller))
        label_prices = np.array([lb.price_usd_per_label for lb in labellers])
        capacity = np.array([lb.capacity_labels_per_month for lb in labellers])
        ref_label_price = float(np.median(label_prices)) if len(label_prices) else 0.0
        audit = self.scenario.policy.bias_audit
        mandate = audit.enabled and t >= audit.start_month
        expected_label_bias = float(np.average([lb.bias for lb in labellers], weights=capacity)) if labellers else 0.0
        expected_noise = float(np.average([1 - lb.accuracy for lb in labellers], weights=capacity)) if labellers else 0.0
        new_runs = []
        for lab in self.agents_of(ModelTrainer):
            if lab.run is not None:
                continue
            if mandate:
                lab.aggregation = self._aggregation_for_mandate(expected_label_bias, expected_noise, audit.threshold,
                                                                lab.aggregation)
            run = lab.plan_run(self.equivalent_gpu_price(lab.hardware_id), ref_label_price, self.fit)
            if run is not None:
                lab.run = run
                new_runs.append(lab)
                self._event("run_started", lab.unique_id, "trainer",
                            f"{run['params'] / 1e9:.1f}B params on {run['tokens'] / 1e9:.0f}B tokens")
        if not new_runs or not labellers:
            return
        raw_wanted = np.array([lab.run["labels_wanted"] * label_cost_multiplier(lab.run["aggregation"])
                               for lab in new_runs])
        accuracy = np.array([lb.accuracy for lb in labellers])
        # labs buy the cheapest correct labels first: merit order by price per expected correct label
        b_idx, s_idx, qty, _ = merit_order_match(raw_wanted, capacity, label_prices / accuracy)
        if len(qty) == 0:
            return
        amounts = qty * label_prices[s_idx]
        payer_ids = np.array([new_runs[i].unique_id for i in b_idx])
        payee_ids = np.array([labellers[j].unique_id for j in s_idx])
        self.ledger.pay_many(payer_ids, payee_ids, amounts, "labels")
        bias = np.array([lb.bias for lb in labellers])
        err = np.array([1 - lb.accuracy for lb in labellers])
        n_runs = len(new_runs)
        bought = group_sum(b_idx, qty, n_runs)
        bias_sum = group_sum(b_idx, qty * bias[s_idx], n_runs)
        err_sum = group_sum(b_idx, qty * err[s_idx], n_runs)
        spend = group_sum(b_idx, amounts, n_runs)
        for i, lab in enumerate(new_runs):
            lab.run["labels_bought"] += bought[i]
            lab.run["label_bias_sum"] += bias_sum[i]
            lab.run["label_error_sum"] += err_sum[i]
            lab.cost_usd += spend[i]
        n_lab = len(labellers)
        sold = group_sum(s_idx, qty, n_lab)
        revenue = group_sum(s_idx, amounts, n_lab)
        wages_ids, wages = [], []
        for j, lb in enumerate(labellers):
            if sold[j] <= 0:
                continue
            hours = sold[j] / lb.labels_per_hour
            lb.labels_sold += sold[j]
            lb.hours_worked += hours
            lb.revenue_usd += revenue[j]
            wages_ids.append(lb.unique_id)
            wages.append(hours * lb.wage_usd_per_hour)
        self.ledger.pay_many(np.array(wages_ids), OUTSIDE, np.array(wages), "labeller_wages")
        m["labels_bought"] = float(qty.sum())
        m["label_spend_usd"] = float(amounts.sum())
        m["labeller_wages_usd"] = float(np.sum(wages))
        m["labeller_hours"] = float(sum(sold[j] / lb.labels_per_hour for j, lb in enumerate(labellers)))

    def _aggregation_for_mandate(self, label_bias: float, noise: float, threshold: float, current: str) -> str:
        """Cheapest aggregation whose predicted model bias is under the audit threshold (majority3 otherwise)."""
        options = sorted(("single", "gold", "majority3"), key=label_cost_multiplier)
        for agg in options:
            if model_bias(label_bias, noise, agg) <= 0.9 * threshold:
                return agg
        return "majority3"

    # 3 ------------------------------------------------------------------------------------------------------------
    def _apps_and_end_users(self, t: int, m: dict) -> None:
        sc = self.scenario
        providers = [p for p in self.agents_of(ServiceProvider) if p.hosted is not None]
        apps = list(self.agents_of(AppDeveloper))
        m["apps_live"] = 0
        m["app_users"] = 0.0
        self._apps_cache = apps
        if not apps:
            return
        if not providers:
            for a in apps:
                a.users = 0.0
            return
        rng = self.rng
        prov_ids = np.array([p.unique_id for p in providers])
        prov_q = np.array([p.hosted.quality for p in providers])
        prov_price = np.array([p.price_usd_per_mtok for p in providers])
        index_of = {pid: i for i, pid in enumerate(prov_ids)}
        launched = np.array([a.launched for a in apps])
        # launches
        new = (~launched) & (rng.random(len(apps)) < sc.apps.launch_rate_per_month)
        current = np.array([index_of.get(a.provider_id, -1) if a.launched else -1 for a in apps])
        rechoose = (launched & ((current < 0) | (rng.random(len(apps)) < 0.15))) | new
        if rechoose.any():
            k = min(sc.apps.candidates, len(providers))
            n = int(rechoose.sum())
            cand = rng.integers(0, len(providers), size=(n, k))
            util = (sc.market.logit_quality_weight * prov_q[cand]
                    - sc.market.logit_price_weight * np.log(np.maximum(prov_price[cand], 1e-9)))
            chosen = cand[np.arange(n), logit_choice(rng, util)]
            current[rechoose] = chosen
        live = launched | new
        for i in np.flatnonzero(new):
            apps[i].launched = True
            self._event("app_launch", apps[i].unique_id, "app", apps[i].category)
        cats = np.array([self._cat_code[a.category] for a in apps])
        users = np.array([a.users for a in apps])
        tpu = np.array([sc.market.demand[c].tokens_per_user_month for c in self._categories])[cats]
        api_price = np.where(current >= 0, prov_price[np.maximum(current, 0)], np.nan)
        quality = np.where(current >= 0, prov_q[np.maximum(current, 0)], 0.0)
        price = (tpu * api_price / 1e6 + sc.apps.overhead_usd_per_user_month) * (1.0 + sc.apps.app_margin)
        price = np.where(live, price, 0.0)
        # category adoption: quality^qe x (price / reference)^-elasticity of the share-weighted offer
        attract = np.where(live, np.exp(sc.market.logit_quality_weight * quality
                                        - sc.market.logit_price_weight * np.log(np.maximum(price, 1e-9))), 0.0)
        n_cat = len(self._categories)
        attract_sum = group_sum(cats, attract, n_cat)
        share = np.divide(attract, attract_sum[cats], out=np.zeros_like(attract), where=attract_sum[cats] > 0)
        cat_q = group_sum(cats, share * quality, n_cat)
        cat_p = group_sum(cats, share * price, n_cat)
        target_users = np.zeros(len(apps))
        growth_mult = sc.market.demand_growth_multiplier
        for c, code in self._cat_code.items():
            d = sc.market.demand[c]
            grown = (1.0 + d.growth_per_month * growth_mult) ** t
            if d.saturation_users is not None and d.saturation_users > d.potential_users:
                # logistic: starts growing at the given rate and levels off at the ceiling
                cap = d.saturation_users
                potential = cap / (1.0 + (cap / d.potential_users - 1.0) / grown)
            else:
                potential = d.potential_users * grown
            potential *= self.demand_multiplier
            if cat_p[code] <= 0:
                continue
            # willingness x = quality^qe (price / reference)^-elasticity; adoption 1 - exp(-x) saturates smoothly
            willingness = (cat_q[code] ** d.quality_elasticity
                           * (cat_p[code] / d.reference_price_usd_per_month) ** (-d.price_elasticity))
            adoption = 1.0 - math.exp(-willingness)
            mask = cats == code
            target_users[mask] = potential * adoption * share[mask]
        users = np.where(live, users + sc.market.adoption_speed * (target_users - users), 0.0)
        tokens = users * tpu
        for i, a in enumerate(apps):
            a.provider_id = int(prov_ids[current[i]]) if current[i] >= 0 else None
            a.users = float(users[i])
            a.price_usd_per_month = float(price[i])
        self._app_arrays = {"current": current, "users": users, "tokens": tokens, "price": price,
                            "prov_ids": prov_ids, "providers": providers, "api_price": api_price, "cats": cats}
        demanded = group_sum(np.maximum(current, 0)[current >= 0], tokens[current >= 0], len(providers))
        for i, p in enumerate(providers):
            p.tokens_demanded = float(demanded[i])
        m["apps_live"] = int(live.sum())
        m["app_users"] = float(users.sum())

    # 4 ------------------------------------------------------------------------------------------------------------
    def _gpu_market(self, t: int, m: dict) -> None:
        clouds = list(self.agents_of(CloudHost))
        self._clouds_cache = clouds
        for c in clouds:
            c.hours_sold = 0.0
        buyers: list = []
        qty_pflop_h: list[float] = []
        for lab in self.agents_of(ModelTrainer):
            if lab.run is not None:
                remaining = lab.run["train_flops"] - lab.run["flops_done"]
                wanted_peak = lab.run["gpus_wanted"] * HOURS_PER_MONTH * hardware(lab.hardware_id).peak_bf16_flops_per_s
                need_peak = remaining / lab.run["mfu"] / 3600.0
                buyers.append(lab)
                qty_pflop_h.append(min(wanted_peak, need_peak) / 1e15)
        n_train = len(buyers)
        for p in self.agents_of(ServiceProvider):
            if p.hosted is not None and p.tokens_demanded > 0:
                flops = p.tokens_demanded * 2.0 * p.hosted.serving_params
                peak_s = flops / (p.serving_efficiency * p.target_utilization)
                buyers.append(p)
                qty_pflop_h.append(peak_s / 3600.0 / 1e15)
        m["gpu_hours_training"] = 0.0
        m["gpu_hours_inference"] = 0.0
        self._gpu_fill = 1.0
        if not clouds:
            return
        cap = np.array([c.capacity_gpu_hours * c.peak_flops_per_s / 1e15 for c in clouds])
        price = np.array([c.price_usd_per_hour / (c.peak_flops_per_s / 1e15) for c in clouds])
        if not buyers:
            for c in clouds:
                c.utilization = 0.0
            return
        b_idx, s_idx, qty, fill = merit_order_match(np.array(qty_pflop_h), cap, price)
        self._gpu_fill = fill
        peak = np.array([c.peak_flops_per_s for c in clouds])
        gpu_hours = qty * 1e15 / peak[s_idx]
        amounts = qty * price[s_idx]
        train = b_idx < n_train
        buyer_ids = np.array([b.unique_id for b in buyers])
        cloud_ids = np.array([c.unique_id for c in clouds])
        self.ledger.pay_many(buyer_ids[b_idx[train]], cloud_ids[s_idx[train]], amounts[train], "training_gpu_hours")
        self.ledger.pay_many(buyer_ids[b_idx[~train]], cloud_ids[s_idx[~train]], amounts[~train],
                             "inference_gpu_hours")
        hours_by_cloud = group_sum(s_idx, gpu_hours, len(clouds))
        rev_by_cloud = group_sum(s_idx, amounts, len(clouds))
        for j, c in enumerate(clouds):
            c.hours_sold = float(hours_by_cloud[j])
            c.utilization = c.hours_sold / c.capacity_gpu_hours if c.capacity_gpu_hours > 0 else 0.0
            c.revenue_usd += float(rev_by_cloud[j])
        peak_pflop_h_by_buyer = group_sum(b_idx, qty, len(buyers))
        spend_by_buyer = group_sum(b_idx, amounts, len(buyers))
        for i, b in enumerate(buyers):
            b.cost_usd += float(spend_by_buyer[i])
            if i < n_train:
                b.run["flops_done"] += peak_pflop_h_by_buyer[i] * 1e15 * 3600.0 * b.run["mfu"]
            else:
                b.tokens_served = b.tokens_demanded * fill
        m["gpu_hours_training"] = float(gpu_hours[train].sum())
        m["gpu_hours_inference"] = float(gpu_hours[~train].sum())

    # 5 ------------------------------------------------------------------------------------------------------------
    def _payments(self, t: int, m: dict) -> None:
        sc = self.scenario
        arr = getattr(self, "_app_arrays", None)
        m["end_user_spend_usd"] = 0.0
        m["tokens_served"] = 0.0
        m["api_revenue_usd"] = 0.0
        m["licence_revenue_usd"] = 0.0
        if arr is not None and self._apps_cache:
            apps = self._apps_cache
            app_ids = np.array([a.unique_id for a in apps])
            users, price, current = arr["users"], arr["price"], arr["current"]
            fill = self._gpu_fill
            spend = users * price
            self.ledger.pay_many(np.full(len(apps), OUTSIDE), app_ids, spend, "subscriptions")
            served = arr["tokens"] * fill
            has = current >= 0
            api_bill = np.where(has, served * np.nan_to_num(arr["api_price"]) / 1e6, 0.0)
            prov_ids = arr["prov_ids"]
            self.ledger.pay_many(app_ids[has], prov_ids[current[has]], api_bill[has], "api_tokens")
            live = np.array([a.launched for a in apps])
            overhead = users * sc.apps.overhead_usd_per_user_month + np.where(live, sc.apps.fixed_cost_usd_per_month, 0)
            self.ledger.pay_many(app_ids, OUTSIDE, overhead, "staff_costs")
            for i, a in enumerate(apps):
                a.revenue_usd += spend[i]
                a.cost_usd += api_bill[i] + overhead[i]
            prov_rev = group_sum(current[has], api_bill[has], len(prov_ids))
            for i, p in enumerate(arr["providers"]):
                p.revenue_usd += float(prov_rev[i])
            m["end_user_spend_usd"] = float(spend.sum())
            m["api_revenue_usd"] = float(api_bill.sum())
            self._app_arrays = None
        # model licences and usage statistics
        providers = [p for p in self.agents_of(ServiceProvider) if p.hosted is not None and p.tokens_served > 0]
        payer, payee, amount = [], [], []
        tokens_total = 0.0
        weighted_bias = 0.0
        price_weighted = 0.0
        for p in providers:
            mdl = p.hosted
            mdl.tokens_served += p.tokens_served
            tokens_total += p.tokens_served
            weighted_bias += p.tokens_served * mdl.bias
            price_weighted += p.tokens_served * p.price_usd_per_mtok
            if mdl.owner_id != OUTSIDE and mdl.licence_share > 0:
                fee = p.tokens_served * p.price_usd_per_mtok * mdl.licence_share / 1e6
                payer.append(p.unique_id)
                payee.append(mdl.owner_id)
                amount.append(fee)
                p.cost_usd += fee
        if payer:
            self.ledger.pay_many(np.array(payer), np.array(payee), np.array(amount), "model_licence")
            labs = {lab.unique_id: lab for lab in self.agents_of(ModelTrainer)}
            for owner, fee in zip(payee, amount):
                labs[owner].revenue_usd += fee
            m["licence_revenue_usd"] = float(sum(amount))
        m["tokens_served"] = tokens_total
        m["deployed_bias"] = weighted_bias / tokens_total if tokens_total > 0 else float("nan")
        m["api_price_usd_per_mtok"] = price_weighted / tokens_total if tokens_total > 0 else self._mean_listed_price()
        self._licence_by_owner = {}
        for owner, fee in zip(payee, amount):
            self._licence_by_owner[owner] = self._licence_by_owner.get(owner, 0.0) + fee
        self._tokens_by_provider = {p.unique_id: p.tokens_served for p in providers}
        # clouds: energy and carbon for the GPU-hours they sold
        clouds = self._clouds_cache
        if clouds:
            ids = np.array([c.unique_id for c in clouds])
            kwh = np.array([c.hours_sold * c.kwh_per_gpu_hour for c in clouds])
            co2_t = kwh * np.array([c.grid_gco2_per_kwh for c in clouds]) / 1e6
            energy_bill = kwh * np.array([c.electricity_usd_per_kwh for c in clouds])
            carbon_bill = co2_t * sc.policy.carbon_price_usd_per_tco2
            self.ledger.pay_many(ids, OUTSIDE, energy_bill, "energy")
            self.ledger.pay_many(ids, OUTSIDE, carbon_bill, "carbon_tax")
            for i, c in enumerate(clouds):
                c.cost_usd += energy_bill[i] + carbon_bill[i]
            m["energy_kwh"] = float(kwh.sum())
            m["co2_t"] = float(co2_t.sum())
            m["carbon_tax_usd"] = float(carbon_bill.sum())

    def _mean_listed_price(self) -> float:
        prices = [p.price_usd_per_mtok for p in self.agents_of(ServiceProvider) if p.hosted is not None]
        return float(np.mean(prices)) if prices else float("nan")

    # 6 ------------------------------------------------------------------------------------------------------------
    def _release_models(self, t: int, m: dict) -> None:
        cfg = self.scenario.trainers
        for lab in self.agents_of(ModelTrainer):
            run = lab.run
            if run is None or run["flops_done"] < run["train_flops"] * (1 - 1e-9):
                continue
            lab.run = None
            bought = run["labels_bought"]
            label_bias = run["label_bias_sum"] / bought if bought > 0 else 0.0
            label_noise = run["label_error_sum"] / bought if bought > 0 else 0.5
            coverage = min(1.0, bought / max(run["labels_wanted"] * label_cost_multiplier(run["aggregation"]), 1.0))
            loss = scaling.loss(run["params"], run["tokens"], self.fit)
            optimisation = getattr(cfg.optimisation, lab.strategy)
            serving, loss_served = self._optimise(run["params"], loss, optimisation)
            quality = scaling.quality_from_loss(loss_served, self.fit) * (0.8 + 0.2 * coverage)
            share = cfg.licence_share * (cfg.open_weights_licence_factor if lab.strategy == "open_weights" else 1.0)
            model = TrainedModel(
                model_id=self._new_model_id(), owner_id=lab.unique_id, strategy=lab.strategy, params=run["params"],
                tokens=run["tokens"], train_flops=run["train_flops"], loss=loss, quality=quality,
                bias=model_bias(label_bias, label_noise, run["aggregation"]), label_bias=label_bias,
                label_noise=label_noise, aggregation=run["aggregation"], serving_params=serving,
                optimisation=optimisation, licence_share=share, release_step=t)
            self._audit(model, lab, t)
            lab.models.append(model)
            self.models_registry.append(model)
            m["models_released"] = m.get("models_released", 0) + 1
            self._event("model_release", lab.unique_id, "trainer",
                        f"model {model.model_id}: {model.params / 1e9:.1f}B params, quality {model.quality:.2f}, "
                        f"bias {model.bias:.3f}, labels {run['aggregation']}")

    def _optimise(self, params: float, loss: float, optimisation: str) -> tuple[float, float]:
        """Serving-equivalent params (bf16 FLOP-time per token / 2) and the served model's loss after optimisation.

        int8 halves the GPU time per token (fp8/int8 peak = 2 x bf16 peak, ``hardware.csv``); distillation serves a
        student of ``distill_size_ratio`` x the params, also in int8. Losses rise by the ratios the probe measured.
        """
        if optimisation == "none":
            return params, loss
        ratios = self._loss_ratios
        int8_share = self._int8_time_share
        if optimisation == "int8":
            return params * int8_share, loss * ratios["int8"]
        ratio = self.scenario.trainers.optimisation.distill_size_ratio
        return params * ratio * int8_share, loss * ratios["distill"] * ratios["int8"]

    def _audit(self, model: TrainedModel, lab: ModelTrainer | None, t: int) -> None:
        audit = self.scenario.policy.bias_audit
        if not audit.enabled or t < audit.start_month:
            return
        model.audit_passed = model.bias <= audit.threshold
        owner_id = lab.unique_id if lab is not None else OUTSIDE
        owner_type = "trainer" if lab is not None else "outside"
        if model.audit_passed:
            self.audits_passed += 1
            self._event("audit_pass", owner_id, owner_type, f"model {model.model_id}: bias {model.bias:.3f}")
            return
        self.audits_failed += 1
        if audit.action == "block":
            model.deployable = False
            self._event("audit_block", owner_id, owner_type,
                        f"model {model.model_id} blocked: bias {model.bias:.3f} > {audit.threshold}")
        else:
            if lab is not None:
                self.ledger.pay(lab.unique_id, OUTSIDE, audit.fine_usd, "audit_fine")
                lab.cost_usd += audit.fine_usd
                self._month["audit_fines_usd"] = self._month.get("audit_fines_usd", 0.0) + audit.fine_usd
            self._event("audit_fine", owner_id, owner_type,
                        f"model {model.model_id} fined {audit.fine_usd:,.0f} USD: bias {model.bias:.3f}")
        if lab is not None:  # escalate label aggregation for the next run
            lab.aggregation = {"single": "gold", "gold": "majority3"}.get(lab.aggregation, "majority3")

    # 7 ------------------------------------------------------------------------------------------------------------
    def _candidate_models(self) -> list[TrainedModel]:
        out = [lab.current_model for lab in self.agents_of(ModelTrainer)]
        out = [mdl for mdl in out if mdl is not None]
        out += [mdl for mdl in self.models_registry if mdl.owner_id == OUTSIDE and mdl.deployable]
        return out

    def _providers_choose_and_price(self, t: int) -> None:
        sc = self.scenario
        providers = list(self.agents_of(ServiceProvider))
        models = self._candidate_models()
        if not models or not providers:
            return
        gpu_price = self.equivalent_gpu_price(REFERENCE_SERVING_HW)
        eff = sc.providers.serving_efficiency
        util = sc.providers.target_utilization
        serving = np.array([planner.usd_per_million_tokens(mdl.serving_params, REFERENCE_SERVING_HW, gpu_price, util,
                                                           eff) for mdl in models])
        share = np.array([mdl.licence_share for mdl in models])
        active_n = sum(1 for p in providers if p.hosted is not None) or 1
        markup = sc.market.api_margin / math.sqrt(active_n)
        # price = (serving cost + licence) x (1 + markup) with licence = share x price
        cost = serving * (1.0 + markup) / np.maximum(1.0 - share * (1.0 + markup), 0.2)
        quality = np.array([mdl.quality for mdl in models])
        score = sc.market.logit_quality_weight * quality - sc.market.logit_price_weight * np.log(cost)
        k = min(8, len(models))
        top = np.argsort(-score, kind="stable")[:k]
        offered = {id(mdl) for mdl in models}
        choose = [p for p in providers if p.hosted is None or not p.hosted.deployable or id(p.hosted) not in offered
                  or self.random.random() < 0.2]
        if choose:
            picks = logit_choice(self.rng, np.tile(score[top], (len(choose), 1)))
            for p, pick in zip(choose, picks):
                new = models[top[pick]]
                if p.hosted is not new:
                    if p.hosted is None:
                        self._event("api_launch", p.unique_id, "provider", f"hosts model {new.model_id}")
                    p.hosted = new
        index = {id(mdl): i for i, mdl in enumerate(models)}
        for p in providers:
            i = index.get(id(p.hosted)) if p.hosted is not None else None
            if i is None:  # hosted model withdrawn: the provider chooses again next month
                continue
            p.cost_usd_per_mtok = float(serving[i])
            p.price_usd_per_mtok = float(cost[i])

    def _clouds_reprice_and_invest(self, t: int) -> None:
        mk = self.scenario.market
        for c in self.agents_of(CloudHost):
            arrived = sum(g for step, g in c.pending if step <= t)
            if arrived:
                c.gpus += arrived
                c.pending = [(s, g) for s, g in c.pending if s > t]
                self._event("capacity_online", c.unique_id, "cloud", f"+{arrived:,.0f} {c.hardware_id}")
            c.update_price(mk)
            c.high_util_months = c.high_util_months + 1 if c.utilization > mk.expansion_utilization else 0
            if c.high_util_months >= 2 and not c.pending and mk.expansion_share > 0:
                order = math.ceil(c.gpus * mk.expansion_share)
                capex = order * c.capex_per_gpu_usd
                if c.cash_usd > capex:
                    self.ledger.pay(c.unique_id, OUTSIDE, capex, "gpu_capex")
                    c.cost_usd += capex
                    c.pending.append((t + mk.capacity_lead_time_months, float(order)))
                    c.high_util_months = 0
                    self._event("gpu_order", c.unique_id, "cloud",
                                f"{order:,} {c.hardware_id} for {capex / 1e6:,.0f}M USD, online at month "
                                f"{t + mk.capacity_lead_time_months}")

    def _staff_costs(self) -> None:
        sc = self.scenario
        for cls, fee in ((ModelTrainer, sc.trainers.staff_cost_usd_per_month),
                         (ServiceProvider, sc.providers.staff_cost_usd_per_month)):
            agents = list(self.agents_of(cls))
            if cls is ServiceProvider:
                agents = [p for p in agents if p.hosted is not None]
            if agents and fee > 0:
                self.ledger.pay_many(np.array([a.unique_id for a in agents]), OUTSIDE, np.full(len(agents), fee),
                                     "staff_costs")
                for a in agents:
                    a.cost_usd += fee

    def _exits_and_entries(self, t: int) -> None:
        sc = self.scenario
        limit = sc.market.exit_after_months_insolvent
        for a in list(self.agents):
            a.update_solvency()
            if a.months_insolvent >= limit:
                self._exit(a, t)
        for key, cls, cfg in (("trainer", ModelTrainer, sc.trainers), ("provider", ServiceProvider, sc.providers),
                              ("app", AppDeveloper, sc.apps)):
            agents = list(self.agents_of(cls))
            revenue = sum(a.revenue_usd for a in agents)
            cost = sum(a.cost_usd for a in agents)
            hist = self.history[key]
            hist.add(revenue, revenue - cost)
            if hist.margin() > sc.market.entry_margin and t - self.last_entry_step[key] >= 3:
                n = max(1, round(0.02 * len(agents)))
                for _ in range(n):
                    if cls is ModelTrainer:
                        strategy = STRATEGIES[int(self.rng.integers(0, len(STRATEGIES)))]
                        new = ModelTrainer(self, strategy, cfg)
                    elif cls is ServiceProvider:
                        new = ServiceProvider(self, cfg)
                    else:
                        cats = self._categories
                        new = AppDeveloper(self, cats[int(self.rng.integers(0, len(cats)))])
                    self._fund(new, cfg.capital_usd)
                    self._event("entry", new.unique_id, key, f"margin {hist.margin():.0%}")
                self.last_entry_step[key] = t

    def _exit(self, agent, t: int) -> None:
        self._event("exit", agent.unique_id, agent.agent_type, f"insolvent for {agent.months_insolvent} months")
        if isinstance(agent, ModelTrainer):
            for mdl in agent.models:
                mdl.deployable = False
            for p in self.agents_of(ServiceProvider):  # licences end with the lab
                if p.hosted is not None and p.hosted.owner_id == agent.unique_id:
                    p.hosted = None
        if isinstance(agent, ServiceProvider):
            for app in self.agents_of(AppDeveloper):
                if app.provider_id == agent.unique_id:
                    app.provider_id = None
        self.ledger.close_account(agent.unique_id)
        agent.remove()

    # ---- metrics --------------------------------------------------------------------------------------------------

    def _record(self, step: int) -> None:
        m = self._month
        clouds = list(self.agents_of(CloudHost))
        labellers = list(self.agents_of(DataLabeller))
        trainers = list(self.agents_of(ModelTrainer))
        providers = list(self.agents_of(ServiceProvider))
        if clouds:
            cap = np.array([c.capacity_gpu_hours for c in clouds])
            m["gpu_price_usd_per_hour"] = float(np.average([c.price_usd_per_hour for c in clouds], weights=cap))
            m["gpu_price_h100_equiv_usd_per_hour"] = self.equivalent_gpu_price("H100-SXM")
            m["gpu_utilization"] = float(sum(c.hours_sold for c in clouds) / cap.sum()) if step > 0 else 0.0
            m["gpus_installed"] = float(sum(c.gpus for c in clouds))
        hours = sum(lb.hours_worked for lb in labellers) if step > 0 else 0.0
        wage_hours = sum(lb.hours_worked * lb.wage_usd_per_hour for lb in labellers) if step > 0 else 0.0
        # hours-weighted pay of the month's labelling work; NaN in a month without any (no run started)
        m["labeller_wage_usd_per_hour"] = wage_hours / hours if hours > 0 else float("nan")
        if labellers:
            m["label_price_usd"] = float(np.median([lb.price_usd_per_label for lb in labellers]))
            below = [lb for lb in labellers if lb.wage_usd_per_hour < lb.living_wage_usd_per_hour]
            m["labellers_below_living_wage_share"] = len(below) / len(labellers)
        for lb in labellers:
            lb.hours_worked = 0.0
        m["hhi_training"] = hhi(np.array(list(getattr(self, "_licence_by_owner", {}).values())))
        m["hhi_api"] = hhi(np.array(list(getattr(self, "_tokens_by_provider", {}).values())))
        m["hhi_cloud"] = hhi(np.array([c.hours_sold for c in clouds])) if step > 0 else 0.0
        m["hhi_labelling"] = hhi(np.array([lb.revenue_usd for lb in labellers])) if step > 0 else 0.0
        m["hhi_apps"] = hhi(np.array([a.users for a in self.agents_of(AppDeveloper)]))
        spend = m.get("end_user_spend_usd", 0.0)
        m["labeller_value_share"] = m.get("label_spend_usd", 0.0) / spend if spend > 0 else 0.0
        self._licence_by_owner, self._tokens_by_provider = {}, {}
        offered = self._candidate_models()
        m["models_available"] = len(offered)
        m["providers_live"] = sum(1 for p in providers if p.hosted is not None)
        m["trainers_training"] = sum(1 for lab in trainers if lab.run is not None)
        m["n_labellers"], m["n_trainers"], m["n_clouds"] = len(labellers), len(trainers), len(clouds)
        m["n_providers"] = len(providers)
        m["n_apps"] = len(self.agents_of(AppDeveloper))
        m["best_model_quality"] = max((mdl.quality for mdl in offered), default=0.0)
        m["best_model_params"] = max((mdl.params for mdl in offered), default=0.0)
        m["audits_passed"], m["audits_failed"] = self.audits_passed, self.audits_failed
        m["outside_inflow_usd"], m["outside_outflow_usd"] = self.ledger.outside_in, self.ledger.outside_out
        for key in METRIC_COLUMNS:
            m.setdefault(key, float("nan") if key in ("deployed_bias", "api_price_usd_per_mtok") else 0.0)
        m["step"] = step
        self.datacollector.collect(self)
        if self.collect_agents:
            ids = np.fromiter((a.unique_id for a in self.agents), dtype=np.int64, count=len(self.agents))
            self.agent_frames.append((step, ids, self.ledger.cash[ids].copy()))

    def metrics_frame(self):
        """The DataCollector's model variables: one row per step, columns in ``METRIC_COLUMNS`` order."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return frame[list(METRIC_COLUMNS)].astype({"step": "int64"})
