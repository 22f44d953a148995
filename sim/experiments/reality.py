"""The reality check: the calibrated run (``history_2020``) over a few seeds against the calibration targets
(``data/reference/calibration_targets.csv``, dated 2024-12 or earlier: in sample) and the later published facts
(``data/reference/validation_facts.csv``, dated after 2024-12: out of sample, never used for calibration).

- ``load_validation_facts``: the later facts as ``Target`` rows (same columns as the targets file); a fact dated
  2024-12 or earlier is refused, so the two files never overlap.
- ``reality_scenario``: ``history_2020`` run on to the month of the last fact when that lies beyond its horizon
  (the calibrated model continued, nothing refitted).
- ``fit_table``: every target and fact read in every run (``calibration.targets`` reading rules), then fitted over
  the runs as calibration fits a set over its seeds (``calibration.fit.fit_over_seeds``): the runs' median, p5 and
  p95, the log10 error of the median and whether it lies inside the tolerance band ``[low, high]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.calibration.fit import AcceptanceRule, fit_over_seeds
from sim.experiments.calibration.targets import (CALIBRATION_CUTOFF, REQUIRED_COLUMNS, Target, TargetsError,
                                                 date_problem, load_targets, month_index, read_targets)
from sim.scenario import Scenario, load_scenario
from sim.scenario.presets import REPO_ROOT

TARGETS_PATH = REPO_ROOT / "data" / "reference" / "calibration_targets.csv"
FACTS_PATH = REPO_ROOT / "data" / "reference" / "validation_facts.csv"
HISTORY = "history_2020"
IN_SAMPLE = "in-sample target"
OUT_OF_SAMPLE = "out-of-sample fact"
FIT_COLUMNS = ["kind", "target", "metric", "date", "published", "low", "high", "unit", "sim_median", "sim_p5",
               "sim_p95", "runs_defined", "log10_error", "inside_tolerance", "reason", "source"]


def load_validation_facts(path: str | Path = FACTS_PATH) -> list[Target]:
    """The out-of-sample facts of ``path``; ``TargetsError`` lists every bad row (field, value, what is allowed)."""
    path = Path(path)
    if not path.exists():
        raise TargetsError([f"validation facts: file {str(path)!r} does not exist"])
    frame = pd.read_csv(path, dtype={"date": str})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise TargetsError([f"{path}: columns {', '.join(missing)} are missing"])
    problems, facts = [], []
    for i, row in enumerate(frame.to_dict("records")):
        at, date = f"{path.name} row {i + 1}", str(row["date"]).strip()
        bad = date_problem(date)
        if bad:
            problems.append(f"{at}: date {date!r} is {bad}")
        elif (f"{date}-01" if len(date) == 4 else date) <= CALIBRATION_CUTOFF:
            problems.append(f"{at}: date {date} is not after {CALIBRATION_CUTOFF}; allowed: later facts only (an "
                            f"earlier one belongs in calibration_targets.csv)")
        nums = [float(row[k]) for k in ("low", "value", "high")]
        if not (all(math.isfinite(v) and v > 0 for v in nums) and nums[0] <= nums[1] <= nums[2]):
            problems.append(f"{at}: band low={row['low']}, value={row['value']}, high={row['high']}; allowed: "
                            "0 < low <= value <= high")
        facts.append(Target(str(row["metric"]), date, nums[1], nums[0], nums[2], str(row.get("unit", "") or ""),
                            str(row.get("source", "") or "")))
    if problems:
        raise TargetsError(problems)
    return facts


def reality_scenario(facts: list[Target], name: str = HISTORY) -> Scenario:
    """The calibrated preset, run on to the last fact's month if that lies beyond its horizon."""
    scenario = load_scenario(name)
    last = max((month_index(t.last_month) for t in facts), default=0)
    needed = last - month_index(scenario.start_date)
    return scenario.with_overrides({"horizon_months": needed}) if needed > scenario.horizon_months else scenario


def fit_table(runs: pd.DataFrame, targets: list[Target], facts: list[Target]) -> pd.DataFrame:
    """One row per target and fact: the runs' readings at its date summarised (``FIT_COLUMNS``).

    ``runs``: metrics frames of several runs with ``set_id, seed, date`` (``forecast.run_ensemble``)."""
    everything = [(IN_SAMPLE, t) for t in targets] + [(OUT_OF_SAMPLE, t) for t in facts]
    readings = [read_targets(frame, [t for _, t in everything])
                for _, frame in runs.groupby(["set_id", "seed"], sort=True)]
    rows = []
    for j, (kind, t) in enumerate(everything):
        values = np.array([r[j].value for r in readings], dtype=float)
        fit = fit_over_seeds(values, [r[j].reason for r in readings], t, AcceptanceRule())
        rows.append({"kind": kind, "target": t.id, "metric": t.metric, "date": t.date, "published": t.value,
                     "low": t.low, "high": t.high, "unit": t.unit, "sim_median": fit.sim_median,
                     "sim_p5": fit.sim_p5, "sim_p95": fit.sim_p95, "runs_defined": fit.n_seeds - fit.undefined_seeds,
                     "log10_error": fit.log10_error, "inside_tolerance": fit.inside_tolerance, "reason": fit.reason,
                     "source": t.source})
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def fit_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per kind: how many targets, how many inside tolerance, the median |log10 error| (defined ones)."""
    out = []
    for kind in (IN_SAMPLE, OUT_OF_SAMPLE):
        part = table[table["kind"] == kind]
        errors = part["log10_error"].abs().dropna()
        out.append({"kind": kind, "targets": len(part), "inside_tolerance": int(part["inside_tolerance"].sum()),
                    "median_abs_log10_error": float(errors.median()) if len(errors) else math.nan})
    return pd.DataFrame(out)


def load_all() -> tuple[list[Target], list[Target]]:
    """(calibration targets, validation facts) from ``data/reference``."""
    return load_targets(TARGETS_PATH), load_validation_facts(FACTS_PATH)
