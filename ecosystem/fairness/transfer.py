"""The measured relation between the labels a model was trained on and the model's bias, for the simulation.

``scripts/make_bias_transfer.py`` runs the real audit (:func:`ecosystem.fairness.audit.run_audit`) over a grid of
label bias x label noise x aggregation, several replicates (seeds) per cell, and writes
``data/profiles/bias_transfer.csv`` (with a sidecar ``bias_transfer.json`` naming the script, its version and
settings): per cell the mean over replicates (``model_*``) and their spread (``model_*_seed_sd``, ``*_band_lo/hi``,
``*_mean_ci95_lo/hi``). This module reads the means once, keeps them as numpy arrays, and answers:

* ``model_bias(label_bias, label_noise, aggregation, metric="dp_difference")``: the model bias the audit measured for
  those labels, interpolated bilinearly in (label_bias, label_noise).
* ``label_cost_multiplier(aggregation)``: label cost per training example relative to ``single``, as paid in the runs.

Out-of-grid inputs: ``label_bias`` must lie in [0, 1] and ``label_noise`` in [0, 0.5] (ValueError otherwise). Inside
those ranges, a value beyond the grid's last measured point is clamped to it (the table is flat beyond its edges):
the sweep covers label bias up to 1, so only label noise above the largest measured noise is clamped.
Measured bias can dip by chance between neighbouring bias levels; each (aggregation, noise) column is therefore made
non-decreasing in label bias by isotonic regression (pool-adjacent-violators) when the table is loaded, so the
function is monotone in label bias.
"""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ecosystem.checks import check_choice, check_number
from ecosystem.fairness.labelling import AGGREGATIONS
from ecosystem.reference import PROFILE_DIR

TABLE_PATH = PROFILE_DIR / "bias_transfer.csv"
METRICS: dict[str, str] = {
    "dp_difference": "model_dp_difference",
    "eo_difference": "model_eo_difference",
    "flip_rate": "model_flip_rate",
}


def isotonic_increasing(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares non-decreasing fit (pool-adjacent-violators)."""
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    blocks: list[list[float]] = []  # [mean, weight, count]
    for yi, wi in zip(y, w):
        blocks.append([yi, wi, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(c, m) for m, _, c in blocks]) if blocks else y


@dataclass(frozen=True)
class TransferTable:
    biases: tuple[float, ...]
    noises: tuple[float, ...]
    values: dict  # (aggregation, metric) -> tuple of rows (one per bias) of tuples (one per noise)
    cost_multiplier: dict  # aggregation -> float
    path: str


@lru_cache(maxsize=4)
def load_table(path: str | Path | None = None) -> TransferTable:
    """Read the transfer table (default ``data/profiles/bias_transfer.csv``); cached."""
    p = Path(path) if path is not None else TABLE_PATH
    if not p.exists():
        raise FileNotFoundError(f"bias transfer table {p} is missing; make it with "
                                "`.venv/bin/python scripts/make_bias_transfer.py`")
    with p.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    biases = sorted({float(r["label_bias"]) for r in rows})
    noises = sorted({float(r["label_noise"]) for r in rows})
    aggs = sorted({r["aggregation"] for r in rows})
    missing_aggs = set(AGGREGATIONS) - set(aggs)
    if missing_aggs:
        raise ValueError(f"{p}: no rows for aggregation {sorted(missing_aggs)}")
    cell = {(float(r["label_bias"]), float(r["label_noise"]), r["aggregation"]): r for r in rows}
    values: dict = {}
    for agg in AGGREGATIONS:
        for metric, column in METRICS.items():
            grid = np.full((len(biases), len(noises)), np.nan)
            for i, b in enumerate(biases):
                for j, e in enumerate(noises):
                    r = cell.get((b, e, agg))
                    if r is None:
                        raise ValueError(f"{p}: missing row label_bias={b:g} label_noise={e:g} aggregation={agg}")
                    grid[i, j] = float(r[column])
            fitted = np.column_stack([isotonic_increasing(grid[:, j]) for j in range(len(noises))])
            values[(agg, metric)] = tuple(tuple(float(x) for x in row) for row in fitted)
    cost = {}
    single = np.mean([float(r["label_cost_usd_per_example"]) for r in rows if r["aggregation"] == "single"])
    for agg in AGGREGATIONS:
        per = np.mean([float(r["label_cost_usd_per_example"]) for r in rows if r["aggregation"] == agg])
        cost[agg] = float(per / single)
    return TransferTable(tuple(biases), tuple(noises), values, cost, str(p))


def _bracket(grid: tuple[float, ...], x: float) -> tuple[int, int, float]:
    """Indices (i, i + 1) around ``x`` and its weight on i + 1; clamped at both ends."""
    if x <= grid[0] or len(grid) == 1:
        return 0, 0, 0.0
    if x >= grid[-1]:
        last = len(grid) - 1
        return last, last, 0.0
    k = bisect.bisect_right(grid, x)
    lo, hi = grid[k - 1], grid[k]
    return k - 1, k, (x - lo) / (hi - lo)


def model_bias(label_bias: float, label_noise: float = 0.05, aggregation: str = "single",
               metric: str = "dp_difference", table: TransferTable | None = None) -> float:
    """Model bias measured by the audit for labels with this bias, noise and aggregation (bilinear interpolation).

    ``metric``: ``dp_difference`` (demographic-parity difference, default), ``eo_difference`` (equalised odds) or
    ``flip_rate`` (counterfactual flip rate). Monotone non-decreasing in ``label_bias``."""
    b = check_number("label_bias", label_bias, 0.0, 1.0)
    e = check_number("label_noise", label_noise, 0.0, 0.5)
    check_choice("aggregation", aggregation, AGGREGATIONS)
    check_choice("metric", metric, METRICS)
    t = table or load_table()
    grid = t.values[(aggregation, metric)]
    i0, i1, wb = _bracket(t.biases, b)
    j0, j1, we = _bracket(t.noises, e)
    top = grid[i0][j0] * (1 - we) + grid[i0][j1] * we
    bottom = grid[i1][j0] * (1 - we) + grid[i1][j1] * we
    return top * (1 - wb) + bottom * wb


def label_cost_multiplier(aggregation: str, table: TransferTable | None = None) -> float:
    """Label cost per training example relative to ``single`` (1.0), as paid in the sweep's runs: ``majority3`` is 3;
    ``gold`` is 1 plus the quiz answers of every labeller in the pool per training example."""
    check_choice("aggregation", aggregation, AGGREGATIONS)
    t = table or load_table()
    return t.cost_multiplier[aggregation]
