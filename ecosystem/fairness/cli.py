"""``python -m ecosystem audit``: run the bias audit, print a summary (or ``--json``), write the model card."""

from __future__ import annotations

import argparse
import json
import sys

from ecosystem.fairness.audit import AuditResult, run_audit
from ecosystem.fairness.labelling import AGGREGATIONS
from ecosystem.fairness.report import report_html, report_markdown
from ecosystem.fairness.settings import (DEFAULT_DP_THRESHOLD, DEFAULT_EPOCHS, DEFAULT_N_BOOT, DEFAULT_N_TEST,
                                         DEFAULT_N_TRAIN)


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
    parser.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default 0)")
    parser.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN, help="training sentences (default %(default)s)")
    parser.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="held-out sentences (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="training epochs (default %(default)s)")
    parser.add_argument("--dp-threshold", type=float, default=DEFAULT_DP_THRESHOLD,
                        help="largest demographic-parity difference that passes, 0 to 1 (default %(default)s)")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT,
                        help="bootstrap resamples for the 95%% intervals (default %(default)s)")
    parser.add_argument("--group", action="append", default=None, metavar="NAME=TERM,TERM",
                        help="a group and its person terms (repeat for each group; default group_a, group_b)")
    parser.add_argument("--target-group", default=None, help="the group the biased labellers are biased against "
                                                              "(default: the second group)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    parser.add_argument("--report-md", metavar="PATH", default=None, help="write the model-card report (Markdown)")
    parser.add_argument("--report-html", metavar="PATH", default=None, help="write the model-card report (HTML)")


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"audit: [{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def summary_text(result: AuditResult) -> str:
    def ci(v: list) -> str:
        return f"[{v[0]:.3f}, {v[1]:.3f}]"

    c = result.config
    lines = [f"bias audit: label_bias={c['label_bias']:g} label_noise={c['label_noise']:g} "
             f"aggregation={c['aggregation']} seed={c['seed']} (target group: {result.target_group})",
             f"  accuracy                       {result.accuracy:.3f} {ci(result.accuracy_ci95)}"]
    for g in result.groups:
        lines.append(f"  {g:<14} acc {result.accuracy_by_group[g]:.3f}"
                     f"  selection {result.selection_rate_by_group[g]:.3f}"
                     f"  TPR {result.tpr_by_group[g]:.3f}  FPR {result.fpr_by_group[g]:.3f}")
    lines += [
        f"  demographic parity difference  {result.demographic_parity_difference:.3f} "
        f"{ci(result.demographic_parity_difference_ci95)}",
        f"  selection-rate ratio           {result.demographic_parity_ratio:.3f} "
        f"{ci(result.demographic_parity_ratio_ci95)}  80% rule: {'pass' if result.passes_80_rule else 'FAIL'}",
        f"  equalised-odds difference      {result.equalized_odds_difference:.3f} "
        f"{ci(result.equalized_odds_difference_ci95)}",
        f"  counterfactual flip rate       {result.counterfactual_flip_rate:.3f} "
        f"{ci(result.counterfactual_flip_rate_ci95)}",
        f"  DP threshold {result.dp_threshold:g}: {'pass' if result.passes_threshold else 'FAIL'}",
        f"  labels: {result.n_labels_paid} + {result.n_gold_answers} gold answers, USD {result.label_cost_usd:.2f} "
        f"({result.label_cost_usd_per_example:.4f} per example); {result.labellers_excluded} of "
        f"{result.n_labellers} labellers excluded",
        f"  model: {result.training['n_params']:,} parameters, {result.training['epochs']} epochs, "
        f"{result.training['train_seconds']:.1f} s training; whole audit {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    try:
        groups = None
        if args.group:
            groups = dict(_parse_group(g) for g in args.group)
        result = run_audit(label_bias=args.label_bias, label_noise=args.label_noise, aggregation=args.aggregation,
                           seed=args.seed, n_train=args.n_train, groups=groups, progress=_stderr_progress,
                           n_test=args.n_test, epochs=args.epochs, dp_threshold=args.dp_threshold,
                           n_boot=args.n_boot, target_group=args.target_group)
    except ValueError as exc:
        message = str(exc)
        for api, cli in (("label_bias", "--label-bias"), ("label_noise", "--label-noise"), ("n_train", "--n-train"),
                         ("n_test", "--n-test"), ("n_boot", "--n-boot"), ("dp_threshold", "--dp-threshold"),
                         ("aggregation", "--aggregation"), ("target_group", "--target-group"), ("groups[", "--group ["),
                         ("seed", "--seed"), ("epochs", "--epochs")):
            if message.startswith(api):
                message = cli + message[len(api):]
                break
        print(f"audit: error: {message}", file=sys.stderr)
        return 2
    if args.report_md or args.report_html:
        for path, render in ((args.report_md, report_markdown), (args.report_html, report_html)):
            if path:
                try:
                    with open(path, "w", encoding="utf-8") as handle:
                        handle.write(render(result))
                except OSError as exc:
                    print(f"audit: error: cannot write report to {path!r}: {exc.strerror}", file=sys.stderr)
                    return 2
                print(f"audit: wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(summary_text(result))
    return 0
