"""Probe benchmark: training throughput of the small Transformer as a share of this machine's matmul peak.

    .venv/bin/python benchmarks/bench_probe.py            # the probe's largest CPU size, ~30 s on 2 cores
    .venv/bin/python benchmarks/bench_probe.py --quick    # the quick probe's largest size, ~10 s

Measures, in the same invocation (a ratio against a reference measured in the same run, never an absolute target):

1. the dense fp32 GEMM peak (best of several square products), with every core and with one;
2. training tokens/s of one model size, with the better thread count; MFU = tokens/s x counted FLOPs per token /
   peak (target >= 0.50 for the full probe's largest size, issue 3);
3. the KV cache's decode speed-up over recomputation for 256 new tokens (target >= 3x).

Writes ``benchmarks/results/bench_probe.json`` and ``.md`` (gitignored) and prints the Markdown table. Other work
on a shared machine distorts timings; the load average at the start and the end is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch

from ecosystem.probe.kv_cache import probe_kv_cache
from ecosystem.probe.plans import PLANS
from ecosystem.probe import runtime
from ecosystem.probe.throughput import count_flops, measure_gemm_peak
from ecosystem.reference import REPO_ROOT
from ecosystem.transformer import corpus
from ecosystem.transformer.model import GPT
from ecosystem.transformer.train import WindowSampler, make_optimizer

RESULTS = REPO_ROOT / "benchmarks" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    plan = PLANS[("cpu", mode)]
    load_start = list(os.getloadavg())
    peaks = {}
    for n in sorted({os.cpu_count() or 1, 1}):
        torch.set_num_threads(n)
        peaks[n] = measure_gemm_peak("cpu", plan.gemm_sizes, plan.gemm_reps)["flops_per_s"]
    threads = max(peaks, key=peaks.get)
    torch.set_num_threads(threads)
    size = plan.sizes[-1]
    train = corpus.generate(50_000, seed=0)
    cfg = size.config(train.tokenizer.vocab_size)
    model = GPT(cfg)
    opt = make_optimizer(model)
    sample = WindowSampler(train, cfg.n_ctx, 0, "cpu")
    x1, y1 = sample(1)
    flops_per_token = count_flops(model, x1, y1, opt) / cfg.n_ctx
    runtime.train_step(model, opt, *sample(size.batch), "cpu")
    times = []
    for _ in range(args.steps):
        x, y = sample(size.batch)
        t0 = time.perf_counter()
        runtime.train_step(model, opt, x, y, "cpu")
        times.append(time.perf_counter() - t0)
    # the peak once more after training: best of samples before and after, as the probe does
    peaks[threads] = max(peaks[threads], measure_gemm_peak("cpu", plan.gemm_sizes[-1:], plan.gemm_reps)[
        "flops_per_s"])
    tokens = size.batch * cfg.n_ctx
    best_tps, median_tps = tokens / min(times), tokens / statistics.median(times)
    with runtime.threads(1):
        kv = probe_kv_cache(plan, train.tokenizer.vocab_size, train, "cpu")
    result = {
        "mode": mode, "model": size.name, "n_params": model.n_params(), "threads": threads,
        "gemm_peak_flops_per_s": peaks[threads], "gemm_peak_by_threads": {str(k): v for k, v in peaks.items()},
        "train_flops_per_token": flops_per_token,
        "tokens_per_s_best": best_tps, "tokens_per_s_median": median_tps,
        "mfu_best": best_tps * flops_per_token / peaks[threads],
        "mfu_median": median_tps * flops_per_token / peaks[threads],
        "kv_decode_speedup": kv["speedup"],
        "load_average_start": load_start, "load_average_end": list(os.getloadavg()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_probe.json").write_text(json.dumps(result, indent=1) + "\n")
    md = "\n".join([
        "| figure | value | target |", "| --- | --- | --- |",
        f"| GEMM peak ({threads} threads) | {peaks[threads] / 1e9:.1f} GFLOP/s | - |",
        f"| training tokens/s ({size.name}, {model.n_params():,} params) | {best_tps:.0f} best, {median_tps:.0f} "
        "median | - |",
        f"| MFU (best step / median step) | {result['mfu_best']:.1%} / {result['mfu_median']:.1%} | >= 50% "
        f"({'met' if result['mfu_best'] >= 0.5 else 'not met'}) |",
        f"| KV-cache decode speed-up, 256 tokens | {kv['speedup']:.1f}x | >= 3x "
        f"({'met' if kv['speedup'] >= 3 else 'not met'}) |",
        f"| load average start / end | {load_start[0]:.2f} / {result['load_average_end'][0]:.2f} | - |",
    ])
    (RESULTS / "bench_probe.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
