"""The chain's actors, one Mesa agent type each. Their cash lives in the model's ledger.

Agents hold state and make their own decisions (a lab plans a run, a cloud sets its price, a provider picks a model);
the markets in ``sim.markets`` match many buyers and sellers at once in vectorised form, so that a month costs
O(agents) however many agents there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa

from ecosystem import planner
from ecosystem.reference import default, hardware
from sim.bias import label_cost_multiplier


# share of the per-run budget each kind of lab commits: frontier labs all of it, open-weights labs 80%, efficient 60%
BUDGET_FACTOR = {"frontier": 1.0, "open_weights": 0.8, "efficient": 0.6}


@dataclass(eq=False)
class TrainedModel:
    """A released model (compared by identity). ``owner_id`` is -1 for a model released by the outside world."""

    model_id: int
    owner_id: int
    strategy: str
    params: float
    tokens: float
    train_flops: float
    loss: float
    quality: float
    bias: float
    label_bias: float
    label_noise: float
    aggregation: str
    serving_params: float
    optimisation: str
    licence_share: float
    release_step: int
    audit_passed: bool | None = None
    deployable: bool = True
    tokens_served: float = 0.0


class ChainAgent(mesa.Agent):
    agent_type = "agent"

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        model.ledger.open_account(self.unique_id, self.agent_type)
        self.months_insolvent = 0
        self.revenue_usd = 0.0  # this month
        self.cost_usd = 0.0  # this month

    @property
    def cash_usd(self) -> float:
        return self.model.ledger.balance(self.unique_id)

    def reset_month(self) -> None:
        self.revenue_usd = 0.0
        self.cost_usd = 0.0

    def update_solvency(self) -> None:
        self.months_insolvent = self.months_insolvent + 1 if self.cash_usd < 0 else 0


class DataLabeller(ChainAgent):
    """A labelling workforce vendor: sells labelled examples, pays its workers by the hour."""

    agent_type = "labeller"

    def __init__(self, model, region, workers: int, hours_per_worker_month: float, margin: float) -> None:
        super().__init__(model)
        self.region = region.name
        self.base_wage_usd_per_hour = region.wage_usd_per_hour
        self.living_wage_usd_per_hour = region.living_wage_usd_per_hour
        self.labels_per_hour = region.labels_per_hour
        self.accuracy = region.accuracy
        self.bias = region.bias
        self.workers = workers
        self.hours_per_worker_month = hours_per_worker_month
        self.margin = margin
        self.wage_usd_per_hour = region.wage_usd_per_hour
        self.labels_sold = 0.0
        self.hours_worked = 0.0

    def set_wage(self, floor_usd_per_hour: float | None) -> None:
        self.wage_usd_per_hour = max(self.base_wage_usd_per_hour, floor_usd_per_hour or 0.0)

    @property
    def price_usd_per_label(self) -> float:
        return self.wage_usd_per_hour / self.labels_per_hour * (1.0 + self.margin)

    @property
    def capacity_labels_per_month(self) -> float:
        return self.workers * self.hours_per_worker_month * self.labels_per_hour


class ModelTrainer(ChainAgent):
    """An AI lab: buys labels and training GPU-hours, trains compute-optimal models, licenses them."""

    agent_type = "trainer"

    def __init__(self, model, strategy: str, cfg) -> None:
        super().__init__(model)
        self.strategy = strategy
        self.cfg = cfg
        self.hardware_id = cfg.hardware_id
        self.run: dict | None = None  # the run in progress
        self.models: list[TrainedModel] = []
        self.aggregation = cfg.aggregation
        self.licence_revenue_usd = 0.0

    @property
    def current_model(self) -> TrainedModel | None:
        for m in reversed(self.models):
            if m.deployable:
                return m
        return None

    def plan_run(self, gpu_price_usd_per_hour: float, label_price_usd: float, fit: str) -> dict | None:
        """Decide the next run: budget, compute-optimal (N, D) for the compute share, labels, GPUs to rent.

        The lab commits ``budget_share_per_run`` of its cash. Labels are bought first (volume grows with sqrt of the
        model size), the rest buys GPU-hours; the (N, D) split is Chinchilla-optimal for those FLOPs (efficient labs
        over-train by ``efficient_tokens_multiplier`` to serve more cheaply).
        """
        cfg = self.cfg
        cash = self.cash_usd
        if self.run is not None or cash < cfg.min_cash_to_train_usd:
            return None
        budget = cfg.budget_share_per_run * cash * BUDGET_FACTOR[self.strategy]
        mfu = planner.default_mfu(self.hardware_id, 1e10)
        peak = hardware(self.hardware_id).peak_bf16_flops_per_s
        agg_mult = label_cost_multiplier(self.aggregation)
        # iterate twice: label volume depends on N, which depends on the compute budget left after labels
        compute_budget = budget
        alloc = None
        for _ in range(3):
            flops = compute_budget / gpu_price_usd_per_hour * 3600.0 * peak * mfu
            alloc = self.model.optimal_allocation(flops, fit)
            labels = cfg.labels_per_sqrt_billion_params * (alloc.params / 1e9) ** 0.5
            label_cost = labels * label_price_usd * agg_mult
            compute_budget = max(budget - label_cost, 0.2 * budget)
        params, tokens = alloc.params, alloc.tokens
        if self.strategy == "efficient":
            k = cfg.efficient_tokens_multiplier ** 0.5
            params, tokens = params / k, tokens * k
        flops = 6.0 * params * tokens
        gpu_hours_total = planner.gpu_hours_for_flops(flops, self.hardware_id, mfu)
        gpus = gpu_hours_total / (cfg.target_run_months * 730.0)
        return {
            "params": params,
            "tokens": tokens,
            "train_flops": flops,
            "flops_done": 0.0,
            "mfu": mfu,
            "gpus_wanted": gpus,
            "labels_wanted": labels,
            "labels_bought": 0.0,
            "label_bias_sum": 0.0,
            "label_error_sum": 0.0,
            "aggregation": self.aggregation,
            "start_step": self.model.steps,
            "budget_usd": budget,
        }


class CloudHost(ChainAgent):
    """Sells GPU-hours from a finite fleet; prices by utilisation; buys GPUs when busy; pays for energy and carbon."""

    agent_type = "cloud"

    def __init__(self, model, hardware_id: str, gpus: int, cfg, market) -> None:
        super().__init__(model)
        self.hardware_id = hardware_id
        hw = hardware(hardware_id)
        self.peak_flops_per_s = hw.peak_bf16_flops_per_s
        self.gpus = float(gpus)
        self.pue = cfg.pue
        self.grid_gco2_per_kwh = cfg.grid_gco2_per_kwh
        self.electricity_usd_per_kwh = cfg.electricity_usd_per_kwh
        self.reference_price = default(f"gpu_price_usd_per_hour.{hardware_id}")
        self.price_usd_per_hour = cfg.price_markup * self.reference_price
        self.kwh_per_gpu_hour = planner.energy_kwh_per_gpu_hour(hardware_id, cfg.pue)
        self.capex_per_gpu_usd = model.gpu_capex_usd(hardware_id)
        self.pending: list[tuple[int, float]] = []  # (arrival step, GPUs)
        self.high_util_months = 0
        self.hours_sold = 0.0
        self.utilization = 0.0

    @property
    def capacity_gpu_hours(self) -> float:
        return self.gpus * 730.0

    def update_price(self, market) -> None:
        """Price moves with utilisation around the target, within [floor, 4x] the reference price."""
        gap = self.utilization - market.target_gpu_utilization
        self.price_usd_per_hour *= 1.0 + market.gpu_price_response * gap
        floor = market.gpu_price_floor_share * self.reference_price
        self.price_usd_per_hour = min(max(self.price_usd_per_hour, floor), 4.0 * self.reference_price)


class ServiceProvider(ChainAgent):
    """Licenses a model and sells API tokens; cost per 1M tokens from the planner's serving formula."""

    agent_type = "provider"

    def __init__(self, model, cfg) -> None:
        super().__init__(model)
        self.serving_efficiency = cfg.serving_efficiency
        self.target_utilization = cfg.target_utilization
        self.hosted: TrainedModel | None = None
        self.price_usd_per_mtok = float("nan")
        self.cost_usd_per_mtok = float("nan")
        self.tokens_served = 0.0
        self.tokens_demanded = 0.0


class AppDeveloper(ChainAgent):
    """Builds an app in one category on a provider's API and sells subscriptions to end users."""

    agent_type = "app"

    def __init__(self, model, category: str, launched: bool = False) -> None:
        super().__init__(model)
        self.category = category
        self.launched = launched
        self.provider_id: int | None = None
        self.users = 0.0
        self.price_usd_per_month = 0.0


@dataclass
class StageHistory:
    """Trailing revenue and profit of a stage, for entry decisions."""

    revenue: list[float] = field(default_factory=list)
    profit: list[float] = field(default_factory=list)

    def add(self, revenue: float, profit: float) -> None:
        self.revenue.append(revenue)
        self.profit.append(profit)

    def margin(self, months: int = 3) -> float:
        rev = sum(self.revenue[-months:])
        return sum(self.profit[-months:]) / rev if rev > 0 else 0.0
