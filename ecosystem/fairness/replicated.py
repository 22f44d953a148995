"""Replicated bias audits: K models, each trained on its own labeller draw and initialisation, and comparisons of
settings on the same replicates.

One audit's bootstrap interval covers the choice of test sentences only; retraining on a fresh draw of labellers and a
fresh random start moves the figures several times more. ``replicated_audit(settings, replicates=K)`` runs the audit
for K replicate seeds (replicate 0 uses ``settings.seed`` itself, so one replicate is the plain audit; the others are
derived from it with numpy's ``SeedSequence``, so different audit seeds share no replicate), in a pool of worker
processes (one torch thread each), and reports for every figure the mean over replicates, the across-replicate
standard deviation, the combined 95% interval (two-stage bootstrap, :mod:`ecosystem.fairness.hierarchical`), the
test-only interval of those K models, and the per-replicate values. The result is a dict with the keys of
:class:`ecosystem.fairness.audit.AuditResult` (figures: means; ``*_ci95``: combined intervals) plus ``*_sd``,
``*_test_only_ci95``, ``per_replicate`` and ``uncertainty``, so the model card and the dashboard read either.

``compare_audits(settings, ["single", "majority3"], replicates=K)`` runs each aggregation on the same replicate seeds
(same corpus, same initialisation, the labels bought differently) and reports, for each later setting against the
first, each figure's paired difference (later minus first), its interval, the relative change and the share of
replicates in which the later setting is better.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from typing import Sequence

import numpy as np

from ecosystem.checks import check_choice, check_int
from ecosystem.fairness.audit import _jsonable, audit_with_arrays
from ecosystem.fairness.hierarchical import (BETTER, BY_GROUP, LEVEL, SCALARS, interval, resample_stats,
                                             small_sample_factor, two_stage_means)
from ecosystem.fairness.labelling import AGGREGATIONS
from ecosystem.fairness.settings import AuditSettings, Progress

# 8 replicates of the default audit use about 36 CPU-seconds in all (workers' start-up included), so about 20-25 s
# on an idle 2-core machine with 2 workers; measured 62-102 s (median 82 s) with 7-9 other processes competing for
# the 2 cores (see notes_fairness.md).
DEFAULT_REPLICATES = 8
DEFAULT_JOBS = 2
MAX_REPLICATES = 200
METHOD = ("two-stage bootstrap: draw replicates with replacement, then resample each drawn replicate's held-out "
          "sentences; percentile interval widened by t(K-1)/z")


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The K replicate seeds of an audit with ``seed``: ``seed`` itself, then seeds derived from it."""
    k = check_int("replicates", replicates, 1, MAX_REPLICATES)
    derived = np.random.SeedSequence([int(seed), 0x5EED5]).generate_state(max(k - 1, 1), dtype=np.uint32)
    return [int(seed)] + [int(x) & 0x7FFFFFFF for x in derived[:k - 1]]


def _one(settings: AuditSettings):
    result, arrays = audit_with_arrays(settings)
    return result.to_dict(), arrays


def run_many(tasks: Sequence[AuditSettings], jobs: int = DEFAULT_JOBS, progress: Progress | None = None) -> list:
    """``audit_with_arrays`` for every settings in ``tasks`` (in order), on ``jobs`` worker processes (spawned, one
    torch thread each); ``progress(fraction, message)`` after each finished audit."""
    jobs = check_int("jobs", jobs, 1, 64)
    report = progress or (lambda fraction, message: None)
    n = len(tasks)
    if jobs == 1 or n == 1:
        out = []
        for i, t in enumerate(tasks):
            def inner(fraction: float, message: str, i=i) -> None:
                report((i + fraction) / n, f"audit {i + 1}/{n}: {message}")
            result, arrays = audit_with_arrays(t, inner)
            out.append((result.to_dict(), arrays))
        return out
    out: list = [None] * n
    report(0.0, f"{n} audits on {min(jobs, n)} worker processes")
    with ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_one, t): i for i, t in enumerate(tasks)}
        for done, fut in enumerate(as_completed(futures), 1):
            out[futures[fut]] = fut.result()
            report(done / n, f"{done}/{n} audits done")
    return out


def _summary(points: np.ndarray, samples: np.ndarray, test_only: np.ndarray, k: int) -> dict:
    """mean, sd, combined and test-only intervals of one figure (``points``: (K,) or (K, G))."""
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(points, axis=0)
        sd = np.nanstd(points, axis=0, ddof=1) if k > 1 else np.zeros_like(mean)
    # every pooled figure is a rate or a ratio of rates: its interval stays within [0, 1]
    return {"mean": mean, "sd": sd, "ci95": np.clip(interval(samples, mean, k), 0.0, 1.0),
            "test_only_ci95": np.clip(interval(test_only, mean), 0.0, 1.0)}


