"""``ChainModel``: the LLM industry chain as a Mesa model, stepping one month at a time.

``step()`` is the month's schedule; each stage lives in the room of its market or policy and reads and writes the
agents, the ledger and the ``Month`` it is handed:

1. Shocks and policies take effect (hardware progress, GPU price or demand shocks, an open-weights release).
2. Idle labs plan a run (compute-optimal N and D for their budget) and buy labels on the label market.
3. App developers launch on an API once one exists, choose a provider (logit on quality and price) and gain or lose
   end users; their users' tokens become the providers' demand.
4. The GPU-hour market matches training and inference demand to cloud fleets, cheapest capacity first.
5. Money moves: end users pay apps, apps pay providers, providers pay model licences, clouds pay utilities (energy)
   and the regulator (carbon).
6. Finished runs release models (quality from the scaling law, bias from the labels bought); audits apply.
7. Providers choose what to host and set prices; clouds re-price by utilisation and order GPUs; firms pay their staff;
   insolvent firms exit and profitable stages attract entrants funded by investors.

Unit costs come from ``ecosystem.planner`` (the same functions as the cost planner) and ``ecosystem.scaling``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import mesa
import numpy as np

from ecosystem.formulas import scaling
from sim import metrics, policy
from sim.actors import AppDeveloper, CloudHost, DataLabeller, ModelTrainer, ServiceProvider, TrainedModel
from sim.ledger import OUTSIDE, Ledger
from sim.markets import capital, end_users, first_party, firms, generations, gpu_hours, labels, licences
from sim.metrics import METRIC_COLUMNS
from sim.month import Month
from sim.optimisation import Optimiser
from sim.progress import capability_ids, serving_divisor, threshold_quality
from sim.scenario import STRATEGIES, Scenario
from sim.scenario.calendar import step_date


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
        self.optimiser = Optimiser.measured(scenario.trainers.optimisation.distill_size_ratio)
        self.models_registry: list[TrainedModel] = []
        self.events: list[dict] = []
        self.agent_frames: list[tuple[int, np.ndarray, np.ndarray]] = []  # (step, agent ids, their cash)
        self.collect_agents = True
        self.demand_multiplier = 1.0
        self.history = {k: firms.StageHistory() for k in ("trainer", "provider", "app")}
        self.last_entry_step = {k: -99 for k in ("trainer", "provider", "app")}
        self.categories = list(scenario.market.demand)
        self.category_code = {c: i for i, c in enumerate(self.categories)}
        self.next_model_id = 0
        self.audits_passed = 0
        self.audits_failed = 0
        self.month = Month(t=0)
        self.date = scenario.start_date  # the date of the row the current month produces
        self.serving_divisor = serving_divisor(scenario, self.date)
        self.capability_quality = {c: threshold_quality(scenario, c, self.fit) for c in capability_ids()}
        self.best_quality_on_offer = 0.0
        self.unlocked_at: dict[str, int] = {}  # category -> month its capability threshold was reached
        self.label_prices_by_tier: dict[str, float] = {}
        self._build_population()
        generations.set_up(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m.month.metrics[c]) for c in METRIC_COLUMNS}
        )
        metrics.record(self, self.month)

    # ---- set-up ---------------------------------------------------------------------------------------------------

    def fund(self, agent, amount_usd: float) -> None:
        """Investors pay ``agent`` its starting capital."""
        self.ledger.pay(OUTSIDE, agent.unique_id, amount_usd, "investment")

    def _build_population(self) -> None:
        sc = self.scenario
        lab = sc.labellers
        for region, n in zip(lab.regions, _apportion(lab.count, [r.share for r in lab.regions])):
            for _ in range(n):
                a = DataLabeller(self, region, lab.workers_per_vendor, lab.hours_per_worker_month, lab.vendor_margin)
                a.set_wage(sc.policy.wage_floor_usd_per_hour)
                self.fund(a, lab.capital_usd)
        if lab.experts is not None:
            self._build_experts(lab.experts, lab.regions[0])
        mix = sc.trainers.strategy_mix
        for strategy, n in zip(STRATEGIES, _apportion(sc.trainers.count, [getattr(mix, s) for s in STRATEGIES])):
            for _ in range(n):
                trainer = ModelTrainer(self, strategy, sc.trainers)
                self.fund(trainer, sc.trainers.capital_usd)
                first_party.attach(self, trainer)
        fleet = list(sc.clouds.fleet.items())
        for i in range(sc.clouds.count):
            hw, gpus = fleet[i % len(fleet)]
            self.fund(CloudHost(self, hw, gpus, sc.clouds, sc.market), sc.clouds.capital_usd)
        for _ in range(sc.providers.count):
            self.fund(ServiceProvider(self, sc.providers), sc.providers.capital_usd)
        weights = [sc.market.demand[c].potential_users for c in self.categories]
        total = sum(weights)
        for cat, n in zip(self.categories, _apportion(sc.apps.count, [w / total for w in weights])):
            for _ in range(n):
                self.fund(AppDeveloper(self, cat), sc.apps.capital_usd)

    def _build_experts(self, ex, region) -> None:
        """Expert-feedback vendors: wages, throughput, accuracy and bias of the ``labellers.experts`` tier."""
        tier = region.model_copy(update={"name": "experts", "wage_usd_per_hour": ex.wage_usd_per_hour,
                                         "living_wage_usd_per_hour": region.living_wage_usd_per_hour,
                                         "labels_per_hour": ex.labels_per_hour, "accuracy": ex.accuracy,
                                         "bias": ex.bias})
        for _ in range(ex.count):
            v = DataLabeller(self, tier, ex.workers_per_vendor, ex.hours_per_worker_month, ex.vendor_margin,
                             tier="expert")
            self.fund(v, ex.capital_usd)

    # ---- what the stages and agents share --------------------------------------------------------------------------

    def optimal_allocation(self, flops: float, fit: str) -> scaling.OptimalAllocation:
        """Compute-optimal (N, D) for ``flops`` rounded to 3 significant digits (cached)."""
        return _optimal_allocation(float(f"{flops:.3g}"), fit)

    def agents_of(self, cls) -> mesa.agent.AgentSet:
        agents = self.agents_by_type.get(cls)  # (an empty set only when none: building one costs more than the look-up)
        return agents if agents is not None else mesa.agent.AgentSet([], random=self.random)

    def event(self, kind: str, agent_id: int, agent_type: str, detail: str) -> None:
        self.events.append({"step": int(self.steps), "date": self.date, "kind": kind, "agent_id": int(agent_id),
                            "agent_type": agent_type, "detail": detail})

    def run_date(self, step: int) -> str:
        """The date of the month a run started at model step ``step``."""
        return step_date(self.scenario.start_date, int(step))

    def new_model_id(self) -> int:
        self.next_model_id += 1
        return self.next_model_id

    # ---- the month ------------------------------------------------------------------------------------------------

    def step(self) -> None:
        month = self.month = Month.begin(int(self.steps))
        self.date = step_date(self.scenario.start_date, month.t)  # Mesa counts steps from 1
        self.serving_divisor = serving_divisor(self.scenario, self.date)
        self.ledger.begin_step(month.t)
        self.agents.do("reset_month")
        generations.new_month(self, month)                        # 1 (newest hardware, retirements)
        policy.shocks_and_policies(self, month)
        labels.plan_runs_and_buy_labels(self, month)              # 2
        end_users.unlock_categories(self, month)                  # 3 (apps choose providers in api_tokens)
        end_users.apps_and_end_users(self, month)
        gpu_hours.clear(self, month)                              # 4
        end_users.pay_subscriptions_and_tokens(self, month)       # 5
        licences.pay_licences(self, month)
        gpu_hours.pay_energy_and_carbon(self, month)
        licences.release_models(self, month)                      # 6 (audits in policy)
        licences.providers_choose_and_price(self, month)          # 7
        gpu_hours.reprice_and_invest(self, month)
        first_party.settle(self, month)                           # labs' own products hand over their profits
        capital.record_revenue(self, month)
        capital.funding_rounds(self, month)                       # investors fund labs by revenue and standing
        firms.pay_staff(self, month)
        firms.exits_and_entries(self, month)
        metrics.record(self, month)

    def metrics_frame(self):
        """The DataCollector's model variables: one row per step, columns in ``METRIC_COLUMNS`` order."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return frame[list(METRIC_COLUMNS)].astype({"step": "int64"})
