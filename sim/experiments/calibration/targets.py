"""Calibration targets: dated published figures with a tolerance band, and how a simulated run is read at a date.

A targets file (``data/reference/calibration_targets.csv``) has one row per target with the columns ``metric, date,
value, low, high, unit`` (and ``how_measured, source``, kept as they are). ``metric`` names a column of the run's
metrics frame; the frame has a ``date`` column ``YYYY-MM``, one row per month.

How a target is read (the rule of ``data/reference/README.md``):
- dated ``YYYY-MM``: the metric's value in that month (if a month has several rows, the last one);
- dated ``YYYY`` with a unit that says "per year": the sum over the twelve months of that year; every month must be
  in the run and defined, else the reading is undefined;
- dated ``YYYY`` otherwise: the mean over that year's months (undefined months skipped; undefined if none is left).
An undefined reading (a NaN, say no GPT-4-level model exists yet, or a date the run does not cover) carries the
reason, and the fit counts it as implausible.

Calibration uses only targets dated ``CALIBRATION_CUTOFF`` or earlier: later facts are kept for the out-of-sample
check, so a file with a later target is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CALIBRATION_CUTOFF = "2024-12"
REQUIRED_COLUMNS = ("metric", "date", "value", "low", "high", "unit")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class TargetsError(ValueError):
    """An unusable targets file or frame: ``problems`` holds one message per problem (row, field, what is allowed)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid calibration targets:\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class Target:
    """One dated published figure and its tolerance band (``low <= value <= high``, all > 0)."""

    metric: str
    date: str  # YYYY or YYYY-MM
    value: float
    low: float
    high: float
    unit: str = ""
    source: str = ""

    @property
    def id(self) -> str:
        return f"{self.metric}@{self.date}"

    @property
    def yearly(self) -> bool:
        return len(self.date) == 4

    @property
    def per_year(self) -> bool:
        """A yearly target whose unit is a flow per year: read as the sum over the year, else the mean."""
        return self.yearly and "per year" in self.unit.lower()

    @property
    def last_month(self) -> str:
        """The last month the reading needs (December for a yearly target)."""
        return f"{self.date}-12" if self.yearly else self.date


def month_index(date: str) -> int:
    """``YYYY-MM`` as a month count (year x 12 + month - 1), for month arithmetic."""
    year, month = date.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def date_problem(text: str) -> str | None:
    m = _DATE.match(text)
    if not m:
        return "not a date; allowed: YYYY or YYYY-MM"
    if m.group(2) is not None and not 1 <= int(m.group(2)) <= 12:
        return "month out of range; allowed: 01 to 12"
    return None


def targets_from_frame(frame: pd.DataFrame, where: str = "targets") -> list[Target]:
    """Targets from a frame with the required columns; ``TargetsError`` lists every bad row and field."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise TargetsError([f"{where}: columns {', '.join(missing)} are missing; allowed: a table with "
                            f"{', '.join(REQUIRED_COLUMNS)} (and how_measured, source)"])
    problems: list[str] = []
    targets: list[Target] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.to_dict("records")):
        at = f"{where} row {i + 1}"
        metric, date = str(row["metric"]).strip(), str(row["date"]).strip()
        bad = date_problem(date)
        if not metric or metric == "nan":
            problems.append(f"{at}: metric is empty; allowed: a metrics column name")
        if bad:
            problems.append(f"{at}: date {date!r} is {bad}")
        elif (f"{date}-12" if len(date) == 4 else date) > CALIBRATION_CUTOFF:
            problems.append(f"{at}: date {date} is after {CALIBRATION_CUTOFF}; allowed: targets dated "
                            f"{CALIBRATION_CUTOFF} or earlier (later facts are the out-of-sample check)")
        nums = {}
        for name in ("value", "low", "high"):
            try:
                nums[name] = float(row[name])
            except (TypeError, ValueError):
                nums[name] = math.nan
            if not (math.isfinite(nums[name]) and nums[name] > 0):
                problems.append(f"{at}: {name} {row[name]!r} is not allowed; allowed: a number > 0 (targets are "
                                "compared on a log10 scale)")
        if all(math.isfinite(v) and v > 0 for v in nums.values()) and not nums["low"] <= nums["value"] <= nums["high"]:
            problems.append(f"{at}: band low={nums['low']:g}, value={nums['value']:g}, high={nums['high']:g}; "
                            "allowed: low <= value <= high")
        target = Target(metric, date, nums["value"], nums["low"], nums["high"], str(row.get("unit", "") or ""),
                        str(row.get("source", "") or ""))
        if target.id in seen:
            problems.append(f"{at}: {metric} at {date} is given twice; allowed: one target per metric and date")
        seen.add(target.id)
        targets.append(target)
    if not targets:
        problems.append(f"{where}: no targets; allowed: at least one row")
    if problems:
        raise TargetsError(problems)
    return targets


def load_targets(path: str | Path, metrics: list[str] | None = None) -> list[Target]:
    """The targets of a CSV file (optionally only those of ``metrics``), checked; ``TargetsError`` otherwise."""
    path = Path(path)
    if not path.exists():
        raise TargetsError([f"targets: file {str(path)!r} does not exist"])
    try:
        frame = pd.read_csv(path, dtype={"date": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise TargetsError([f"targets: {path} is not a readable CSV ({str(exc).splitlines()[0]})"]) from None
    targets = targets_from_frame(frame, where=str(path))
    if metrics is None:
        return targets
    known = {t.metric for t in targets}
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise TargetsError([f"metrics: {', '.join(unknown)} have no target in {path}; allowed: "
                            f"{', '.join(sorted(known))}"])
    return [t for t in targets if t.metric in metrics]


def targets_frame(targets: list[Target]) -> pd.DataFrame:
    """The targets as a table (one row each, with their id and how they are read)."""
    return pd.DataFrame({
        "target": [t.id for t in targets], "metric": [t.metric for t in targets],
        "date": [t.date for t in targets], "reading": [reading_rule(t) for t in targets],
        "published": [t.value for t in targets], "low": [t.low for t in targets],
        "high": [t.high for t in targets], "unit": [t.unit for t in targets],
    })


def reading_rule(target: Target) -> str:
    if not target.yearly:
        return "month"
    return "sum over the year" if target.per_year else "mean over the year"


# ---- reading a run ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A simulated figure at a target's date: ``value`` (NaN when undefined) and, when undefined, the reason."""

    value: float
    reason: str = ""


