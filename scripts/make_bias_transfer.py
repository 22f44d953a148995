#!/usr/bin/env python
"""Sweep the bias audit over label bias x label noise x aggregation and write the transfer table.

Every cell runs the real audit (``ecosystem.fairness.audit.run_audit``: corpus, simulated labellers, the small
Transformer trained from scratch, fairlearn audit on a clean held-out set) once per seed, in parallel worker
processes (one torch thread each). Outputs, in ``data/profiles/``:

* ``bias_transfer_runs.csv``: one row per (cell, seed) run, written as runs finish (a stopped sweep keeps them);
* ``bias_transfer.csv``: one row per cell, built from its replicates (one audit per seed: each seed is its own draw
  of labellers, corpus and initialisation): model DP / EO difference and counterfactual flip rate (``model_*``: mean
  over replicates, what the simulation reads; ``*_seed_sd``: standard deviation across replicates; ``*_band_lo/hi``:
  mean -/+ that sd, the spread band where one audit lands, which the dashboard draws; ``*_mean_ci95_lo/hi``: 95%
  interval of the mean, Student t over the replicates, whose values already carry test-set noise since every
  replicate has its own held-out set; ``*_ci95_lo/hi``: mean of the runs' own 95% bootstrap bounds, i.e. the
  test-only interval a single audit would report), ``n_replicates``, accuracy, measured label quality, label cost
  per example and its multiplier against ``single``;
* ``bias_transfer.json``: which script and version made the table, with what settings, where and how long it took.

Usage: ``.venv/bin/python scripts/make_bias_transfer.py [--seeds 0 1 2] [--jobs N]``;
``--aggregate-only`` rebuilds the table from an existing runs file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from ecosystem.reference import PROFILE_DIR, REPO_ROOT

ROOT = REPO_ROOT
SCRIPT_VERSION = "1.1"
PROFILES = PROFILE_DIR
BIASES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)
NOISES = (0.0, 0.05, 0.1, 0.2)
AGGS = ("single", "majority3", "gold")

RUN_COLUMNS = ["label_bias", "label_noise", "aggregation", "seed", "dp_difference", "dp_difference_ci95_lo",
               "dp_difference_ci95_hi", "eo_difference", "eo_difference_ci95_lo", "eo_difference_ci95_hi",
               "flip_rate", "flip_rate_ci95_lo", "flip_rate_ci95_hi", "accuracy", "accuracy_ci95_lo",
               "accuracy_ci95_hi", "selection_rate_ratio", "label_flip_rate_target_positive",
               "label_error_rate_other", "labellers_excluded", "label_cost_usd", "label_cost_usd_per_example",
               "audit_seconds"]


def one_run(task: tuple) -> dict:
    bias, noise, agg, seed, n_train, n_test, epochs = task
    from ecosystem.fairness.audit import run_audit

    r = run_audit(label_bias=bias, label_noise=noise, aggregation=agg, seed=seed, n_train=n_train, n_test=n_test,
                  epochs=epochs)
    return {
        "label_bias": bias, "label_noise": noise, "aggregation": agg, "seed": seed,
        "dp_difference": r.demographic_parity_difference,
        "dp_difference_ci95_lo": r.demographic_parity_difference_ci95[0],
        "dp_difference_ci95_hi": r.demographic_parity_difference_ci95[1],
        "eo_difference": r.equalized_odds_difference,
        "eo_difference_ci95_lo": r.equalized_odds_difference_ci95[0],
        "eo_difference_ci95_hi": r.equalized_odds_difference_ci95[1],
        "flip_rate": r.counterfactual_flip_rate,
        "flip_rate_ci95_lo": r.counterfactual_flip_rate_ci95[0],
        "flip_rate_ci95_hi": r.counterfactual_flip_rate_ci95[1],
        "accuracy": r.accuracy, "accuracy_ci95_lo": r.accuracy_ci95[0], "accuracy_ci95_hi": r.accuracy_ci95[1],
        "selection_rate_ratio": r.demographic_parity_ratio,
        "label_flip_rate_target_positive": r.label_quality["measured_flip_rate_target_positive"],
        "label_error_rate_other": r.label_quality["measured_error_rate_other"],
        "labellers_excluded": r.labellers_excluded,
        "label_cost_usd": r.label_cost_usd, "label_cost_usd_per_example": r.label_cost_usd_per_example,
        "audit_seconds": r.seconds,
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def t_quantile(n: int) -> float:
    """97.5% quantile of Student's t with n - 1 degrees of freedom (n replicates)."""
    from scipy import stats

    return float(stats.t.ppf(0.975, n - 1))


