"""The scenario sections of the calendar-time mechanisms (issue 11). Each is off by default, so a scenario that does
not name them runs the chain as before; the ``history_2020`` and ``forecast_2031`` presets switch them on.

- ``clouds.generations``: accelerators become available at their dates (``hardware.csv``: ``available_date``, ``list_price_usd``); clouds buy the
  newest one at its list price; older cohorts keep running until the end of their life.
- ``clouds.investment``: clouds order GPUs for the demand they expect at delivery, financed partly from outside.
- ``capital``: an outside investor funds labs in rounds tied to revenue, growth and standing.
- ``progress``: algorithmic progress, effective compute per physical FLOP and cheaper serving every year.
- ``labellers.experts``: the expert-feedback tier of human data; ``trainers.post_training`` the share of each
  training budget spent on human data and its split between the tiers.
- ``trainers.products``: frontier labs serve a first-party API and a chat app; open weights are free to host.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from ecosystem.reference import Hardware, default, hardware_catalog
from sim.scenario.base import Strict
from sim.scenario.calendar import check_date

DEFAULT_GENERATIONS = ("V100", "A100-80GB", "H100-SXM", "H200", "B200")


def generation_table() -> dict[str, Hardware]:
    """The accelerators of ``hardware.csv`` that have an availability date and a list price, by id."""
    return {h.id: h for h in hardware_catalog().values() if h.available_date and h.list_price_usd}


class Generations(Strict):
    enabled: bool = Field(default=False, description="clouds buy the newest available generation at its price")
    buy: list[str] = Field(default_factory=lambda: list(DEFAULT_GENERATIONS), min_length=1,
                           description="hardware ids clouds may buy: hardware.csv ids with an available date and list price")
    life_years: float = Field(default=5.0, gt=0.5, le=15,
                              description="assumption: service life of an accelerator; wear per GPU-hour = "
                              "installed cost / life hours, and cohorts retire at the end of it (generations only)")

    @field_validator("buy")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        table = generation_table()
        unknown = [h for h in v if h not in table]
        if unknown:
            raise ValueError(f"unknown generation ids {unknown}; allowed: {', '.join(sorted(table))}")
        return v


class Investment(Strict):
    """Clouds order GPUs from expected demand (``sim.markets.gpu_investment``) instead of after busy months."""

    enabled: bool = Field(default=False, description="clouds order GPUs for the demand expected when they arrive")
    growth_window_months: int = Field(default=6, ge=1, le=36,
                                      description="trailing window over which a cloud reads its demand growth")
    max_growth_per_year: float = Field(default=10.0, ge=0, le=100,
                                       description="demand growth a cloud extrapolates at most (x per year - 1)")
    outside_share: float = Field(default=0.7, ge=0, le=1,
                                 description="share of each order financed by outside capital (debt, the parent's "
                                 "capex budget), the rest paid from the cloud's cash")


class Capital(Strict):
    enabled: bool = Field(default=False, description="an outside investor funds labs in rounds")
    round_interval_months: int = Field(default=12, ge=1, le=120, description="months between a lab's rounds")
    revenue_multiple: float = Field(default=10.0, ge=0, le=500,
                                    description="round size per USD of annualised revenue (all sources)")
    standing_round_usd: float = Field(default=3.0e8, ge=0, le=1e12,
                                      description="round of a lab with a released model, scaled by its standing "
                                      "(its best quality over the best in the market, to the power 4)")
    leader_multiplier: float = Field(default=3.0, ge=1, le=100, description="rounds of the quality leader x this")
    growth_weight: float = Field(default=0.5, ge=0, le=5,
                                 description="rounds x (1 + year-on-year revenue growth, capped at 10) ^ this")


class Progress(Strict):
    enabled: bool = Field(default=False, description="algorithmic progress over calendar time")
    pretraining_halving_months: float = Field(
        default_factory=lambda: default("algorithmic_halving_months.pretraining"), gt=1, le=240,
        description="compute to reach a fixed quality halves this often (defaults.csv)")
    inference_gain_per_year: float = Field(
        default_factory=lambda: default("inference_efficiency_gain_per_year"), ge=1, le=100,
        description="serving compute per token at fixed quality falls by this factor a year (defaults.csv)")
    base_date: str = Field(default="2020-01", description="date at which effective compute = physical compute")
    serving_reference_date: str = Field(
        default="2024-01", description="date whose serving technology the planner's serving formula describes "
        "(H100-era efficiency): serving costs the planner's figure x gain ^ (years before this date)")

    @field_validator("base_date", "serving_reference_date")
    @classmethod
    def _date(cls, v: str) -> str:
        return check_date(v)


class Experts(Strict):
    """Expert-feedback vendors: domain experts writing and ranking answers (labour.csv expert rows)."""

    count: int = Field(default=6, ge=1, le=10_000)
    capital_usd: float = Field(default=2.0e6, ge=0, le=1e13)
    workers_per_vendor: int = Field(default=1000, ge=1, le=1_000_000)
    hours_per_worker_month: float = Field(default=80.0, gt=0, le=744)
    wage_usd_per_hour: float = Field(default_factory=lambda: default("expert_wage_usd_per_hour"), gt=0, le=1000)
    labels_per_hour: float = Field(default=6.0, gt=0, le=1000, description="expert items per hour (labour.csv)")
    accuracy: float = Field(default=0.98, ge=0.5, le=1.0)
    bias: float = Field(default=0.01, ge=0, le=1)
    vendor_margin: float = Field(default=0.5, ge=0, le=5)


class PostTraining(Strict):
    """Human data bought as a share of each run's budget, over the run's months, split between the two tiers."""

    budget_share: float = Field(default=0.05, ge=0, le=0.8, description="share of a run's budget spent on human data")
    expert_share: float = Field(default=0.5, ge=0, le=1, description="share of that spend on expert feedback")


class Products(Strict):
    first_party: bool = Field(default=False, description="each frontier lab runs its own API and chat app")
    open_weights_free: bool = Field(default=False, description="open-weights labs' models carry no licence fee")
