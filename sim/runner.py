"""Run a scenario and get tidy results: ``run(scenario) -> RunResult`` of pandas frames, written as Parquet; and the
``python -m sim run`` command."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ecosystem.checks import check_output_dir
from sim.model import ChainModel
from sim.scenario import Scenario, load_scenario, validate_scenario
from sim.stream import ParquetStream, agents_frame, empty_agents, empty_flows, events_frame

FRAMES = ("metrics", "agents", "flows", "events")
_VERSIONED = ("mesa", "numpy", "pandas", "pydantic", "torch", "pyarrow")


@dataclass
class RunResult:
    """The outputs of one run. ``metrics``: one row per step; ``agents``: one row per living agent per step;
    ``flows``: one row per payment; ``events``: releases, entries, exits, shocks, audits."""

    scenario: Scenario
    seed: int
    metrics: pd.DataFrame
    agents: pd.DataFrame
    flows: pd.DataFrame
    events: pd.DataFrame
    timings: dict = field(default_factory=dict)
    error: dict | None = None  # a run that failed: {"month", "stage", "message"}; its frames end at that month
    frames_on_disk: Path | None = None  # a streamed run: agents and flows are already written there
    flows_by_type: pd.DataFrame | None = None  # run(..., collect_flows=False): payments summed by type (Ledger)

    def manifest(self) -> dict:
        versions = {}
        for name in _VERSIONED:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "seed": self.seed,
            "months": int(self.metrics["step"].max()) if len(self.metrics) else 0,
            "python": platform.python_version(),
            "versions": versions,
            "timings_s": self.timings,
            **({"status": "failed", "error": self.error} if self.error else {"status": "complete"}),
        }

    def write(self, out_dir: str | Path) -> Path:
        out = check_out_dir(out_dir)
        streamed = self.frames_on_disk is not None and out.resolve() == Path(self.frames_on_disk).resolve()
        for name in FRAMES:
            if not (streamed and name in ("agents", "flows")):
                getattr(self, name).to_parquet(out / f"{name}.parquet", index=False)
        (out / "manifest.json").write_text(json.dumps(self.manifest(), indent=2))
        return out

    @classmethod
    def read(cls, out_dir: str | Path) -> RunResult:
        out = Path(out_dir)
        manifest = json.loads((out / "manifest.json").read_text())
        frames = {name: pd.read_parquet(out / f"{name}.parquet") for name in FRAMES}
        return cls(validate_scenario(manifest["scenario"]), int(manifest["seed"]), timings=manifest["timings_s"],
                   error=manifest.get("error"), **frames)

    def summary(self) -> str:
        m = self.metrics
        last = m.iloc[-1]
        first_model = m.loc[m["models_available"] > 0, "step"]
        first_api = m.loc[m["providers_live"] > 0, "step"]
        first_app = m.loc[m["apps_live"] > 0, "step"]

        dates = dict(zip(m["step"], m["date"])) if "date" in m else {}

        def when(s: pd.Series) -> str:
            if not len(s):
                return "never"
            step = int(s.iloc[0])
            return f"month {step} ({dates[step]})" if step in dates else f"month {step}"

        span = f", {m['date'].iloc[0]} to {m['date'].iloc[-1]}" if "date" in m and len(m) else ""
        lines = [
            f"{self.scenario.name}: {len(m) - 1} months, seed {self.seed}{span}",
            f"  first model {when(first_model)}, first API {when(first_api)}, first app {when(first_app)}",
            f"  models released {int(m['models_released'].sum())}; at the horizon: {int(last['apps_live'])} apps, "
            f"{last['app_users'] / 1e6:,.1f}M users, {last['tokens_served'] / 1e12:,.2f}T tokens/month",
            f"  GPU price {last['gpu_price_usd_per_hour']:.2f} USD/h at {last['gpu_utilization']:.0%} utilisation; "
            f"API price {last['api_price_usd_per_mtok']:.3f} USD/1M tokens",
            f"  labeller pay {_per_hour(last['labeller_wage_usd_per_hour'])}; energy "
            f"{m['energy_kwh'].sum() / 1e6:,.1f} GWh, {m['co2_t'].sum():,.0f} tCO2 in all",
            f"  HHI training {last['hhi_training']:,.0f}, API {last['hhi_api']:,.0f}; deployed bias "
            f"{last['deployed_bias']:.3f}",
            f"  ran in {self.timings.get('run_s', float('nan')):.2f} s",
        ]
        return "\n".join(lines)


def run(
    scenario: Scenario,
    seed: int | None = None,
    months: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    collect_agents: bool = True,
    stream_to: str | Path | None = None,
    collect_flows: bool = True,
) -> RunResult:
    """Run ``scenario`` for ``months`` (default its horizon) with ``seed`` (default its own).

    With ``stream_to`` (a directory) the agents' and flows' rows go to ``agents.parquet`` and ``flows.parquet``
    there as the run goes, one Parquet row group at a time (``sim.stream``), so memory does not grow with the
    horizon; the files are byte-identical to what ``write`` makes of an in-memory run, and the returned result's
    ``agents`` and ``flows`` are empty (``frames_on_disk`` is the directory; ``write`` there completes it).

    With ``collect_flows=False`` (replicates, which need only aggregates) ``flows`` is empty and ``flows_by_type``
    holds the payments summed per month, payer type, payee type and category."""
    if months is not None:
        if not 1 <= int(months) <= 600:
            raise ValueError(f"months: {months} is not allowed; allowed: 1 to 600")
        scenario = scenario.with_overrides({"horizon_months": int(months)})
    seed = scenario.seed if seed is None else int(seed)
    if not 0 <= seed <= 2**32 - 1:
        raise ValueError(f"seed: {seed} is not allowed; allowed: 0 to 4294967295")
    t0 = time.perf_counter()
    model = ChainModel(scenario, seed)
    model.collect_agents = collect_agents
    if not collect_agents:
        model.agent_frames.clear()
    horizon = scenario.horizon_months
    t1 = time.perf_counter()
    error = None
    stream = ParquetStream(check_out_dir(stream_to), model, collect_agents) if stream_to is not None else None
    try:
        for k in range(horizon):
            try:
                model.step()
            except Exception as exc:  # keep what was computed up to the month before, name the month and the stage
                error = {"month": k + 1, "stage": _failing_stage(exc), "message": f"{type(exc).__name__}: {exc}"}
                break
            if stream is not None:
                stream.spill()
            if progress is not None:
                progress(k + 1, horizon)
        t2 = time.perf_counter()
        agent_steps = (stream.agent_steps if stream else 0) + sum(len(ids) for _, ids, _ in model.agent_frames)
        if stream is not None:
            stream.close()
    finally:
        if stream is not None:
            stream.abort()
    result = RunResult(
        scenario=scenario,
        seed=seed,
        metrics=model.metrics_frame(),
        agents=agents_frame(model.agent_frames, model.ledger.types) if collect_agents and stream is None else empty_agents(),
        flows=model.ledger.flows_frame() if stream is None and collect_flows else empty_flows(),
        events=stream.events() if stream is not None else events_frame(model.events),
        frames_on_disk=stream.out if stream is not None else None,
        flows_by_type=None if collect_flows or stream is not None else model.ledger.flows_by_type(),
    )
    result.timings = {"setup_s": t1 - t0, "run_s": t2 - t0, "frames_s": time.perf_counter() - t2,
                      "agent_steps": int(agent_steps) or None}
    if error is not None:
        result.error = error
        raise RunFailed(result)
    return result


class RunFailed(ValueError):
    """A run that raised in a month's stage; ``result`` holds the frames of the months before (and ``error``)."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        e = result.error
        super().__init__(f"run failed at month {e['month']} in stage {e['stage']}: {e['message'].splitlines()[0]}")