class RunFrame:
    """A run's metrics frame indexed by month, for reading many targets from it."""

    def __init__(self, metrics: pd.DataFrame):
        if "date" not in metrics.columns:
            raise TargetsError(["metrics: no 'date' column; allowed: a metrics frame with a date column YYYY-MM"])
        dates = metrics["date"].astype(str).to_numpy()
        last: dict[str, int] = {}
        for i, d in enumerate(dates):
            last[d] = i  # a month with several rows is read at its last row
        self.metrics = metrics
        self.rows = last
        self.first, self.last = (min(last), max(last)) if last else ("", "")

    def value(self, metric: str, row: int) -> float:
        v = self.metrics[metric].iat[row]
        try:
            return float(v)
        except (TypeError, ValueError):
            return math.nan

    def read(self, target: Target) -> Reading:
        if target.metric not in self.metrics.columns:
            return Reading(math.nan, f"no column {target.metric!r} in the run's metrics")
        if not target.yearly:
            row = self.rows.get(target.date)
            if row is None:
                return Reading(math.nan, f"the run does not cover {target.date} (it covers {self.first} to "
                                         f"{self.last})")
            v = self.value(target.metric, row)
            return Reading(v) if math.isfinite(v) else Reading(math.nan, f"undefined (NaN) in {target.date}")
        months = [f"{target.date}-{m:02d}" for m in range(1, 13)]
        rows = [self.rows[m] for m in months if m in self.rows]
        values = np.array([self.value(target.metric, r) for r in rows], dtype=float)
        defined = values[np.isfinite(values)]
        if target.per_year:
            if len(rows) < 12:
                return Reading(math.nan, f"the run covers {len(rows)} of the 12 months of {target.date}; a per-year "
                                         "target is the sum over the whole year")
            if len(defined) < 12:
                return Reading(math.nan, f"undefined (NaN) in {12 - len(defined)} of the 12 months of {target.date}")
            return Reading(float(defined.sum()))
        if len(defined) == 0:
            return Reading(math.nan, f"undefined (NaN) in every month of {target.date} the run covers"
                           if rows else f"the run does not cover {target.date}")
        return Reading(float(defined.mean()))


def read_target(metrics: pd.DataFrame, target: Target) -> Reading:
    """The simulated figure of one run (its metrics frame, with ``date``) at one target's date."""
    return RunFrame(metrics).read(target)


def read_targets(metrics: pd.DataFrame, targets: list[Target]) -> list[Reading]:
    """The simulated figures of one run at every target's date, in the targets' order."""
    frame = RunFrame(metrics)
    return [frame.read(t) for t in targets]


def with_dates(metrics: pd.DataFrame, start_date: str) -> pd.DataFrame:
    """A metrics frame with a ``date`` column added from its ``step`` column: step s is ``start_date`` + s months."""
    out = metrics.copy()
    first = month_index(start_date)
    out["date"] = [month_label(first + int(s)) for s in out["step"]]
    return out
