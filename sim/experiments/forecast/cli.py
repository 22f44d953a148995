"""``python -m sim forecast``: the command line of a forecast (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from ecosystem.checks import check_output_dir
from sim.experiments.forecast.ensemble import CACHE_ENV, default_cache_dir
from sim.experiments.forecast.levers import ForecastError, Levers, load_levers
from sim.experiments.forecast.result import DEFAULT_SCENARIO, SUMMARY_METRICS, Forecast, forecast
from sim.scenario import Shock, validate_mapping
from sim.scenario.errors import format_error


def parse_set(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` (the value read as YAML: 100, 0.5, true, null, '2027-01')."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ForecastError(f"--set: {text!r} is not allowed; allowed: PATH=VALUE, e.g. "
                            "policy.carbon_price_usd_per_tco2=100")
    return path.strip(), yaml.safe_load(value)


def parse_shock(text: str) -> Shock:
    """``KIND:CHANGE@YYYY-MM``, e.g. ``gpu_price:-0.5@2027-01`` (the GPU price halves in January 2027)."""
    kind, _, rest = text.partition(":")
    change, _, at = rest.partition("@")
    allowed = "allowed: KIND:CHANGE@YYYY-MM with KIND gpu_price or demand, e.g. gpu_price:-0.5@2027-01"
    try:
        change_value = float(change)
    except ValueError:
        raise ForecastError(f"--shock: {text!r} has change {change!r}, not a number; {allowed}") from None
    return validate_mapping(Shock, {"kind": kind, "change": change_value, "at": at or None}, ForecastError,
                            "--shock", lambda e: [f"--shock {text!r}: {format_error(e)}; {allowed}"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help=f"preset name or scenario YAML (default {DEFAULT_SCENARIO})")
    parser.add_argument("--out", required=True, help="output directory (bands.parquet, runs.parquet, summary.json)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per parameter set (default 3)")
    parser.add_argument("--sets", type=int, default=None, help="first N accepted sets (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="processes for the runs (default 1)")
    parser.add_argument("--months", type=int, default=None, help="horizon in months (default: the scenario's)")
    parser.add_argument("--accepted", default=None, help="accepted sets CSV (default "
                        "data/calibration/history_2020_accepted.csv)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="what-if: a dotted scenario path set in every run, e.g. "
                        "policy.open_weights_release.at=2027-06 (repeatable)")
    parser.add_argument("--shock", action="append", default=[], metavar="KIND:CHANGE@YYYY-MM",
                        help="what-if: a dated shock, e.g. gpu_price:-0.5@2027-01 (repeatable)")
    parser.add_argument("--levers", default=None, help="what-if levers YAML {overrides: {...}, shocks: [...]}")
    parser.add_argument("--cache", default="default", help="run cache directory (default runs/forecast_cache, or "
                        f"${CACHE_ENV})")
    parser.add_argument("--no-cache", action="store_true", help="run everything, store nothing in the cache")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def levers_from_args(args: argparse.Namespace) -> Levers:
    data: dict[str, Any] = {"overrides": {}, "shocks": []}
    if args.levers:
        path = Path(args.levers)
        if not path.exists():
            raise ForecastError(f"--levers: file {str(path)!r} does not exist")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ForecastError(f"--levers: {path} is not a mapping; allowed: {{overrides: {{...}}, shocks: [...]}}")
        data.update(loaded)
    data["overrides"] = {**data.get("overrides", {}), **dict(parse_set(t) for t in args.overrides)}
    shocks = [s.model_dump(mode="json", exclude_none=True) for s in map(parse_shock, args.shock)]
    data["shocks"] = list(data.get("shocks", [])) + shocks
    return load_levers(data)


def summary_lines(fc: Forecast, metrics: tuple[str, ...] = SUMMARY_METRICS) -> list[str]:
    s = fc.summary(metrics)
    lines = [f"{s['scenario']}: {s['sets']} sets x {len(s['seeds'])} seeds = {s['runs_per_variant']} runs per "
             f"variant, {s['start_date']} to {s['last_date']}; levers: {s['levers_text']}",
             "  metric: median [90% band] at the horizon" + ("" if fc.levers.is_empty() else
                                                             "; what-if median difference")]
    for m, rows in s["metrics"].items():
        r = rows[s["last_date"]]
        text = f"  {m}: {_g(r['median'])} [{_g(r['p5'])}, {_g(r['p95'])}]"
        if not fc.levers.is_empty():
            text += f"; what-if {_g(r['what_if_median'])} (difference {_g(r['difference_median'])})"
        lines.append(text)
    return lines


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def main(args: argparse.Namespace) -> int:
    levers = levers_from_args(args)
    out = check_output_dir("--out", args.out)  # before any run: a forecast is never lost to its --out
    if not args.no_cache:
        check_output_dir("--cache", default_cache_dir() if args.cache == "default" else args.cache)
    progress = None
    if not args.quiet:
        from sim.experiments.progress import ProgressBar

        progress = ProgressBar("forecast", stream=sys.stderr)
    fc = forecast(args.scenario, levers, sets=args.sets, seeds=args.seeds, workers=args.workers, months=args.months,
                  accepted=args.accepted, cache_dir=None if args.no_cache else args.cache, progress=progress)
    fc.write(out)
    print("\n".join(summary_lines(fc)))
    print(f"  wrote bands.parquet, runs.parquet and summary.json to {out} in {fc.timings_s['total_s']:.1f} s")
    return 0