def _failing_stage(exc: BaseException) -> str:
    """The stage of ``ChainModel.step`` the exception came from (``module.function``), from its traceback."""
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for i, frame in enumerate(frames):
        if frame.f_code is ChainModel.step.__code__:
            if i + 1 < len(frames):
                inner = frames[i + 1]
                module = inner.f_globals.get("__name__", "?").removeprefix("sim.")
                return f"{module}.{inner.f_code.co_name}"
            return "ChainModel.step"
    return "unknown"


def check_out_dir(out_dir: str | Path) -> Path:
    """The output directory, created if needed and checked writable before any work (a ``ValueError`` naming it)."""
    try:
        return check_output_dir("--out", out_dir)
    except ValueError as exc:
        raise OutDirError(str(exc)) from None


class OutDirError(ValueError):
    """An output directory that cannot be written."""


# ---- python -m sim run ------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="preset name (see `python -m sim scenarios`) or path to a scenario YAML")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    parser.add_argument("--months", type=int, default=None, help="horizon in months (default: the scenario's)")


def main(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    check_out_dir(args.out)  # before any work: a run is never lost to an unwritable --out
    try:
        result = run(scenario, seed=args.seed, months=args.months, stream_to=args.out)
    except RunFailed as failed:
        out = failed.result.write(args.out)
        print(f"error: {failed}; months 0 to {failed.result.error['month'] - 1} written to {out} (the error is in "
              "manifest.json)", file=sys.stderr)
        return 1
    out = result.write(args.out)
    print(result.summary())
    print(f"  wrote {', '.join(f'{n}.parquet' for n in FRAMES)} and manifest.json to {out}")
    return 0


def _per_hour(wage: float) -> str:
    """A wage for the summary; NaN (no labelling work that month) is said in words, never printed as nan."""
    return f"{wage:.2f} USD/h" if np.isfinite(wage) else "n/a (no labelling work in the last month)"
