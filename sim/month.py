"""``Month``: what one month passes from stage to stage, made fresh at the start of each step.

``metrics`` collects the month's figures as the stages produce them (``sim.metrics.record`` completes them); the other
fields carry a stage's results to a later one: the apps' orders from the end-user market to the payments, the clouds
and the filled share of GPU demand from the GPU-hour market to the providers and the energy bill, and the licence
fees and tokens per firm to the concentration indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class AppOrders:
    """The apps' choices this month, aligned with ``apps``: provider index (-1: none), users, tokens, prices."""

    apps: list
    providers: list  # the live providers the apps chose among
    prov_ids: np.ndarray
    current: np.ndarray  # index into providers, -1 for an app without one
    users: np.ndarray
    tokens: np.ndarray
    price: np.ndarray  # subscription price per user (USD per month)
    api_price: np.ndarray  # the chosen provider's price (USD per 1M tokens), NaN without one


@dataclass
class Month:
    t: int
    metrics: dict = field(default_factory=dict)
    orders: AppOrders | None = None  # set by the end-user market once apps have providers to choose from
    clouds: list = field(default_factory=list)  # the clouds in the GPU-hour market
    gpu_fill: float = 1.0  # share of GPU-hour demand served
    licence_by_owner: dict[int, float] = field(default_factory=dict)  # licence fees per lab
    tokens_by_provider: dict[int, float] = field(default_factory=dict)  # tokens served per provider

    @classmethod
    def begin(cls, t: int) -> Month:
        return cls(t, {"labels_bought": 0.0, "label_spend_usd": 0.0, "models_released": 0, "audit_fines_usd": 0.0})
