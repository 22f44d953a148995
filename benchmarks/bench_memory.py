"""Peak memory of a run against its horizon: does memory stay flat as months are added?

    .venv/bin/python benchmarks/bench_memory.py [--factor 10] [--months 36 144] [--in-memory]

Each point runs in a fresh process (``python -m sim run`` semantics: ``run(..., stream_to=DIR)``, agents' and flows'
rows streamed to Parquet one row group at a time) and reports the process's peak resident memory (``ru_maxrss``).
Figures: peak MB per horizon, the ratio of the longest to the shortest (target < 1.25 for ``market_at_scale`` with
every population x10), and the bytes of peak memory per extra agent-step between the two (the growth rate; ~0 when
flat). ``--in-memory`` measures the same with ``run()`` holding every frame in memory (what the dashboard and the
Python API do), for comparison. Writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, time
from bench_sim import scaled  # python -c runs in benchmarks/, which is on the path as the current directory
from sim.runner import run
factor, months, out, in_memory, no_entry = {factor!r}, {months!r}, {out!r}, {in_memory!r}, {no_entry!r}
sc = scaled(factor)
if no_entry:  # a population that stays the size it starts at: memory against months alone
    sc = sc.with_overrides({{"market.entry_margin": 10.0}})
t = time.perf_counter()
if in_memory:
    result = run(sc, months=months)
    agent_steps = len(result.agents)
else:
    result = run(sc, months=months, stream_to=out)
    result.write(out)
    agent_steps = result.timings["agent_steps"]
print(json.dumps({{"months": months, "agents_at_end": int(result.metrics.iloc[-1][
                  ["n_labellers", "n_trainers", "n_clouds", "n_providers", "n_apps"]].sum()), "seconds": time.perf_counter() - t, "agent_steps": agent_steps,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(factor: float, months: int, in_memory: bool, no_entry: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as out:
        code = _CHILD.format(factor=factor, months=months, out=out, in_memory=in_memory, no_entry=no_entry)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=ROOT / "benchmarks")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=10.0, help="market_at_scale populations x this")
    parser.add_argument("--months", type=int, nargs=2, default=[36, 144], metavar=("SHORT", "LONG"))
    parser.add_argument("--in-memory", action="store_true", help="also measure run() holding every frame")
    parser.add_argument("--no-entry", action="store_true",
                        help="no entrants (entry_margin 10): the population stays constant, so the ratio isolates "
                             "the horizon (by default entrants double the apps alive between 36 and 144 months)")
    args = parser.parse_args()
    modes = [False, True] if args.in_memory else [False]
    out: dict = {"factor": args.factor, "no_entry": args.no_entry, "modes": {}}
    print("| mode | months | agent-steps | agents at the end | seconds | peak MB |\n| --- | --- | --- | --- | --- | --- |")
    for in_memory in modes:
        name = "in_memory" if in_memory else "streamed"
        points = [measure(args.factor, m, in_memory, args.no_entry) for m in args.months]
        short, long = points
        extra = long["agent_steps"] - short["agent_steps"]
        growth = (long["peak_rss_mb"] - short["peak_rss_mb"]) * 1024 * 1024 / extra if extra > 0 else float("nan")
        out["modes"][name] = {"points": points, "peak_ratio_long_vs_short": long["peak_rss_mb"] / short["peak_rss_mb"],
                              "bytes_per_extra_agent_step": growth}
        for p in points:
            print(f"| {name} | {p['months']} | {p['agent_steps']:,} | {p['agents_at_end']:,} | {p['seconds']:.1f} | "
                  f"{p['peak_rss_mb']:,.0f} |")
        print(f"| {name} | ratio {args.months[1]} / {args.months[0]} months | | | | "
              f"{long['peak_rss_mb'] / short['peak_rss_mb']:.2f} (target < 1.25); {growth:,.0f} bytes per extra "
              "agent-step |")
    path = ROOT / "benchmarks" / "results" / ("memory_no_entry.json" if args.no_entry else "memory.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
