"""``AppDeveloper``: builds an app in one category on a provider's API and sells subscriptions to end users
(``sim.markets.api_tokens`` chooses its provider, ``sim.markets.end_users`` its users)."""

from __future__ import annotations

from sim.actors.base import ChainAgent


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
        self.owner_lab_id: int | None = None  # a lab's own chat app (``sim.markets.first_party``)
        self.api_bill_usd = 0.0  # this month

    def reset_month(self) -> None:
        super().reset_month()
        self.api_bill_usd = 0.0

    def launch(self) -> None:
        self.launched = True
        self.model.event("app_launch", self.unique_id, "app", self.category)