def aggregate(runs: list[dict]) -> list[dict]:
    import numpy as np

    cells: dict[tuple, list[dict]] = {}
    for r in runs:
        cells.setdefault((float(r["label_bias"]), float(r["label_noise"]), r["aggregation"]), []).append(r)
    single_cost = {(b, e): np.mean([float(x["label_cost_usd_per_example"]) for x in rs])
                   for (b, e, a), rs in cells.items() if a == "single"}
    out = []
    for (b, e, agg), rs in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1], AGGS.index(kv[0][2]))):
        def col(name: str) -> np.ndarray:
            return np.array([float(x[name]) for x in rs])

        row = {"label_bias": b, "label_noise": e, "aggregation": agg,
               "seeds": " ".join(str(int(float(x["seed"]))) for x in sorted(rs, key=lambda x: int(float(x["seed"])))),
               "n_replicates": len(rs)}
        for metric, src in (("model_dp_difference", "dp_difference"), ("model_eo_difference", "eo_difference"),
                            ("model_flip_rate", "flip_rate")):
            row[metric] = col(src).mean()
            row[metric + "_ci95_lo"] = col(src + "_ci95_lo").mean()
            row[metric + "_ci95_hi"] = col(src + "_ci95_hi").mean()
            row[metric + "_seed_sd"] = sd = col(src).std(ddof=1) if len(rs) > 1 else 0.0
            row[metric + "_band_lo"], row[metric + "_band_hi"] = max(row[metric] - sd, 0.0), row[metric] + sd
            half = t_quantile(len(rs)) * sd / np.sqrt(len(rs)) if len(rs) > 1 else float("nan")
            row[metric + "_mean_ci95_lo"] = max(row[metric] - half, 0.0)
            row[metric + "_mean_ci95_hi"] = row[metric] + half
        for name in ("accuracy", "accuracy_ci95_lo", "accuracy_ci95_hi", "selection_rate_ratio",
                     "label_flip_rate_target_positive", "label_error_rate_other", "labellers_excluded",
                     "label_cost_usd_per_example"):
            row[name] = col(name).mean()
        base = single_cost.get((b, e))
        row["label_cost_multiplier"] = row["label_cost_usd_per_example"] / base if base else float("nan")
        row["audit_seconds"] = col("audit_seconds").mean()
        out.append(row)
    return out


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _fmt(v) for k, v in r.items()})