def _points(dicts: list[dict], key: str, groups: list[str]) -> np.ndarray:
    if key in BY_GROUP:
        return np.array([[np.nan if d[key][g] is None else d[key][g] for g in groups] for d in dicts], dtype=float)
    return np.array([np.nan if d[key] is None else d[key] for d in dicts], dtype=float)


def _stats(outputs: list, seeds: list[int], n_boot: int) -> list[dict]:
    """Per replicate: every figure on ``n_boot`` resamples of its held-out set. The resampling is seeded by the
    replicate seed, so two settings run on the same replicate resample the same sentences (paired)."""
    return [resample_stats(arrays, n_boot, np.random.default_rng([s, 0x4B007]))[0]
            for (_, arrays), s in zip(outputs, seeds)]


def _mean_of(dicts: list[dict], key: str) -> float:
    return float(np.mean([d[key] for d in dicts]))


def pool_replicates(outputs: list, settings: AuditSettings, seeds: list[int], seconds: float = 0.0,
                    stats: list[dict] | None = None) -> dict:
    """The replicated audit's result dict from the K ``(result dict, AuditArrays)`` pairs of one setting."""
    dicts = [d for d, _ in outputs]
    k, n_boot = len(dicts), settings.n_boot
    groups = dicts[0]["groups"]
    stats = stats if stats is not None else _stats(outputs, seeds, n_boot)
    rng = np.random.default_rng([settings.seed, 0x41E2, k])
    r = dict(dicts[0])
    r["config"] = {**settings.config(), "replicates": k, "replicate_seeds": list(seeds)}
    per: dict = {"seed": list(seeds), "seconds": [d["seconds"] for d in dicts]}
    for key in SCALARS + BY_GROUP:
        pts = _points(dicts, key, groups)
        stacked = np.stack([s[key] for s in stats])
        s = _summary(pts, two_stage_means(stacked, n_boot, rng), two_stage_means(stacked, n_boot, rng, False), k)
        if key in BY_GROUP:
            r[key] = {g: float(s["mean"][i]) for i, g in enumerate(groups)}
            r[key + "_sd"] = {g: float(s["sd"][i]) for i, g in enumerate(groups)}
            for name in ("ci95", "test_only_ci95"):
                r[f"{key}_{name}"] = {g: [float(s[name][0, i]), float(s[name][1, i])] for i, g in enumerate(groups)}
            per[key] = {g: pts[:, i].tolist() for i, g in enumerate(groups)}
        else:
            r[key], r[key + "_sd"] = float(s["mean"]), float(s["sd"])
            r[key + "_ci95"], r[key + "_test_only_ci95"] = s["ci95"].tolist(), s["test_only_ci95"].tolist()
            per[key] = pts.tolist()
    for key in ("flips_against_target_share", "label_cost_usd", "label_cost_usd_per_example", "labellers_excluded"):
        r[key] = _mean_of(dicts, key)
        per[key] = [d[key] for d in dicts]
    r["label_quality"] = {q: _mean_of([d["label_quality"] for d in dicts], q) for q in dicts[0]["label_quality"]}
    thr = r["dp_threshold"]
    r["passes_80_rule"] = bool(r["demographic_parity_ratio"] >= 0.8)
    r["passes_threshold"] = bool(r["demographic_parity_difference"] <= thr)
    r["passes_80_rule_share"] = float(np.mean([d["passes_80_rule"] for d in dicts]))
    r["passes_threshold_share"] = float(np.mean([d["passes_threshold"] for d in dicts]))
    lo, hi = r["demographic_parity_difference_ci95"]
    r["threshold_verdict"] = "pass" if hi <= thr else "fail" if lo > thr else "uncertain"
    r["training"] = {**dicts[0]["training"], "train_seconds": _mean_of([d["training"] for d in dicts],
                                                                       "train_seconds")}
    r["replicates"] = k
    r["per_replicate"] = per
    r["uncertainty"] = {"level": LEVEL, "n_boot": n_boot, "method": METHOD,
                        "small_sample_factor": small_sample_factor(k)}
    r["seconds"] = round(float(seconds), 3)
    return _jsonable(r)


def _settings_list(settings: AuditSettings, seeds: list[int], aggregation: str | None = None) -> list[AuditSettings]:
    agg = aggregation or settings.aggregation
    return [replace(settings, seed=s, aggregation=agg, groups=settings.group_spec()) for s in seeds]


