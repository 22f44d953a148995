"""Chinchilla scaling law: L(N, D) = E + A / N**alpha + B / D**beta, and the compute-optimal split of a budget.

Both published fits are available (``data/reference/scaling_laws.csv``): ``hoffmann`` (Hoffmann et al. 2022, Eq. 10)
and ``epoch`` (Besiroglu et al. 2024's replication, the default). Losses are in nats per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ecosystem.reference import ChinchillaFit, chinchilla_fit

DEFAULT_FIT = "epoch"


def loss(n_params: float, n_tokens: float, fit: str | ChinchillaFit = DEFAULT_FIT) -> float:
    """Predicted pre-training loss (nats/token) of a model of ``n_params`` trained on ``n_tokens``."""
    f = chinchilla_fit(fit) if isinstance(fit, str) else fit
    if n_params <= 0 or n_tokens <= 0:
        raise ValueError("loss: n_params and n_tokens must be > 0")
    return f.E + f.A / n_params**f.alpha + f.B / n_tokens**f.beta


@dataclass(frozen=True)
class OptimalAllocation:
    """Compute-optimal parameters and tokens for a FLOP budget (C = 6 N D)."""

    train_flops: float
    params: float
    tokens: float
    predicted_loss: float
    fit: str

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params


def optimal_allocation(train_flops: float, fit: str = DEFAULT_FIT) -> OptimalAllocation:
    """Minimise L(N, D) subject to 6 N D = C (Hoffmann et al. 2022, Eq. 4).

    N_opt = G (C/6)^a and D_opt = (C/6)^b / G with a = beta/(alpha+beta), b = alpha/(alpha+beta),
    G = (alpha A / (beta B))^(1/(alpha+beta)).
    """
    if not train_flops > 0:
        raise ValueError(f"train_flops must be > 0, got {train_flops!r}")
    f = chinchilla_fit(fit)
    s = f.alpha + f.beta
    g = (f.alpha * f.A / (f.beta * f.B)) ** (1.0 / s)
    c6 = train_flops / 6.0
    n_opt = g * c6 ** (f.beta / s)
    d_opt = c6 ** (f.alpha / s) / g
    return OptimalAllocation(train_flops, n_opt, d_opt, loss(n_opt, d_opt, f), fit)


def quality_from_loss(loss_nats: float, fit: str = DEFAULT_FIT) -> float:
    """A 0..1 quality index: where the model's reducible loss (L - E) sits, on a log scale, between a tiny model
    (10M params on 200M tokens: quality 0) and a far-frontier one (10T params on 200T tokens: quality 1).

    Log scale because each halving of reducible loss takes a roughly constant multiple of compute, so equal steps of
    the index are equal steps of progress. The simulation's app developers and users compare models on it.
    """
    f = chinchilla_fit(fit)
    low = loss(1e7, 2e8, f) - f.E
    high = loss(1e13, 2e14, f) - f.E
    reducible = max(loss_nats - f.E, 1e-12)
    q = math.log(low / reducible) / math.log(low / high)
    return float(min(1.0, max(0.0, q)))
