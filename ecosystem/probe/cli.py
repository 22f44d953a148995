"""``python -m ecosystem probe``: run the probe, print a table (or ``--json``) and optionally write the profile."""

from __future__ import annotations

import argparse
import sys
import time

from ecosystem.checks import check_output_file
from ecosystem.probe.plans import DEVICES
from ecosystem.probe.profile import profile_json, write_profile
from ecosystem.probe.run import run_probe


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes, short training (< 60 s on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--device", default="cpu", choices=DEVICES, help="where to run (default cpu)")
    parser.add_argument("--out", metavar="PATH", help="also write the JSON profile to PATH")
    parser.add_argument("--test-mode", action="store_true", help=argparse.SUPPRESS)


def _table(profile: dict) -> str:
    lines = [f"LLM Chain Lab probe ({profile['mode']}, {profile['device']}: {profile['machine']['cpu_model']}, "
             f"{profile['machine']['torch_threads']} threads, torch {profile['machine']['torch_version']})",
             f"GEMM peak: {profile['gemm_peak_flops_per_s'] / 1e9:.1f} GFLOP/s ({profile['gemm_peak']['dtype']})", "",
             f"{'size':<5}{'params':>11}{'train F/tok counted':>21}{'analytic':>12}{'ratio':>8}{'tok/s':>10}"
             f"{'MFU':>7}{'mem MB meas':>13}{'analytic':>10}"]
    for r in profile["sizes"]:
        lines.append(f"{r['name']:<5}{r['n_params']:>11,}{r['train_flops_per_token_counted']:>21.4g}"
                     f"{r['train_flops_per_token_analytic']:>12.4g}{r['train_flops_ratio']:>8.4f}"
                     f"{r['tokens_per_s_train']:>10.0f}{r['mfu']:>7.1%}{r['peak_memory_bytes_measured'] / 1e6:>13.1f}"
                     f"{r['peak_memory_bytes_analytic'] / 1e6:>10.1f}")
    kv, q, d, fit = profile["kv_cache"], profile["quantization"], profile["distillation"], profile["scaling_fit"]
    lines += ["",
              f"KV cache: decode {kv['new_tokens']} tokens {kv['speedup']:.1f}x faster with the cache "
              f"({kv['decode_tokens_per_s_cached']:.0f} vs {kv['decode_tokens_per_s_uncached']:.0f} tok/s); "
              f"bytes {kv['bytes_measured']:.0f} measured vs {kv['bytes_analytic']:.0f} analytic",
              f"int8 quantisation: {q['int8_speedup']:.2f}x speed, size x{q['size_ratio']:.2f}, "
              f"loss {q['loss_delta']:+.4f} nats",
              f"distillation: {d['speedup']:.2f}x speed, size x{d['size_ratio']:.2f}, loss {d['loss_delta']:+.4f} "
              f"nats vs teacher ({d['distillation_gain_nats']:+.4f} vs same size from data)",
              f"corpus entropy {profile['corpus']['heldout_eval_true_entropy_nats']:.4f} nats/token; "
              + (f"scaling alpha {fit['alpha']:.3f} (R^2 {fit['r2']:.3f}) vs Chinchilla "
                 f"{fit['chinchilla_alpha_hoffmann']}" if fit["alpha"] is not None else fit.get("note", "")),
              f"total {profile['timings_s']['total']:.1f} s"]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"[probe {time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    try:  # before the probe runs: its minutes are never lost to an unwritable --out
        out_path = check_output_file("--out", args.out) if args.out else None
    except ValueError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 2
    try:
        profile = run_probe(quick=args.quick, device=args.device, progress=progress,
                            mode="test" if args.test_mode else None)
    except ValueError as exc:
        print(f"probe: {exc}", file=sys.stderr)
        return 2
    if out_path is not None:
        write_profile(profile, out_path)
        progress(f"wrote {out_path}")
    print(profile_json(profile) if args.json else _table(profile))
    return 0
