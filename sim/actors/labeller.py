"""``DataLabeller``: a labelling workforce vendor; sells labelled examples, pays its workers by the hour."""

from __future__ import annotations

from sim.actors.base import ChainAgent


class DataLabeller(ChainAgent):
    """A labelling workforce vendor: sells labelled examples, pays its workers by the hour."""

    agent_type = "labeller"

    def __init__(self, model, region, workers: int, hours_per_worker_month: float, margin: float,
                 tier: str = "crowd") -> None:
        super().__init__(model)
        self.tier = tier  # "crowd" or "expert" (``sim.markets.labels``)
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
        self.hours_worked = 0.0  # this month
        self.labels_sold_month = 0.0

    def reset_month(self) -> None:
        super().reset_month()
        self.hours_worked = 0.0
        self.labels_sold_month = 0.0

    def set_wage(self, floor_usd_per_hour: float | None) -> None:
        self.wage_usd_per_hour = max(self.base_wage_usd_per_hour, floor_usd_per_hour or 0.0)

    @property
    def price_usd_per_label(self) -> float:
        return self.wage_usd_per_hour / self.labels_per_hour * (1.0 + self.margin)

    @property
    def capacity_labels_per_month(self) -> float:
        return self.workers * self.hours_per_worker_month * self.labels_per_hour

    def sell(self, labels: float, revenue_usd: float) -> float:
        """Record a month's sale; returns the worker-hours it took."""
        hours = labels / self.labels_per_hour
        self.labels_sold += labels
        self.labels_sold_month += labels
        self.hours_worked += hours
        self.revenue_usd += revenue_usd
        return hours
