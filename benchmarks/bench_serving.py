"""The simulation's serving-cost call, against the scalar it replaces, measured in the same run.

    .venv/bin/python benchmarks/bench_serving.py [--calls 300]

* ``scalar_call_s``: ``planner.usd_per_million_tokens`` (compute-bound scalar the simulation calls today);
* ``cold_call_s``: ``planner.serving_cost_usd_per_mtok`` for a new parameter count each call (no cache hit: the
  roofline over 1..2048 batches and 1, 2, 4, 8 GPUs per replica);
* ``warm_call_s``: the same call for a size already seen (cache hit; price and utilisation still applied);
* ``validation_s``: the whole ``validate-serving`` report once (the fits and leave-one-out), cold.

Reports cold / scalar and warm / scalar. Writes ``benchmarks/results/serving.json``. Compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from ecosystem import planner
from ecosystem.planner.serving import fit

ROOT = Path(__file__).resolve().parent.parent


def _per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    start = time.perf_counter()
    fit.family_efficiency.cache_clear()
    planner.serving_validation_report()
    validation_s = time.perf_counter() - start
    scalar = _per_call(lambda i: planner.usd_per_million_tokens(7e9 + i * 1e8, "H100-SXM", 3.0, 0.6), args.calls)
    cold = _per_call(lambda i: planner.serving_cost_usd_per_mtok(7e9 + i * 1e8, "H100-SXM", price_usd_per_gpu_hour=3.0,
                                                                 utilization=0.6), args.calls)
    warm = _per_call(lambda i: planner.serving_cost_usd_per_mtok(7e9, "H100-SXM", price_usd_per_gpu_hour=3.0 + i,
                                                                 utilization=0.6), args.calls)
    result = {"scalar_call_s": scalar, "cold_call_s": cold, "warm_call_s": warm, "validation_s": validation_s,
              "cold_over_scalar": cold / scalar, "warm_over_scalar": warm / scalar, "calls": args.calls,
              "load_average": os.getloadavg()[0]}
    out = ROOT / "benchmarks" / "results" / "serving.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:18s} {value:.3g}" if isinstance(value, float) else f"{key:18s} {value}")


if __name__ == "__main__":
    main()