def replicated_audit(settings: AuditSettings, replicates: int = DEFAULT_REPLICATES, jobs: int = DEFAULT_JOBS,
                     progress: Progress | None = None) -> dict:
    """K audits of ``settings`` on K replicate seeds, pooled (see the module's docstring); the result dict."""
    t0 = time.perf_counter()
    seeds = replicate_seeds(settings.seed, replicates)
    outputs = run_many(_settings_list(settings, seeds), jobs, progress)
    return pool_replicates(outputs, settings, seeds, time.perf_counter() - t0)


def _difference(a: dict, b: dict, stats_a: list[dict], stats_b: list[dict], key: str, n_boot: int,
                rng: np.random.Generator) -> dict:
    """Paired difference b - a of one scalar figure over the same replicates, with its interval, the relative change
    b / a - 1 with its interval, and the share of replicates in which b is better."""
    pa, pb = np.array(a["per_replicate"][key], dtype=float), np.array(b["per_replicate"][key], dtype=float)
    k = len(pa)
    both = np.stack([np.stack([s[key] for s in stats_a]), np.stack([s[key] for s in stats_b])], axis=-1)
    samples = two_stage_means(both, n_boot, rng)  # (n_boot, 2): the two settings' means on the same draws
    d = pb - pa
    mean_a, mean_d = float(np.nanmean(pa)), float(np.nanmean(d))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = samples[:, 1] / samples[:, 0] - 1.0
        rel_mean = mean_d / mean_a if mean_a else float("nan")
    return {"mean": mean_d, "sd": float(np.nanstd(d, ddof=1)) if k > 1 else 0.0,
            "ci95": interval(samples[:, 1] - samples[:, 0], mean_d, k).tolist(),
            "relative_change": rel_mean, "relative_change_ci95": interval(rel, rel_mean, k).tolist(),
            "share_better": float(np.mean(BETTER[key] * d > 0)), "per_replicate": d.tolist(),
            "better_is": "higher" if BETTER[key] > 0 else "lower"}


def compare_audits(settings: AuditSettings, aggregations: Sequence[str], replicates: int = DEFAULT_REPLICATES,
                   jobs: int = DEFAULT_JOBS, progress: Progress | None = None) -> dict:
    """Each aggregation on the same K replicate seeds; every later one against the first (paired differences)."""
    aggs = [check_choice("compare", a, AGGREGATIONS) for a in aggregations]
    if len(aggs) < 2:
        raise ValueError(f"compare: {','.join(aggs)!r} names {len(aggs)} setting; name at least two, "
                         f"separated by commas, from {', '.join(AGGREGATIONS)} (e.g. single,majority3)")
    t0 = time.perf_counter()
    seeds = replicate_seeds(settings.seed, replicates)
    tasks = [t for a in aggs for t in _settings_list(settings, seeds, a)]
    outputs = run_many(tasks, jobs, progress)
    return pool_comparison(outputs, settings, aggs, seeds, time.perf_counter() - t0)


def pool_comparison(outputs: list, settings: AuditSettings, aggs: Sequence[str], seeds: list[int],
                    seconds: float = 0.0) -> dict:
    """The comparison's dict from the ``(result dict, AuditArrays)`` pairs of every setting on the same replicate
    seeds (setting by setting, replicates in the order of ``seeds``)."""
    k, n_boot = len(seeds), settings.n_boot
    results, stats = [], []
    for i, agg in enumerate(aggs):
        part = outputs[i * k:(i + 1) * k]
        stats.append(_stats(part, seeds, n_boot))
        results.append(pool_replicates(part, replace(settings, aggregation=agg, groups=settings.group_spec()),
                                       seeds, seconds, stats[-1]))
    rng = np.random.default_rng([settings.seed, 0xC0117, k])
    differences = {}
    for j in range(1, len(aggs)):
        differences[f"{aggs[j]} - {aggs[0]}"] = {
            key: _difference(results[0], results[j], stats[0], stats[j], key, n_boot, rng) for key in SCALARS}
    return _jsonable({"kind": "comparison", "settings": list(aggs), "replicates": k, "replicate_seeds": list(seeds),
                      "config": {**settings.config(), "replicates": k, "replicate_seeds": list(seeds),
                                 "compare": list(aggs)},
                      "results": dict(zip(aggs, results)), "differences": differences,
                      "uncertainty": results[0]["uncertainty"], "seconds": round(seconds, 3)})