def read_runs(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _git_dirty() -> bool | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, timeout=10)
        return bool(out.stdout.strip()) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--biases", type=float, nargs="+", default=list(BIASES))
    p.add_argument("--noises", type=float, nargs="+", default=list(NOISES))
    p.add_argument("--aggregations", nargs="+", default=list(AGGS), choices=AGGS)
    p.add_argument("--n-train", type=int, default=None, help="default: the audit's default")
    p.add_argument("--n-test", type=int, default=None, help="default: the audit's default")
    p.add_argument("--epochs", type=int, default=None, help="default: the audit's default")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out-dir", type=Path, default=PROFILES)
    p.add_argument("--aggregate-only", action="store_true", help="rebuild the table from the existing runs file")
    p.add_argument("--append", action="store_true",
                   help="keep the runs already in the runs file and add only the missing (cell, seed) runs")
    args = p.parse_args(argv)

    from ecosystem.fairness import settings as audit_settings

    n_train = args.n_train or audit_settings.DEFAULT_N_TRAIN
    n_test = args.n_test or audit_settings.DEFAULT_N_TEST
    epochs = args.epochs or audit_settings.DEFAULT_EPOCHS
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runs_path = args.out_dir / "bias_transfer_runs.csv"
    table_path = args.out_dir / "bias_transfer.csv"
    meta_path = args.out_dir / "bias_transfer.json"
    t0 = time.perf_counter()
    if not args.aggregate_only:
        tasks = [(b, e, a, s, n_train, n_test, epochs) for s in args.seeds for a in args.aggregations
                 for b in args.biases for e in args.noises]
        runs: list[dict] = []
        if args.append and runs_path.exists():
            runs = read_runs(runs_path)
            have = {(float(r["label_bias"]), float(r["label_noise"]), r["aggregation"], int(float(r["seed"])))
                    for r in runs}
            tasks = [t for t in tasks if (t[0], t[1], t[2], t[3]) not in have]
        print(f"make_bias_transfer: {len(tasks)} audit runs on {args.jobs} processes", file=sys.stderr, flush=True)
        with runs_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=RUN_COLUMNS)
            writer.writeheader()
            for r in runs:
                writer.writerow({c: r[c] for c in RUN_COLUMNS})
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                futures = [pool.submit(one_run, t) for t in tasks]
                for k, fut in enumerate(as_completed(futures), 1):
                    row = fut.result()
                    runs.append(row)
                    writer.writerow({c: _fmt(row[c]) for c in RUN_COLUMNS})
                    handle.flush()
                    if k % 10 == 0 or k == len(tasks):
                        print(f"make_bias_transfer: {k}/{len(tasks)} runs, {time.perf_counter() - t0:.0f} s",
                              file=sys.stderr, flush=True)
        runs.sort(key=lambda r: (float(r["label_bias"]), float(r["label_noise"]), AGGS.index(r["aggregation"]),
                                 int(float(r["seed"]))))
        write_csv(runs_path, [{c: r[c] for c in RUN_COLUMNS} for r in runs])
    runs = read_runs(runs_path)
    table = aggregate(runs)
    write_csv(table_path, table)
    import torch

    meta = {
        "made_by": "scripts/make_bias_transfer.py", "script_version": SCRIPT_VERSION, "git_commit": _git_commit(), "git_dirty": _git_dirty(),
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "audit": {"function": "ecosystem.fairness.audit.run_audit", "n_train": n_train, "n_test": n_test, "epochs": epochs,
                  "train_settings": audit_settings.TrainSettings().__dict__ | {"epochs": epochs},
                  "n_boot": audit_settings.DEFAULT_N_BOOT},
        "grid": {"label_bias": sorted({float(r["label_bias"]) for r in runs}),
                 "label_noise": sorted({float(r["label_noise"]) for r in runs}),
                 "aggregation": [a for a in AGGS if any(r["aggregation"] == a for r in runs)],
                 "seeds": sorted({int(float(r["seed"])) for r in runs})},
        "n_runs": len(runs),
        "columns": {
            "model_*": "mean over replicates (seeds) of the audit's point estimate on the clean held-out set",
            "model_*_ci95_lo/hi": "mean over seeds of each run's 95% bootstrap bounds (a single audit's test-only "
                                  "interval)",
            "model_*_seed_sd": "standard deviation across replicates (seeds)",
            "model_*_band_lo/hi": "mean -/+ the standard deviation across replicates (where one audit lands)",
            "model_*_mean_ci95_lo/hi": "95% interval of the mean over replicates (Student t; covers training and "
                                       "test-set variation)",
            "n_replicates": "audits (seeds) in the cell",
            "label_cost_multiplier": "label cost per training example / that of single at the same bias and noise",
        },
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "jobs": args.jobs},
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "mean_audit_seconds": round(sum(float(r["audit_seconds"]) for r in runs) / max(len(runs), 1), 2),
    }
    if args.append and meta_path.exists():
        meta["wall_seconds"] = round(meta["wall_seconds"] + (json.loads(meta_path.read_text()).get("wall_seconds") or 0),
                                     1)
    if args.aggregate_only and meta_path.exists():
        old = json.loads(meta_path.read_text())
        meta["machine"] = old.get("machine", meta["machine"])
        meta["audit"] = old.get("audit", meta["audit"])
        meta["wall_seconds"] = old.get("wall_seconds")
        meta["created_utc"] = old.get("created_utc", meta["created_utc"])
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"make_bias_transfer: wrote {table_path} ({len(table)} cells from {len(runs)} runs) in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
