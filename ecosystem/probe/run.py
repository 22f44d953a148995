"""``run_probe``: every measurement in order, returning the profile (the JSON object the CLI prints and writes).

The GEMM peak, the size table (FLOPs, throughput, MFU, memory), the KV cache, then the learning part: the scaling demo,
int8 quantisation and distillation of its largest model, corpus facts and an attention sample.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from ecosystem.checks import check_choice
from ecosystem.probe.attention import DEFAULT_SENTENCE, attention_maps
from ecosystem.probe.kv_cache import probe_kv_cache
from ecosystem.probe.optimisation import probe_distillation, probe_quantization
from ecosystem.probe.plans import DEVICES, MODES, PLANS, Plan
from ecosystem.probe.runtime import Progress, mean, threads
from ecosystem.probe.scaling import eval_set, fit_scaling, unigram_entropy
from ecosystem.probe.throughput import measure_gemm_peak, probe_size
from ecosystem.reference import chinchilla_fit
from ecosystem.transformer import corpus as corpus_mod
from ecosystem.transformer.train import evaluate, train_lm

SCHEMA_VERSION = 1


def probe_learning(plan: Plan, device: str, progress: Progress) -> dict:
    """Corpus facts; the scaling demo; int8 quantisation and distillation of its largest model; attention sample."""
    train = corpus_mod.generate(plan.train_tokens, seed=0)
    heldout = corpus_mod.generate(plan.heldout_tokens, seed=1, surprisal=True)
    vocab = train.tokenizer.vocab_size
    seq_len = plan.scaling[0].n_ctx
    starts, true_surprisal = eval_set(heldout, seq_len, plan.eval_windows)
    entropy = mean(true_surprisal)
    unigram = unigram_entropy(train)
    models, points, rows = [], [], []
    for size in plan.scaling:
        progress(f"scaling: training {size.name} ({plan.scaling_steps} steps x {size.batch} x {size.n_ctx} tokens)")
        cfg = size.config(vocab)
        t0 = time.perf_counter()
        model = train_lm(cfg, train, plan.scaling_steps, size.batch, seed=0, device=device)
        losses = evaluate(model, heldout, starts, device)
        loss = mean(losses)
        diffs = [a - b for a, b in zip(losses, true_surprisal)]
        se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else 0.0
        models.append(model)
        points.append((float(model.n_params()), loss))
        rows.append({"name": size.name, "n_params": model.n_params(), "n_layer": cfg.n_layer,
                     "d_model": cfg.d_model, "heldout_loss_nats": loss, "excess_over_entropy_nats": loss - entropy,
                     "excess_standard_error_nats": se, "train_s": time.perf_counter() - t0})
    fit = fit_scaling(points, entropy)
    hoffmann, epoch = chinchilla_fit("hoffmann"), chinchilla_fit("epoch")
    tokens_budget = plan.scaling_steps * plan.scaling[0].batch * seq_len
    fit.update(sizes=rows, tokens_per_model=tokens_budget,
               chinchilla_alpha_hoffmann=hoffmann.alpha, chinchilla_alpha_epoch=epoch.alpha,
               caveat=("toy scale: a few-million-token grammar, models of 10^4-10^6 parameters trained for a fixed, "
                       "short token budget (not to convergence), E fixed at the grammar's exact entropy; the "
                       "exponent describes this toy, not language at large, and need not match Chinchilla's"))
    teacher, student_size = models[-1], plan.scaling[0]
    progress("int8 dynamic quantisation of the largest scaling model")
    quant = probe_quantization(teacher, heldout, starts, plan.infer_reps)
    progress(f"distillation into {student_size.name}")
    distil = probe_distillation(teacher, student_size.config(vocab), points[0][1], train, heldout, starts,
                                plan.scaling_steps, student_size.batch, device, plan.infer_reps)
    attention = attention_maps(teacher.cpu().float(), DEFAULT_SENTENCE)
    attention["model"] = plan.scaling[-1].name
    corpus_facts = {
        "kind": "probabilistic context-free grammar (ecosystem/transformer/corpus.py), generated in code",
        "vocab_size": vocab, "train_tokens": train.n_tokens, "heldout_tokens": heldout.n_tokens,
        "entropy_rate_nats_per_token": corpus_mod.entropy_rate(),
        "heldout_eval_tokens": len(true_surprisal),
        "heldout_eval_true_entropy_nats": entropy,
        "unigram_entropy_nats": unigram,
        "expected_sentence_tokens": corpus_mod.expected_length() + 1.0,
    }
    return {"corpus": corpus_facts, "scaling_fit": fit, "quantization": quant, "distillation": distil,
            "attention": attention}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(device: str) -> dict:
    facts = {
        "cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__, "python_version": platform.python_version(),
        "platform": platform.platform(), "device": device,
    }
    if hasattr(os, "getloadavg"):
        facts["load_average_at_start"] = list(os.getloadavg())
    if device == "cuda":
        facts["gpu_name"] = torch.cuda.get_device_name(0)
        facts["gpu_memory_bytes"] = torch.cuda.get_device_properties(0).total_memory
        facts["cuda_version"] = torch.version.cuda
    return facts


def _check(quick: bool, device: str, mode: str | None) -> str:
    """The mode to run (``quick`` picks ``quick`` over ``full``), after checking the device and the mode."""
    check_choice("device", device, DEVICES)
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: 'cuda' requested but this torch ({torch.__version__}) sees no CUDA GPU; "
                         "allowed here: cpu")
    return check_choice("mode", mode if mode is not None else ("quick" if quick else "full"), MODES)


def run_probe(quick: bool = False, device: str = "cpu", progress: Progress | None = None,
              mode: str | None = None) -> dict:
    """Run the probe and return the profile (the JSON object). ``quick`` runs small sizes (< 60 s on 2 cores);
    ``mode="test"`` is a seconds-long smoke run for the test suite."""
    mode = _check(quick, device, mode)
    with threads(torch.get_num_threads()):  # restores the caller's thread count afterwards
        return _run(PLANS[(device, mode)], mode, device, progress or (lambda _msg: None))


def _run(plan: Plan, mode: str, device: str, say: Progress) -> dict:
    start = time.perf_counter()
    sections: dict[str, float] = {}

    def tick(name: str, t0: float) -> None:
        sections[name] = round(time.perf_counter() - t0, 3)

    out: dict = {"schema_version": SCHEMA_VERSION, "mode": mode, "device": device, "machine": machine_facts(device)}
    out["machine"]["small_model_threads"] = plan.small_threads if device == "cpu" else None
    t0 = time.perf_counter()
    say(f"GEMM peak: {plan.gemm_reps} reps of square matmuls {plan.gemm_sizes}")
    if device == "cpu":
        # every core, and one: on a machine shared with other work, one thread can beat two (a descheduled thread
        # stalls every parallel region); the table then runs with whichever delivered more, and says so
        candidates = sorted({plan.table_threads or os.cpu_count() or 1, 1}, reverse=True)
        per_threads = {}
        for n in candidates:
            with threads(n):
                per_threads[n] = measure_gemm_peak(device, plan.gemm_sizes, plan.gemm_reps)
        table_threads = max(per_threads, key=lambda n: per_threads[n]["flops_per_s"])
        gemm = dict(per_threads[table_threads])
        gemm["threads"] = table_threads
        gemm["per_threads_flops_per_s"] = {str(n): g["flops_per_s"] for n, g in per_threads.items()}
        torch.set_num_threads(table_threads)
        out["machine"]["torch_threads"] = table_threads
    else:
        gemm = measure_gemm_peak(device, plan.gemm_sizes, plan.gemm_reps)
    out["gemm_peak_flops_per_s"] = gemm["flops_per_s"]
    out["gemm_peak"] = gemm
    tick("gemm_peak", t0)
    say(f"GEMM peak {gemm['flops_per_s'] / 1e9:.1f} GFLOP/s ({gemm['dtype']})")

    train = corpus_mod.generate(max(20_000, plan.train_tokens // 4), seed=0)
    vocab = train.tokenizer.vocab_size
    sizes = []
    samples = [gemm["flops_per_s"]]
    for size in plan.sizes:
        t0 = time.perf_counter()
        say(f"size {size.name}: L={size.n_layer} d={size.d_model} T={size.n_ctx} batch={size.batch}")
        row = probe_size(size, vocab, plan, device, train, gemm["flops_per_s"])
        sizes.append(row)
        # the peak again after each size, so that it is the best of samples spread over the whole table: a
        # snapshot taken while other work held the cores would make the later training steps look > 100% of it
        samples.append(measure_gemm_peak(device, plan.gemm_sizes[-1:], plan.gemm_reps)["flops_per_s"])
        tick(f"size_{size.name}", t0)
        say(f"  {row['n_params'] / 1e6:.2f}M params, FLOP ratio {row['train_flops_ratio']:.4f}, "
            f"{row['tokens_per_s_train']:.0f} tok/s ({row['achieved_flops_per_s'] / 1e9:.1f} GFLOP/s), "
            f"memory ratio {row['memory_ratio']:.3f}")
    peak = max(samples)
    gemm["flops_per_s"] = peak
    gemm["samples_flops_per_s"] = samples
    out["gemm_peak_flops_per_s"] = peak
    for row in sizes:
        row["mfu"] = row["achieved_flops_per_s"] / peak
        row["mfu_median"] = row["tokens_per_s_train_median"] * row["train_flops_per_token_counted"] / peak
        say(f"size {row['name']}: MFU {row['mfu']:.1%} (median step {row['mfu_median']:.1%}) of "
            f"{peak / 1e9:.1f} GFLOP/s")
    out["sizes"] = sizes
    out["largest"] = {"name": sizes[-1]["name"], "mfu": sizes[-1]["mfu"],
                      "achieved_flops_per_s": sizes[-1]["achieved_flops_per_s"]}

    t0 = time.perf_counter()
    say(f"KV cache: decode {plan.kv_new} tokens with and without the cache (n_ctx {plan.kv.n_ctx})")
    with threads(plan.small_threads if device == "cpu" else None):
        out["kv_cache"] = probe_kv_cache(plan, vocab, train, device)
        out["kv_cache"]["torch_threads"] = torch.get_num_threads()
    tick("kv_cache", t0)
    say(f"  speed-up {out['kv_cache']['speedup']:.1f}x")

    t0 = time.perf_counter()
    with threads(plan.small_threads if device == "cpu" else None):
        learning = probe_learning(plan, device, say)
        learning["scaling_fit"]["torch_threads"] = torch.get_num_threads()
    out.update(learning)
    tick("learning", t0)
    fit = out["scaling_fit"]
    if fit["alpha"] is not None:
        say(f"  scaling alpha {fit['alpha']:.3f} (Chinchilla {fit['chinchilla_alpha_hoffmann']})")
    out["timings_s"] = {"total": round(time.perf_counter() - start, 3), **sections}
    if hasattr(os, "getloadavg"):
        out["machine"]["load_average_at_end"] = list(os.getloadavg())
    out["notes"] = [
        "FLOPs: FlopCounterMode counts matmuls only (mm, addmm, bmm); embedding look-ups, layer norms, softmax, "
        "GELU, bias adds and the AdamW update are not counted, as in the analytic 6N + 12 L T d convention; "
        "uncounted_flops_per_token_estimate sizes them.",
        "MFU = tokens/s of the best timed step x counted train FLOPs per token / measured GEMM peak (the best of "
        "samples taken before and after each size, gemm_peak.samples_flops_per_s); mfu_median uses the median step.",
        "Timings on a shared machine vary with other load; see machine.load_average_*. The GEMM peak is measured "
        "with every core and with one; the size table runs with whichever delivered more (gemm_peak.threads), "
        "which is every core on a quiet machine. The small models (KV cache, scaling, quantisation, distillation) "
        "run on one thread on the CPU (machine.small_model_threads): their matmuls are too small to split, and "
        "thread barriers on a busy machine cost more than they save.",
    ]
    return out
