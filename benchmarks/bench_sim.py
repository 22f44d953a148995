"""Simulation speed, reported as ratios against Mesa's Boltzmann wealth model measured in the same run.

    .venv/bin/python benchmarks/bench_sim.py [--quick]

Prints a Markdown table and writes benchmarks/results/sim.json. Figures:
* ``baseline``: wall time of ``run()`` (set-up + 72 months, interpreter start and imports excluded), best of 3;
* ``market_at_scale``: agent-steps per second, beside Boltzmann's (10,000 agents) and their ratio (target >= 0.2);
* scaling: seconds per agent-step at 1k, 10k and 100k agents (the ``market_at_scale`` population scaled); flat
  means cost grows linearly with agents.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def boltzmann_agent_steps_per_s(n: int = 10_000, steps: int = 20) -> float:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth

    model = BoltzmannWealth(n=n, width=100, height=100, seed=1)
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return n * steps / (time.perf_counter() - t)


def agent_steps_per_s(scenario, months: int) -> tuple[float, int, float]:
    t = time.perf_counter()
    result = run(scenario, months=months)
    dt = time.perf_counter() - t
    agent_steps = int((result.agents.step > 0).sum())
    return agent_steps / dt, int((result.agents.step == 0).sum()), dt


def scaled(factor: float):
    sc = load_scenario("market_at_scale")
    over = {}
    for section in ("labellers", "trainers", "clouds", "providers", "apps"):
        over[f"{section}.count"] = max(1, round(getattr(sc, section).count * factor))
    for cat, d in sc.market.demand.items():
        over[f"market.demand.{cat}.potential_users"] = d.potential_users * factor
    return sc.with_overrides(over)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100k-agent point")
    args = parser.parse_args()
    baseline = load_scenario("baseline")
    run(baseline, months=3)  # warm caches and imports
    base_times = []
    for _ in range(1 if args.quick else 3):
        t = time.perf_counter()
        run(baseline)
        base_times.append(time.perf_counter() - t)
    ref = boltzmann_agent_steps_per_s()
    months = 12 if args.quick else 24
    at_scale, n_agents, at_scale_s = agent_steps_per_s(load_scenario("market_at_scale"), months)
    ref_after = boltzmann_agent_steps_per_s()
    ref = (ref + ref_after) / 2
    scaling = []
    for factor in (0.1, 1.0) if args.quick else (0.1, 1.0, 10.0):
        rate, n, dt = agent_steps_per_s(scaled(factor), months)
        scaling.append({"agents": n, "months": months, "seconds": dt, "us_per_agent_step": 1e6 / rate})
    out = {
        "baseline_run_s_best": min(base_times),
        "boltzmann_agent_steps_per_s": ref,
        "market_at_scale_agents": n_agents,
        "market_at_scale_agent_steps_per_s": at_scale,
        "market_at_scale_vs_boltzmann": at_scale / ref,
        "scaling": scaling,
        "scaling_ratio_largest_vs_smallest_per_agent_step": scaling[-1]["us_per_agent_step"]
        / scaling[0]["us_per_agent_step"],
    }
    print("| figure | value |\n| --- | --- |")
    print(f"| baseline run (72 months), best of {len(base_times)} | {out['baseline_run_s_best']:.3f} s |")
    print(f"| Boltzmann wealth, 10,000 agents (reference) | {ref:,.0f} agent-steps/s |")
    print(f"| market_at_scale, {n_agents:,} agents, {months} months | {at_scale:,.0f} agent-steps/s "
          f"({at_scale_s:.1f} s) |")
    print(f"| market_at_scale / Boltzmann | {out['market_at_scale_vs_boltzmann']:.2f} (target >= 0.20) |")
    for row in scaling:
        print(f"| {row['agents']:,} agents | {row['us_per_agent_step']:.1f} us per agent-step |")
    print(f"| per-agent-step cost, largest / smallest population | "
          f"{out['scaling_ratio_largest_vs_smallest_per_agent_step']:.2f} (1.0 = linear) |")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "sim.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
