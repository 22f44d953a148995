"""A forecast: ``forecast()`` runs the unmodified and the what-if ensembles and bands them into a ``Forecast`` (bands,
runs, summary, files)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ecosystem.checks import check_int
from sim.experiments.forecast.bands import QUANTILES, bands, metric_columns, paired_bands
from sim.experiments.forecast.ensemble import forecast_seeds, load_parameter_sets, run_ensemble
from sim.experiments.forecast.levers import Levers
from sim.scenario import Scenario, load_scenario

DEFAULT_SCENARIO = "forecast_2031"
VARIANTS = ("forecast", "what_if", "difference", "relative_change")
# the calibrated metrics (calibration_targets.csv), the summary's default
SUMMARY_METRICS = ("frontier_train_flops", "frontier_run_cost_usd", "price_at_gpt4_level_usd_per_mtok",
                   "price_at_gpt35_level_usd_per_mtok", "gpu_price_h100_equiv_usd_per_hour", "app_users",
                   "lab_revenue_max_usd", "label_spend_usd", "gpu_capex_usd", "tokens_served", "energy_kwh")


@dataclass
class Forecast:
    scenario: Scenario
    levers: Levers
    sets: list[dict[str, Any]]
    seeds: list[int]
    bands: pd.DataFrame
    runs: pd.DataFrame  # variant, set_id, seed, step, date, metrics
    timings_s: dict = field(default_factory=dict)

    def band(self, metric: str, variant: str = "forecast") -> pd.DataFrame:
        b = self.bands
        return b[(b["variant"] == variant) & (b["metric"] == metric)].reset_index(drop=True)

    def summary(self, metrics: tuple[str, ...] = SUMMARY_METRICS) -> dict[str, Any]:
        """Each metric's forecast (median, 90% band) and the what-if's median difference, every December and at the
        horizon."""
        last = str(self.bands["date"].max())
        dates = sorted({d for d in self.bands["date"].unique() if str(d).endswith("-12")} | {last})
        keyed = self.bands.set_index(["variant", "metric", "date"])
        table = {}
        for m in metrics:
            if ("forecast", m, last) not in keyed.index:
                continue
            rows = {}
            for d in dates:
                f, w, dif = (keyed.loc[(v, m, d)] for v in ("forecast", "what_if", "difference"))
                rows[d] = {"median": _num(f["median"]), "p5": _num(f["p5"]), "p95": _num(f["p95"]),
                           "runs": int(f["runs"]), "what_if_median": _num(w["median"]),
                           "difference_median": _num(dif["median"])}
            table[m] = rows
        return {"scenario": self.scenario.name, "start_date": self.scenario.start_date,
                "horizon_months": self.scenario.horizon_months, "last_date": last, "sets": len(self.sets),
                "seeds": self.seeds, "runs_per_variant": len(self.sets) * len(self.seeds),
                "levers": self.levers.model_dump(mode="json", exclude_none=True), "levers_text": self.levers.describe(),
                "quantiles": QUANTILES, "bands": "50%: p25-p75, 90%: p5-p95 across sets x seeds",
                "metrics": table, "timings_s": self.timings_s}

    def write(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.bands.to_parquet(out / "bands.parquet", index=False)
        self.runs.to_parquet(out / "runs.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, allow_nan=True), encoding="utf-8")
        return out


def _num(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def forecast(scenario: Scenario | str = DEFAULT_SCENARIO, levers: Levers | None = None, sets: int | None = None,
             seeds: int = 3, workers: int = 1, months: int | None = None, accepted: str | Path | None = None,
             parameter_sets: list[dict[str, Any]] | None = None, cache_dir: str | Path | None = "default",
             progress: Callable[[int, int], None] | None = None) -> Forecast:
    """The forecast of ``scenario`` over the first ``sets`` accepted sets (all by default; or ``parameter_sets``
    given directly) x ``seeds`` seeds, unmodified and with ``levers``, with its bands (see the module docstring)."""
    started = time.perf_counter()
    seeds = check_int("seeds", seeds, 1, 1000)
    workers = check_int("workers", workers, 1, 256)
    base = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    if months is not None:
        base = base.with_overrides({"horizon_months": check_int("months", months, 1, 600)})
    if parameter_sets is None:
        limit = None if sets is None else check_int("sets", sets, 1, 100_000)
        parameter_sets = load_parameter_sets(accepted, limit)
    levers = levers or Levers()
    levers.apply(base)  # a lever the scenario refuses is reported as such, before any run
    seed_list = forecast_seeds(base, seeds)
    n = len(parameter_sets) * len(seed_list) * (1 if levers.is_empty() else 2)
    counter = _Counter(progress, n)
    runs = run_ensemble(base, parameter_sets, seed_list, None, workers, cache_dir, counter.part(0))
    what_if = runs if levers.is_empty() else run_ensemble(base, parameter_sets, seed_list, levers, workers,
                                                          cache_dir, counter.part(1))
    metrics = metric_columns(runs)
    frame = pd.concat([bands(runs, metrics, "forecast"), bands(what_if, metrics, "what_if"),
                       paired_bands(runs, what_if, metrics)], ignore_index=True)
    all_runs = pd.concat([runs.assign(variant="forecast"), what_if.assign(variant="what_if")], ignore_index=True)
    all_runs = all_runs[["variant", *[c for c in all_runs.columns if c != "variant"]]]
    return Forecast(base, levers, parameter_sets, seed_list, frame, all_runs,
                    {"total_s": round(time.perf_counter() - started, 3)})


class _Counter:
    """Progress over the forecast's two ensembles as one count."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int):
        self.progress, self.total, self.offsets = progress, total, [0, 0]

    def part(self, k: int) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None

        def report(done: int, n: int) -> None:
            self.offsets[k] = done
            self.progress(sum(self.offsets), self.total)
        return report
