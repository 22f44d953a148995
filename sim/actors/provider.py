"""``ServiceProvider``: licenses a model and sells API tokens; its cost per 1M tokens comes from the planner's serving
formula (``sim.markets.licences`` prices the models, ``sim.markets.gpu_hours`` rents the inference GPUs)."""

from __future__ import annotations

from sim.actors.base import ChainAgent
from sim.actors.trained_model import TrainedModel

RECHOOSE_PROBABILITY = 0.2  # chance a provider reconsiders which model to host in a month


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
        self.owner_lab_id: int | None = None  # a lab's first-party API (``sim.markets.first_party``)

    def reset_month(self) -> None:
        """A month's demand and service start at nothing: a provider no app chose this month serves no tokens (and
        pays no licence on last month's)."""
        super().reset_month()
        self.tokens_demanded = 0.0
        self.tokens_served = 0.0

    @property
    def live(self) -> bool:
        return self.hosted is not None

    def wants_to_choose(self, offered: set[int]) -> bool:
        """Whether the provider picks a model this month: it hosts none, its model was blocked or withdrawn, or it
        reconsiders (a draw from the model's random stream, made only when the other reasons do not hold)."""
        return (self.hosted is None or not self.hosted.deployable or id(self.hosted) not in offered
                or self.random.random() < RECHOOSE_PROBABILITY)

    def host(self, new: TrainedModel) -> None:
        if self.hosted is not new:
            if self.hosted is None:
                self.model.event("api_launch", self.unique_id, "provider", f"hosts model {new.model_id}")
            self.hosted = new
