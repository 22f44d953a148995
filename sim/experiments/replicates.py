"""Replicates of one scenario: the seeds they run with, the median and quantile bands of a metric over them, and
whether two scenarios' figures differ beyond run-to-run variation (a paired test over common seeds).

Pure functions over ``RunResult.metrics`` frames (one per seed): the dashboard, the CLI and the tests share them.
Replicate k of a scenario whose own seed is s runs with seed s + k (mod 2**32): replicate 0 is the scenario's own
run, and two scenarios compared with the same number of replicates are paired seed by seed (common random numbers).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

BANDS = ((0.05, 0.95), (0.25, 0.75))  # 90% and 50% of the seeds
ALPHA = 0.05  # a difference is a finding when the paired test's two-sided p-value is below this
MAX_SEED = 2**32 - 1


def replicate_seeds(seed: int, n: int) -> list[int]:
    """The seeds of ``n`` replicates of a scenario with seed ``seed``: seed, seed + 1, ... (wrapping at 2**32)."""
    if n < 1:
        raise ValueError(f"replicates: {n} is not allowed; allowed: 1 or more")
    return [(int(seed) + k) % (MAX_SEED + 1) for k in range(int(n))]


def time_column(metrics: pd.DataFrame) -> str:
    """The calendar ``date`` column when the run has one, else the month index ``step``."""
    return "date" if "date" in metrics.columns else "step"


def bands(frames: list[pd.DataFrame], column: str) -> pd.DataFrame:
    """Month by month over the replicates' metrics frames: the median and the 5/25/75/95% quantiles of ``column``
    (NaN months left out per seed), with ``n`` the seeds that have a value. Indexed like the frames (step, and
    date when present)."""
    keys = ["step"] + (["date"] if "date" in frames[0].columns else [])
    stacked = pd.concat([f[keys + [column]] for f in frames], ignore_index=True)
    g = stacked.groupby(keys, sort=True)[column]
    out = pd.DataFrame({"median": g.median(), "n": g.count()})
    for lo, hi in BANDS:
        out[f"q{round(lo * 100):02d}"] = g.quantile(lo)
        out[f"q{round(hi * 100):02d}"] = g.quantile(hi)
    return out.reset_index()


@dataclass(frozen=True)
class Spread:
    """One figure over the replicates: its median and the bounds of the middle 50% and 90% of seeds."""

    median: float
    q05: float
    q25: float
    q75: float
    q95: float
    n: int  # seeds with a (finite) value

    @classmethod
    def of(cls, values) -> Spread:
        v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
        if len(v) == 0:
            return cls(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
        q = np.quantile(v, [0.5, 0.05, 0.25, 0.75, 0.95])
        return cls(*(float(x) for x in q), n=len(v))


@dataclass(frozen=True)
class PairedTest:
    """Whether a figure differs between two scenarios run on the same seeds."""

    test: str  # "Wilcoxon signed-rank" | "none"
    p_value: float
    n_pairs: int
    median_difference: float  # median over seeds of (scenario - reference)
    finding: bool  # p < ALPHA

    def describe(self) -> str:
        if self.n_pairs < 2:
            return "one seed: no test of run-to-run variation"
        return f"{self.test} test on {self.n_pairs} paired seeds, p = {self.p_value:.2g}"


def paired_test(values: list[float], reference: list[float]) -> PairedTest:
    """Two-sided Wilcoxon signed-rank test of ``values - reference`` (paired by seed; pairs with a NaN dropped).
    Exact for small samples; all-zero differences give p = 1. With fewer than 2 pairs there is no test."""
    a, b = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired test: {len(a)} values against {len(b)} reference values; allowed: one per seed")
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    n = int(len(d))
    med = float(np.median(d)) if n else math.nan
    if n < 2:
        return PairedTest("none", math.nan, n, med, False)
    scale = max(float(np.max(np.abs(a[keep]))), float(np.max(np.abs(b[keep]))), 1e-300)
    if np.all(np.abs(d) <= 1e-12 * scale):
        return PairedTest("Wilcoxon signed-rank", 1.0, n, 0.0, False)
    p = float(stats.wilcoxon(d, zero_method="zsplit", alternative="two-sided").pvalue)
    return PairedTest("Wilcoxon signed-rank", p, n, med, p < ALPHA)


def flows_by_type(flows: pd.DataFrame) -> pd.DataFrame:
    """Payments summed per month, payer type, payee type and category (a few hundred rows instead of ~30,000)."""
    return flows.groupby(["step", "payer_type", "payee_type", "category"], as_index=False, sort=True)[
        "amount_usd"].sum()


@functools.lru_cache(maxsize=4)
def _parsed(scenario_yaml: str):
    """The scenario of a YAML text, parsed once per worker process (a worker runs several seeds of one scenario;
    runs never modify their scenario)."""
    from sim.scenario import scenario_from_yaml

    return scenario_from_yaml(scenario_yaml)


class ReplicateCancelled(Exception):
    """A replicate stopped because its ``stop_file`` appeared (the dashboard page that asked for it went away)."""


def run_replicate(scenario_yaml: str, seed: int, stop_file: str | None = None) -> dict:
    """One replicate, for a worker process: its metrics, flows by actor type, events, price parts
    (``sim.diagnostics.prices``), plausibility findings (``sim.diagnostics.checks``) and run seconds. The scenario
    travels as its YAML; the per-payment ledger stays in the worker (aggregated there). If ``stop_file`` exists at
    the end of a month, the run stops there with ``ReplicateCancelled`` (a file: the worker is another process)."""
    import os
    import time

    from sim.diagnostics.checks import run_checks
    from sim.diagnostics.prices import price_parts
    from sim.runner import run

    t0 = time.perf_counter()
    scenario = _parsed(scenario_yaml)

    def check_stop(done: int, total: int) -> None:
        if os.path.exists(stop_file):
            raise ReplicateCancelled(f"seed {seed} cancelled at month {done} of {total}")

    result = run(scenario, seed=seed, collect_agents=False, collect_flows=False,
                 progress=check_stop if stop_file else None)
    by_type = result.flows_by_type
    parts = price_parts(result.metrics, by_type, scenario)
    return {"metrics": result.metrics, "flows_by_type": by_type, "events": result.events, "price_parts": parts,
            "findings": run_checks(scenario, result.metrics, by_type, parts), "run_s": time.perf_counter() - t0}
