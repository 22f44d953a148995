"""The scenario schema: every input of a simulation run, validated (pydantic).

A scenario is declared by its actors' initial conditions, its market parameters, its policy levers and its shocks.
Defaults are the ``baseline`` preset's values; published figures come from ``data/reference/defaults.csv`` through
``ecosystem.reference`` (the field descriptions name the row). An invalid scenario gets one message per problem naming
the field, the value and what is allowed (``ScenarioError.problems``, see ``sim.scenario.errors``). YAML in and out:
``sim.scenario.yaml_io``; the bundled presets: ``sim.scenario.presets``; dotted paths into a scenario (overrides,
numeric fields and their bounds): ``sim.scenario.paths``. The one place a reader finds every field of a scenario; the
calendar mechanisms' sections live in ``sim.scenario.calendar_mechanisms``.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from ecosystem.reference import default, hardware_catalog
from sim.scenario.base import Strict as _Strict
from sim.scenario.calendar import DEFAULT_START_DATE, check_date, date_problem, month_of_date
from sim.scenario.calendar_mechanisms import Capital, Experts, Generations, Investment, PostTraining, Products, Progress
from sim.scenario.errors import ScenarioError, format_error, validate_mapping
from sim.scenario.paths import collect_numeric, set_path, switch_on_sections

APP_CATEGORIES = ("chatbot", "writing_tool", "customer_service", "code_assistant")
STRATEGIES = ("frontier", "open_weights", "efficient")


class Region(_Strict):
    """A labelling workforce region. Wages and living wages default to ``data/reference/defaults.csv`` rows."""

    name: str = Field(min_length=1)
    share: float = Field(gt=0, le=1, description="share of labelling vendors based here")
    wage_usd_per_hour: float = Field(gt=0, le=500, description="workers' take-home pay")
    living_wage_usd_per_hour: float = Field(gt=0, le=500, description="living-wage benchmark for the region")
    labels_per_hour: float = Field(default=60.0, gt=0, le=10_000, description="classification labels per worker-hour")
    accuracy: float = Field(default=0.93, ge=0.5, le=1.0, description="share of labels correct, before bias")
    bias: float = Field(default=0.05, ge=0.0, le=1.0, description="probability of flipping a label about one group")


def _region(name: str, share: float, accuracy: float, bias: float) -> Region:
    return Region(
        name=name,
        share=share,
        wage_usd_per_hour=default(f"labeller_wage_usd_per_hour.{name}"),
        living_wage_usd_per_hour=default(f"living_wage_usd_per_hour.{name}"),
        accuracy=accuracy,
        bias=bias,
    )


def _default_regions() -> list[Region]:
    return [
        _region("kenya", 0.35, 0.93, 0.08),
        _region("india", 0.30, 0.93, 0.06),
        _region("philippines", 0.25, 0.94, 0.05),
        _region("usa", 0.10, 0.96, 0.03),
    ]


class Labellers(_Strict):
    count: int = Field(default=24, ge=1, le=200_000)
    capital_usd: float = Field(default=2.0e5, ge=0, le=1e13)
    workers_per_vendor: int = Field(default=150, ge=1, le=100_000)
    hours_per_worker_month: float = Field(default=160.0, gt=0, le=744)
    vendor_margin: float = Field(default=0.3, ge=0, le=5, description="label price = wage cost x (1 + margin)")
    regions: list[Region] = Field(default_factory=_default_regions, min_length=1)
    experts: Experts | None = Field(default=None, description="the expert-feedback tier; null: crowd labels only")

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Labellers:
        total = sum(r.share for r in self.regions)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"regions' shares sum to {total:.4g}; allowed: shares summing to 1")
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique, got {names}")
        return self


class StrategyMix(_Strict):
    frontier: float = Field(default=0.4, ge=0, le=1)
    open_weights: float = Field(default=0.3, ge=0, le=1)
    efficient: float = Field(default=0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self) -> StrategyMix:
        total = self.frontier + self.open_weights + self.efficient
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"strategy shares sum to {total:.4g}; allowed: shares summing to 1")
        return self


OptimisationChoice = Literal["none", "int8", "distill"]


class Optimisation(_Strict):
    """The chain's model-optimisation stage: what each kind of lab does to its model before serving it.

    The quality cost of each technique is the relative rise in held-out loss the probe measured on the real small
    Transformer (``data/profiles/probe_cpu.json``); the serving saving follows from the hardware: int8 runs at the
    fp8/int8 tensor peak, twice the bf16 peak on the GPUs in ``hardware.csv``, so each token takes half the GPU time.
    """

    frontier: OptimisationChoice = "int8"
    open_weights: OptimisationChoice = "int8"
    efficient: OptimisationChoice = "distill"
    distill_size_ratio: float = Field(default=0.25, gt=0, le=1, description="student params / teacher params")


class Trainers(_Strict):
    count: int = Field(default=6, ge=1, le=10_000)
    capital_usd: float = Field(default=1.5e8, gt=0, le=1e13)
    strategy_mix: StrategyMix = Field(default_factory=StrategyMix)
    hardware_id: str = Field(default="H100-SXM", description="accelerator the labs train on")
    budget_share_per_run: float = Field(default=0.6, gt=0, le=1, description="share of cash committed to each run")
    target_run_months: int = Field(default=3, ge=1, le=36, description="run length the lab plans GPU rentals for")
    research_compute_multiple: float = Field(
        default=0.0, ge=0, le=50,
        description="GPU-hours a lab rents for experiments, ablations and smaller models per GPU-hour of its "
        "run in progress (the final run is a minority of a lab's R&D compute); paid from cash, trains nothing")
    labels_per_sqrt_billion_params: float = Field(
        default=1.5e5, ge=0, le=1e9,
        description="labels bought per run = this x sqrt(params / 1e9); Llama 2 70B used ~1.4M comparisons "
        "(labelling_ops.csv), i.e. ~1.7e5 x sqrt(70)")
    licence_share: float = Field(default=0.4, ge=0, le=0.6,
                                 description="share of the API price a provider pays the model's lab as licence fee")
    open_weights_licence_factor: float = Field(default=0.25, ge=0, le=1,
                                               description="open-weights labs charge this fraction of licence_share")
    efficient_tokens_multiplier: float = Field(default=4.0, ge=1, le=100,
                                               description="efficient labs train on k x the optimal tokens per param")
    optimisation: Optimisation = Field(default_factory=Optimisation)
    min_cash_to_train_usd: float = Field(default=2.0e6, ge=0, le=1e13)
    staff_cost_usd_per_month: float = Field(default=1.0e6, ge=0, le=1e12, description="research team, paid outside")
    aggregation: Literal["single", "majority3", "gold"] = Field(default="single",
                                                                description="label aggregation without a mandate")
    post_training: PostTraining | None = Field(default=None, description="human data as a share of each run's "
                                               "budget; null: labels ~ sqrt(params) at the run's start")
    products: Products = Field(default_factory=Products)

    @field_validator("hardware_id")
    @classmethod
    def _known_hardware(cls, v: str) -> str:
        if v not in hardware_catalog():
            raise ValueError(f"unknown hardware id {v!r}; allowed: {', '.join(sorted(hardware_catalog()))}")
        return v


class Clouds(_Strict):
    count: int = Field(default=4, ge=1, le=10_000)
    capital_usd: float = Field(default=3.0e8, gt=0, le=1e14)
    fleet: dict[str, int] = Field(default_factory=lambda: {"H100-SXM": 3000, "A100-80GB": 3000},
                                  description="GPUs per cloud by hardware id; clouds take the ids in turn")
    pue: float = Field(default_factory=lambda: default("pue.hyperscale"), ge=1.0, le=3.0)
    grid_gco2_per_kwh: float = Field(default_factory=lambda: default("grid_gco2_per_kwh.us_average"), ge=0, le=2000)
    electricity_usd_per_kwh: float = Field(default=0.08, ge=0, le=5,
                                           description="assumption (not in the reference tables): industrial tariff")
    price_markup: float = Field(default=1.0, gt=0, le=10,
                                description="initial price = this x the reference rental price of the hardware")
    generations: Generations = Field(default_factory=Generations)
    investment: Investment = Field(default_factory=Investment)

    @field_validator("fleet")
    @classmethod
    def _fleet(cls, v: dict[str, int]) -> dict[str, int]:
        if not v:
            raise ValueError("fleet is empty; allowed: at least one hardware id with a GPU count")
        for hw, n in v.items():
            if hw not in hardware_catalog():
                raise ValueError(f"unknown hardware id {hw!r}; allowed: {', '.join(sorted(hardware_catalog()))}")
            if not 1 <= n <= 10_000_000:
                raise ValueError(f"{hw}: {n} GPUs; allowed: 1 to 10,000,000")
        return v


class Providers(_Strict):
    count: int = Field(default=8, ge=1, le=100_000)
    capital_usd: float = Field(default=2.0e7, gt=0, le=1e13)
    serving_efficiency: float = Field(default=0.35, gt=0, le=1,
                                      description="share of the serving roofline realised (the planner's efficiency "
                                      "factor, fitted on MLPerf rows per accelerator family in validate-serving)")
    target_utilization: float = Field(default=0.6, gt=0, le=1, description="utilisation of rented inference GPUs")
    staff_cost_usd_per_month: float = Field(default=2.0e5, ge=0, le=1e12, description="engineering team, paid outside")


class Apps(_Strict):
    count: int = Field(default=160, ge=1, le=1_000_000)
    capital_usd: float = Field(default=1.0e6, gt=0, le=1e12)
    launch_rate_per_month: float = Field(default=0.12, gt=0, le=1,
                                         description="chance an unlaunched app launches in a month once APIs exist")
    app_margin: float = Field(default=0.6, ge=0, le=20, description="app price = token cost per user x (1 + margin)")
    overhead_usd_per_user_month: float = Field(default=4.0, ge=0, le=1000,
                                               description="support and tooling cost per user, paid outside")
    fixed_cost_usd_per_month: float = Field(default=5.0e4, ge=0, le=1e10,
                                            description="team cost of a launched app, paid outside")
    candidates: int = Field(default=6, ge=1, le=100, description="providers an app compares when it chooses one")


class CategoryDemand(_Strict):
    potential_users: float = Field(gt=0, le=1e11, description="end users who could adopt at month 0")
    growth_per_month: float = Field(ge=-0.5, le=1.0, description="growth of the potential user base per month")
    tokens_per_user_month: float = Field(gt=0, le=1e10)
    reference_price_usd_per_month: float = Field(gt=0, le=1e5, description="price at which adoption is 'full'")
    price_elasticity: float = Field(ge=0, le=10, description="adoption ~ (price / reference) ^ -elasticity")
    quality_elasticity: float = Field(default=1.5, ge=0, le=10, description="adoption ~ quality ^ this")
    saturation_users: float | None = Field(default=None, gt=0, le=1e11,
                                           description="ceiling of the potential user base (logistic growth); "
                                           "null for unbounded growth")
    unlock_capability: Literal["gpt35", "gpt4"] | None = Field(
        default=None, description="the category's users start to grow once a model on offer reaches this level "
        "(capability_thresholds.csv); null: from the start")
    tokens_per_user_growth_per_year: float = Field(default=0.0, ge=0, le=20,
                                                   description="tokens per user grow by this fraction a year")


def _default_demand() -> dict[str, CategoryDemand]:
    return {
        # the chatbot ceiling is ChatGPT's 800M weekly users (demand.csv); the other ceilings are assumptions
        "chatbot": CategoryDemand(potential_users=2.0e7, growth_per_month=0.035, tokens_per_user_month=4.0e5,
                                  reference_price_usd_per_month=20.0, price_elasticity=1.2,
                                  saturation_users=default("end_users.chatgpt_weekly_active_2025_10")),
        "writing_tool": CategoryDemand(potential_users=8.0e6, growth_per_month=0.03, tokens_per_user_month=2.0e5,
                                       reference_price_usd_per_month=12.0, price_elasticity=1.5,
                                       saturation_users=3.0e8),
        "customer_service": CategoryDemand(potential_users=5.0e6, growth_per_month=0.035,
                                           tokens_per_user_month=8.0e5, reference_price_usd_per_month=30.0,
                                           price_elasticity=0.8, saturation_users=2.0e8),
        "code_assistant": CategoryDemand(potential_users=4.0e6, growth_per_month=0.045, tokens_per_user_month=1.5e6,
                                         reference_price_usd_per_month=20.0, price_elasticity=0.9,
                                         saturation_users=1.0e8),
    }


class Market(_Strict):
    demand: dict[str, CategoryDemand] = Field(default_factory=_default_demand)
    demand_growth_multiplier: float = Field(default=1.0, ge=0, le=10, description="scales every category's growth")
    adoption_speed: float = Field(default=0.25, gt=0, le=1, description="share of the gap to target users closed/month")
    app_network_weight: float = Field(default=0.0, ge=0, le=3,
                                      description="word of mouth: an app's pull on new users x (its users + 5% of "
                                      "the category's mean) ^ this (0: off); incumbents with many users keep them")
    gpu_price_response: float = Field(default=0.3, ge=0, le=5,
                                      description="monthly price change per unit of utilisation above target")
    target_gpu_utilization: float = Field(default=0.75, gt=0, le=1)
    gpu_price_floor_share: float = Field(default=0.35, gt=0, le=1, description="price floor as share of reference")
    api_margin: float = Field(default=0.5, ge=0, le=20, description="providers' markup over cost with no rival")
    capacity_lead_time_months: int = Field(default=6, ge=0, le=60)
    gpu_price_performance_doubling_years: float | None = Field(
        default_factory=lambda: default("gpu_price_performance_doubling_years.ml_gpus"), ge=0.5, le=100,
        description="FLOP/s per dollar doubles this often (newer parts); null freezes hardware prices; at least "
                    "0.5 years, so that 600 months of progress (2^-100) cannot round GPU prices to zero")
    expansion_utilization: float = Field(default=0.85, gt=0, le=1, description="clouds order GPUs above this")
    expansion_share: float = Field(default=0.4, ge=0, le=5, description="fleet growth per order")
    entry_margin: float = Field(default=0.25, ge=0, le=10, description="stage profit margin that attracts entrants")
    exit_after_months_insolvent: int = Field(default=3, ge=1, le=120)
    logit_price_weight: float = Field(default=1.0, ge=0, le=100, description="utility per unit of log price")
    logit_quality_weight: float = Field(default=15.0, ge=0, le=1000, description="utility per unit of quality")

    @field_validator("demand")
    @classmethod
    def _categories(cls, v: dict[str, CategoryDemand]) -> dict[str, CategoryDemand]:
        unknown = set(v) - set(APP_CATEGORIES)
        if unknown:
            raise ValueError(f"unknown app categories {sorted(unknown)}; allowed: {', '.join(APP_CATEGORIES)}")
        if not v:
            raise ValueError("no app category; allowed: one or more of " + ", ".join(APP_CATEGORIES))
        return v


class BiasAudit(_Strict):
    enabled: bool = False
    threshold: float = Field(default=0.03, gt=0, le=1,
                             description="largest deployable model bias (demographic-parity difference)")
    fine_usd: float = Field(default=5.0e6, ge=0, le=1e12)
    action: Literal["block", "fine"] = Field(default="block", description="failing models are blocked or fined")
    start_month: int = Field(default=0, ge=0, le=1200)
    start_at: str | None = Field(default=None, description="YYYY-MM date the mandate starts (instead of start_month)")


class OpenWeightsRelease(_Strict):
    month: int | None = Field(default=None, ge=0, le=1200, description="month an outside lab releases open weights")
    at: str | None = Field(default=None, description="YYYY-MM date of the release (instead of month)")
    params: float = Field(default=7.0e10, gt=1e6, le=1e13)
    tokens: float = Field(default=1.5e13, gt=1e6, le=1e15)
    bias: float = Field(default=0.05, ge=0, le=1)


class Policy(_Strict):
    wage_floor_usd_per_hour: float | None = Field(default=None, gt=0, le=500)
    bias_audit: BiasAudit = Field(default_factory=BiasAudit)
    carbon_price_usd_per_tco2: float = Field(default=0.0, ge=0, le=10_000)
    open_weights_release: OpenWeightsRelease = Field(default_factory=OpenWeightsRelease)


MAX_SHOCKS = 100  # scheduled shocks in one scenario
# the shocks of one kind, compounded up to any month, move GPU prices or demand at most by these factors: one
# +1000% GPU-price shock in effect at most (GPU-hour prices then stay below the planner's 1,000 USD/h)
SHOCK_FACTOR_BOUNDS = {"gpu_price": (0.01, 11.0), "demand": (1e-4, 1e4)}


class Shock(_Strict):
    month: int | None = Field(default=None, ge=0, le=1200, description="month index; or give the date as 'at'")
    at: str | None = Field(default=None, description="YYYY-MM date the shock takes effect (instead of month)")
    kind: Literal["gpu_price", "demand"]
    change: float = Field(gt=-1.0, le=10.0, description="fractional change, e.g. -0.5 halves the price")


class Scenario(_Strict):
    name: str = "custom"
    question: str = ""
    start_date: str = Field(default=DEFAULT_START_DATE, description="YYYY-MM date of step 0")
    horizon_months: int = Field(default=72, ge=1, le=600)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    scaling_fit: Literal["epoch", "hoffmann"] = "epoch"
    labellers: Labellers = Field(default_factory=Labellers)
    trainers: Trainers = Field(default_factory=Trainers)
    clouds: Clouds = Field(default_factory=Clouds)
    providers: Providers = Field(default_factory=Providers)
    apps: Apps = Field(default_factory=Apps)
    market: Market = Field(default_factory=Market)
    policy: Policy = Field(default_factory=Policy)
    shocks: list[Shock] = Field(default_factory=list, max_length=MAX_SHOCKS)
    capital: Capital = Field(default_factory=Capital)
    progress: Progress = Field(default_factory=Progress)

    @field_validator("start_date")
    @classmethod
    def _start_date(cls, v: str) -> str:
        return check_date(v)

    @model_validator(mode="after")
    def _dated_events(self) -> Scenario:
        """Events given ``at`` a date: the date is valid, after ``start_date``, and not given with a month too."""
        events = [(f"shocks.{i}", s, "month") for i, s in enumerate(self.shocks)]
        events += [("policy.open_weights_release", self.policy.open_weights_release, "month"),
                   ("policy.bias_audit", self.policy.bias_audit, "start_month")]
        for where, ev, month_field in events:
            at_field = "start_at" if month_field == "start_month" else "at"
            at = getattr(ev, at_field)
            if at is None:
                if where.startswith("shocks") and ev.month is None:
                    raise ValueError(f"{where}: neither month nor at is given; allowed: one of them")
                continue
            problem = date_problem(at)
            if problem:
                raise ValueError(f"{where}.{at_field}: {problem}")
            if where.startswith("shocks") and ev.month is not None:
                raise ValueError(f"{where}: both month ({ev.month}) and at ({at!r}) are given; allowed: one of them")
            if month_of_date(self.start_date, at) < 1:
                raise ValueError(f"{where}.{at_field}: {at!r} is not after start_date {self.start_date!r}; "
                                 f"allowed: a date after the start")
        return self

    def event_month(self, month: int | None, at: str | None) -> int | None:
        """The month index of an event given by month index or by date (``sim.scenario.calendar``)."""
        return month_of_date(self.start_date, at) if at is not None else month

    @model_validator(mode="after")
    def _shocks_compound_within_bounds(self) -> Scenario:
        # shocks multiply: bound their running product per kind (in month order) so that no price or demand can
        # overflow or vanish, and GPU prices stay within what the cost formulas accept
        for kind, (low, high) in SHOCK_FACTOR_BOUNDS.items():
            factor = 1.0
            for shock in sorted((s for s in self.shocks if s.kind == kind), key=lambda s: self.event_month(s.month, s.at)):
                factor *= 1.0 + shock.change
                if not low <= factor <= high:
                    raise ValueError(f"shocks: the {kind} shocks compound to x{factor:.3g} by month {self.event_month(shock.month, shock.at)}; "
                                     f"allowed: a combined factor from x{low:g} to x{high:g} at any month")
        return self

    # ---- YAML and overrides ---------------------------------------------------------------------------------------

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def content_key(self) -> str:
        """A stable hash of the scenario's content (for caches and run ids)."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-path fields replaced (``{"market.api_margin": 0.2}``), validated."""
        data = self.model_dump(mode="json")
        for path, value in overrides.items():
            switch_on_sections(type(self), data, path)
            set_path(data, path, value)
        return validate_scenario(data)

    @classmethod
    def numeric_fields(cls) -> dict[str, tuple[type, float | None, float | None]]:
        """Dotted paths of numeric fields with their (type, lower, upper) bounds, for sweeps and the dashboard."""
        out: dict[str, tuple[type, float | None, float | None]] = {}
        collect_numeric(cls, "", out, Scenario().model_dump(mode="python"))
        return out


def validate_scenario(data: Any) -> Scenario:
    """A ``Scenario`` from plain data, or a ``ScenarioError`` listing every problem."""
    return validate_mapping(Scenario, data, ScenarioError, "scenario", lambda e: [format_error(e)])
