"""``ChainAgent``: what every actor of the chain has, an account in the model's ledger and this month's revenue and
cost (for entry decisions and solvency)."""

from __future__ import annotations

import mesa


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
