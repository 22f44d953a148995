"""``ModelTrainer``: an AI lab. It plans compute-optimal runs, chooses how to aggregate labels, finishes runs into
released models and escalates its label aggregation after a failed audit. It buys labels (``sim.markets.labels``) and
training GPU-hours (``sim.markets.gpu_hours``) and licenses its models (``sim.markets.licences``)."""

from __future__ import annotations

from ecosystem import planner
from ecosystem.formulas import scaling
from ecosystem.reference import hardware
from sim.actors.base import ChainAgent
from sim.actors.trained_model import TrainedModel, TrainingRun
from sim.bias import label_cost_multiplier, model_bias
from sim.progress import effective_loss, effective_multiplier

# share of the per-run budget each kind of lab commits: frontier labs all of it, open-weights labs 80%, efficient 60%
BUDGET_FACTOR = {"frontier": 1.0, "open_weights": 0.8, "efficient": 0.6}
# after a failed audit, the next run's labels are aggregated more carefully
ESCALATION = {"single": "gold", "gold": "majority3"}


class ModelTrainer(ChainAgent):
    """An AI lab: buys labels and training GPU-hours, trains compute-optimal models, licenses them."""

    agent_type = "trainer"

    def __init__(self, model, strategy: str, cfg) -> None:
        super().__init__(model)
        self.strategy = strategy
        self.cfg = cfg
        self.hardware_id = cfg.hardware_id
        self.run: TrainingRun | None = None  # the run in progress
        self.models: list[TrainedModel] = []
        self.aggregation = cfg.aggregation
        self.licence_revenue_usd = 0.0
        self.revenue_history: list[float] = []  # monthly revenue, all sources (``sim.markets.capital``)
        self.first_party_revenue_usd = 0.0  # this month: its own API's and app's sales (``sim.markets.first_party``)

    def reset_month(self) -> None:
        super().reset_month()
        self.first_party_revenue_usd = 0.0

    @property
    def current_model(self) -> TrainedModel | None:
        for m in reversed(self.models):
            if m.deployable:
                return m
        return None

    def choose_aggregation(self, label_bias: float, noise: float, threshold: float) -> None:
        """Under an audit mandate: the cheapest aggregation whose predicted model bias is under the threshold
        (majority3 otherwise)."""
        for agg in sorted(("single", "gold", "majority3"), key=label_cost_multiplier):
            if model_bias(label_bias, noise, agg) <= 0.9 * threshold:
                self.aggregation = agg
                return
        self.aggregation = "majority3"

    def escalate_aggregation(self) -> None:
        self.aggregation = ESCALATION.get(self.aggregation, "majority3")

    def plan_run(self, gpu_price_usd_per_hour: float, label_price_usd: float, fit: str) -> TrainingRun | None:
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
        expert_labels = 0.0
        post = cfg.post_training
        if post is not None:  # human data as a share of the budget, split between crowd and expert tiers
            prices = self.model.label_prices_by_tier
            data_budget = post.budget_share * budget
            labels = data_budget * (1.0 - post.expert_share) / max(prices.get("crowd", 0.0), 1e-9) / agg_mult
            expert_labels = data_budget * post.expert_share / prices["expert"] if "expert" in prices else 0.0
            if "expert" not in prices:
                labels = data_budget / max(prices.get("crowd", 0.0), 1e-9) / agg_mult
            flops = (budget - data_budget) / gpu_price_usd_per_hour * 3600.0 * peak * mfu
            alloc = self.model.optimal_allocation(flops, fit)
            params, tokens = alloc.params, alloc.tokens
        if self.strategy == "efficient":
            k = cfg.efficient_tokens_multiplier ** 0.5
            params, tokens = params / k, tokens * k
        flops = 6.0 * params * tokens
        gpu_hours_total = planner.gpu_hours_for_flops(flops, self.hardware_id, mfu)
        gpus = gpu_hours_total / (cfg.target_run_months * 730.0)
        return TrainingRun(params=params, tokens=tokens, train_flops=flops, mfu=mfu, gpus_wanted=gpus,
                           labels_wanted=labels, aggregation=self.aggregation, start_step=self.model.steps,
                           budget_usd=budget, expert_labels_wanted=expert_labels)

    def finish_run(self, t: int) -> TrainedModel | None:
        """The model of a finished run (quality from the scaling law after optimisation, bias from the labels bought),
        or None while the run goes on."""
        run = self.run
        if run is None or not run.finished:
            return None
        self.run = None
        cfg = self.cfg
        fit = self.model.fit
        bought = run.labels_bought
        label_bias = run.label_bias_sum / bought if bought > 0 else 0.0
        label_noise = run.label_error_sum / bought if bought > 0 else 0.5
        wanted = run.labels_wanted * label_cost_multiplier(run.aggregation) + run.expert_labels_wanted
        coverage = min(1.0, (bought + run.expert_labels_bought) / max(wanted, 1.0))
        if run.expert_labels_bought > 0:  # expert feedback: its bias and errors join the crowd's
            label_bias = (run.label_bias_sum + run.expert_bias_sum) / (bought + run.expert_labels_bought)
            label_noise = (run.label_error_sum + run.expert_error_sum) / (bought + run.expert_labels_bought)
        multiplier = effective_multiplier(self.model.scenario, self.model.run_date(run.start_step))
        loss = effective_loss(run.params, run.tokens, multiplier, fit)
        optimisation = getattr(cfg.optimisation, self.strategy)
        serving, loss_served = self.model.optimiser.apply(run.params, loss, optimisation)
        served_params, precision = self.model.optimiser.served_shape(run.params, optimisation)
        quality = scaling.quality_from_loss(loss_served, fit) * (0.8 + 0.2 * coverage)
        share = cfg.licence_share * (cfg.open_weights_licence_factor if self.strategy == "open_weights" else 1.0)
        if self.strategy == "open_weights" and cfg.products.open_weights_free:
            share = 0.0
        return TrainedModel(
            model_id=self.model.new_model_id(), owner_id=self.unique_id, strategy=self.strategy, params=run.params,
            tokens=run.tokens, train_flops=run.train_flops, loss=loss, quality=quality,
            bias=model_bias(label_bias, label_noise, run.aggregation), label_bias=label_bias,
            label_noise=label_noise, aggregation=run.aggregation, serving_params=serving,
            optimisation=optimisation, licence_share=share, release_step=t, run_cost_usd=run.spend_usd,
            served_params=served_params, serving_precision=precision)
