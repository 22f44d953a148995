"""Market-clearing algorithms the markets share, vectorised: a month costs O(n log n) in the number of agents.

* ``merit_order_match``: buyers' quantities are matched against sellers sorted by price (cheapest first), by walking
  the two cumulative sums together; the result is at most ``buyers + sellers`` trades, never ``buyers x sellers``.
* ``logit_choice``: each chooser picks among a few sampled candidates with probability proportional to
  ``exp(utility)`` (Gumbel-max), O(choosers x candidates).
* ``hhi``: Herfindahl-Hirschman index of market shares, 0 to 10,000.
* ``group_sum``: sums of values per integer group (bincount).
"""

from __future__ import annotations

import numpy as np


def merit_order_match(
    buyer_qty: np.ndarray, seller_qty: np.ndarray, seller_price: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Match buyers to sellers, cheapest seller first; ration all buyers pro rata if supply is short.

    Returns ``(buyer_index, seller_index, quantity, fill)`` of the trades and the filled share of demand.
    """
    buyer_qty = np.asarray(buyer_qty, dtype=np.float64)
    seller_qty = np.asarray(seller_qty, dtype=np.float64)
    demand = float(buyer_qty.sum())
    supply = float(seller_qty.sum())
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), 1.0)
    if demand <= 0 or supply <= 0 or len(buyer_qty) == 0 or len(seller_qty) == 0:
        return empty[0], empty[1], empty[2], (1.0 if demand <= 0 else 0.0)
    fill = min(1.0, supply / demand)
    wanted = buyer_qty * fill
    order = np.argsort(seller_price, kind="stable")
    s_cum = np.cumsum(seller_qty[order])
    b_cum = np.cumsum(wanted)
    total = min(b_cum[-1], s_cum[-1])
    # breakpoints of both cumulative sums; each interval between breakpoints is one (buyer, seller) trade
    points = np.unique(np.concatenate([[0.0], b_cum, s_cum]))
    points = points[points <= total * (1 + 1e-12)]
    lo, hi = points[:-1], points[1:]
    mid = (lo + hi) / 2.0
    b_idx = np.searchsorted(b_cum, mid, side="right")
    s_pos = np.searchsorted(s_cum, mid, side="right")
    qty = hi - lo
    keep = (qty > 0) & (b_idx < len(wanted)) & (s_pos < len(order))
    return b_idx[keep], order[s_pos[keep]], qty[keep], fill


def logit_choice(rng: np.random.Generator, utilities: np.ndarray) -> np.ndarray:
    """Index of the chosen column for each row, drawn with probability softmax(utility) (Gumbel-max trick)."""
    noise = rng.gumbel(size=utilities.shape)
    return np.argmax(utilities + noise, axis=1)


def hhi(quantities: np.ndarray) -> float:
    """Herfindahl-Hirschman index (0-10,000) of the shares implied by non-negative quantities; 0 if all zero."""
    q = np.asarray(quantities, dtype=np.float64)
    total = q.sum()
    if total <= 0:
        return 0.0
    shares = q / total * 100.0
    return float((shares**2).sum())


def group_sum(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per integer group code (bincount)."""
    return np.bincount(codes, weights=values, minlength=n_groups)
