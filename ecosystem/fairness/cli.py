"""``python -m ecosystem audit``: run the replicated bias audit (``--replicates K`` models on K labeller draws and
initialisations) or compare aggregations on the same replicates (``--compare single,majority3``), print a summary (or
``--json``), write the model card."""

from __future__ import annotations

import argparse
import json
import sys

from ecosystem.checks import check_output_file
from ecosystem.fairness.labelling import AGGREGATIONS
from ecosystem.fairness.replicated import DEFAULT_JOBS, DEFAULT_REPLICATES, compare_audits, replicated_audit
from ecosystem.fairness.report import comparison_html, comparison_markdown, report_html, report_markdown
from ecosystem.fairness.settings import (DEFAULT_DP_THRESHOLD, DEFAULT_EPOCHS, DEFAULT_N_BOOT, DEFAULT_N_TEST,
                                         DEFAULT_N_TRAIN, AuditSettings)


def _parse_group(text: str) -> tuple[str, list[str]]:
    if "=" not in text:
        raise ValueError(f"--group: {text!r} is not allowed; write NAME=term1,term2 (e.g. women=she,woman)")
    name, terms = text.split("=", 1)
    return name.strip(), [t.strip() for t in terms.split(",") if t.strip()]


def _one_line_error(message: str) -> None:
    """argparse's errors as one line (no usage block), like the audit's own argument errors."""
    print(f"audit: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.error = _one_line_error  # type: ignore[method-assign]
    parser.add_argument("--label-bias", type=float, default=0.0, metavar="B",
                        help="mean probability a labeller turns a positive sentence about the target group "
                             "negative, 0 to 1 (default 0)")
    parser.add_argument("--label-noise", type=float, default=0.05, metavar="E",
                        help="mean probability of a wrong label on any sentence, 0 to 0.5 (default 0.05)")
    parser.add_argument("--aggregation", default="single", metavar="|".join(AGGREGATIONS),
                        help="single label, majority of three, or gold-question screening (default single)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed of the whole audit, >= 0: the replicates' seeds derive from it (default 0)")
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES, metavar="K",
                        help="models trained, each on its own labeller draw and initialisation; figures are their "
                             "mean with intervals covering both training and test-set variation "
                             "(default %(default)s; 1 = one model, test-set intervals only)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="worker processes, one torch thread each (default %(default)s)")
    parser.add_argument("--compare", default=None, metavar="A,B",
                        help="compare aggregations on the same replicates, e.g. single,majority3: each later one "
                             "against the first (overrides --aggregation)")
    parser.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN, help="training sentences (default %(default)s)")
    parser.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="held-out sentences (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="training epochs (default %(default)s)")
    parser.add_argument("--dp-threshold", type=float, default=DEFAULT_DP_THRESHOLD,
                        help="largest demographic-parity difference that passes, 0 to 1 (default %(default)s)")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT,
                        help="bootstrap draws for the 95%% intervals (default %(default)s)")
    parser.add_argument("--group", action="append", default=None, metavar="NAME=TERM,TERM",
                        help="a group and its person terms (repeat for each group; default group_a, group_b)")
    parser.add_argument("--target-group", default=None, help="the group the biased labellers are biased against "
                                                              "(default: the second group)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    parser.add_argument("--report-md", metavar="PATH", default=None, help="write the model-card report (Markdown)")
    parser.add_argument("--report-html", metavar="PATH", default=None, help="write the model-card report (HTML)")


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"audit: [{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def _ci(v: list) -> str:
    return f"[{v[0]:.3f}, {v[1]:.3f}]"


def _figure_line(label: str, r: dict, key: str) -> str:
    return (f"  {label:<30} {r[key]:.3f} sd {r[key + '_sd']:.3f}  95% {_ci(r[key + '_ci95'])}  "
            f"(test-only {_ci(r[key + '_test_only_ci95'])})")


FIGURES = (("accuracy", "accuracy"), ("demographic parity difference", "demographic_parity_difference"),
           ("selection-rate ratio", "demographic_parity_ratio"),
           ("equalised-odds difference", "equalized_odds_difference"),
           ("counterfactual flip rate", "counterfactual_flip_rate"))


def summary_text(r: dict) -> str:
    """The replicated audit in a few lines: mean, sd across replicates, combined and test-only 95% intervals."""
    c = r["config"]
    lines = [f"bias audit: label_bias={c['label_bias']:g} label_noise={c['label_noise']:g} "
             f"aggregation={c['aggregation']} seed={c['seed']} replicates={r['replicates']} "
             f"(target group: {r['target_group']})",
             "  figure: mean over replicates, sd across replicates, 95% interval (training and test-set variation), "
             "test-only interval"]
    lines += [_figure_line(label, r, key) for label, key in FIGURES]
    for g in r["groups"]:
        lines.append(f"  {g:<14} acc {r['accuracy_by_group'][g]:.3f}  selection {r['selection_rate_by_group'][g]:.3f} "
                     f"{_ci(r['selection_rate_by_group_ci95'][g])}  TPR {r['tpr_by_group'][g]:.3f}  "
                     f"FPR {r['fpr_by_group'][g]:.3f}")
    lines += [
        f"  80% rule: {'pass' if r['passes_80_rule'] else 'FAIL'} on the mean ratio "
        f"({r['passes_80_rule_share'] * 100:.0f}% of replicates pass)",
        f"  DP threshold {r['dp_threshold']:g}: {'pass' if r['passes_threshold'] else 'FAIL'} on the mean, "
        f"{r['threshold_verdict']} on the interval ({r['passes_threshold_share'] * 100:.0f}% of replicates pass)",
        f"  labels per replicate: {r['n_labels_paid']} + {r['n_gold_answers']} gold answers, USD "
        f"{r['label_cost_usd']:.2f} ({r['label_cost_usd_per_example']:.4f} per example)",
        f"  model: {r['training']['n_params']:,} parameters, {r['training']['epochs']} epochs, "
        f"{r['training']['train_seconds']:.1f} s training per replicate; whole audit {r['seconds']:.1f} s",
    ]
    return "\n".join(lines)


def comparison_text(cmp: dict) -> str:
    """Each later setting against the first: paired difference, its interval, share of replicates better."""
    c = cmp["config"]
    lines = [f"comparison on {cmp['replicates']} shared replicates: label_bias={c['label_bias']:g} "
             f"label_noise={c['label_noise']:g} seed={c['seed']}; settings {', '.join(cmp['settings'])}"]
    for agg, r in cmp["results"].items():
        lines.append(f"  {agg}: " + "; ".join(f"{label} {r[key]:.3f} {_ci(r[key + '_ci95'])}"
                                               for label, key in FIGURES if key != "demographic_parity_ratio"))
    for name, diffs in cmp["differences"].items():
        lines.append(f"  {name} (paired difference, 95% interval, share of replicates where "
                     f"{name.split(' - ')[0]} is better):")
        for label, key in FIGURES:
            d = diffs[key]
            lines.append(f"    {label:<30} {d['mean']:+.3f} {_ci(d['ci95'])}  relative {d['relative_change']:+.0%}"
                         f"  better in {d['share_better'] * 100:.0f}% ({d['better_is']} is better)")
    lines.append(f"  whole comparison {cmp['seconds']:.1f} s")
    return "\n".join(lines)


ARGUMENT_NAMES = (("label_bias", "--label-bias"), ("label_noise", "--label-noise"), ("n_train", "--n-train"),
                  ("n_test", "--n-test"), ("n_boot", "--n-boot"), ("dp_threshold", "--dp-threshold"),
                  ("aggregation", "--aggregation"), ("target_group", "--target-group"), ("groups[", "--group ["),
                  ("seed", "--seed"), ("epochs", "--epochs"), ("replicates", "--replicates"), ("jobs", "--jobs"),
                  ("compare", "--compare"))


def _run(args: argparse.Namespace) -> dict:
    groups = dict(_parse_group(g) for g in args.group) if args.group else None
    settings = AuditSettings(label_bias=args.label_bias, label_noise=args.label_noise, aggregation=args.aggregation,
                             seed=args.seed, n_train=args.n_train, groups=groups, n_test=args.n_test,
                             epochs=args.epochs, dp_threshold=args.dp_threshold, n_boot=args.n_boot,
                             target_group=args.target_group)
    if args.compare is not None:
        aggs = [a.strip() for a in args.compare.split(",") if a.strip()]
        return compare_audits(settings, aggs, args.replicates, args.jobs, _stderr_progress)
    return replicated_audit(settings, args.replicates, args.jobs, _stderr_progress)


def main(args: argparse.Namespace) -> int:
    try:  # before any training: an audit is never lost to a report path it cannot write
        for flag, path in (("--report-md", args.report_md), ("--report-html", args.report_html)):
            if path:
                check_output_file(flag, path)
    except ValueError as exc:
        print(f"audit: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = _run(args)
    except ValueError as exc:
        message = str(exc)
        for api, cli in ARGUMENT_NAMES:
            if message.startswith(api):
                message = cli + message[len(api):]
                break
        print(f"audit: error: {message}", file=sys.stderr)
        return 2
    comparing = result.get("kind") == "comparison"
    renders = ((args.report_md, comparison_markdown if comparing else report_markdown),
               (args.report_html, comparison_html if comparing else report_html))
    for path, render in renders:
        if path:
            try:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(render(result))
            except OSError as exc:
                print(f"audit: error: cannot write report to {path!r}: {exc.strerror}", file=sys.stderr)
                return 2
            print(f"audit: wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(comparison_text(result) if comparing else summary_text(result))
    return 0
