"""The bias audit as a model card (Mitchell et al. 2019, "Model Cards for Model Reporting"), in Markdown and HTML.

Sections, in the paper's order: Model details, Intended use, Factors, Metrics, Evaluation data, Training data,
Quantitative analyses, Ethical considerations, Caveats and recommendations.

* ``report_markdown(result)``: Markdown; its figure is an SVG built here, embedded as a ``data:`` URI (no files, no
  network).
* ``report_html(result)``: one self-contained HTML page; its figures are plotly figures with plotly.js inlined once
  (works offline).
* ``comparison_markdown(comparison)`` / ``comparison_html(comparison)``: a comparison of aggregations on the same
  replicates (:func:`ecosystem.fairness.replicated.compare_audits`).

``result`` is a replicated audit's dict (:func:`ecosystem.fairness.replicated.replicated_audit`), or a single
:class:`ecosystem.fairness.audit.AuditResult` or its ``to_dict()``. The figures live in
:mod:`ecosystem.fairness.figures` (re-exported here).

About 400 lines on purpose: the card is one document, and its sections and their Markdown and HTML renderings stay
together so that both formats say the same thing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from typing import Mapping

from ecosystem.fairness.figures import (RATE_METRICS, as_dict, comparison_figure, gaps_figure,  # noqa: F401
                                        group_bars_figure, group_bars_svg)

SECTIONS: tuple[str, ...] = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
)

_as_dict = as_dict


def _f(x, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _ci(v) -> str:
    return "n/a" if not v or v[0] is None else f"[{v[0]:.3f}, {v[1]:.3f}]"


# --------------------------------------------------------------------------------------------------- content

def _verdict(r: dict) -> str:
    ok = r["passes_80_rule"] and r["passes_threshold"]
    if ok:
        return "PASS: selection-rate ratio at least 0.8 and demographic-parity difference within the threshold"
    fails = []
    if not r["passes_80_rule"]:
        fails.append(f"selection-rate ratio {r['demographic_parity_ratio']:.3f} < 0.8 (80% rule)")
    if not r["passes_threshold"]:
        fails.append(f"demographic-parity difference {r['demographic_parity_difference']:.3f} > threshold "
                     f"{r['dp_threshold']:g}")
    return "FAIL: " + "; ".join(fails)


GAP_ROWS: tuple[tuple[str, str], ...] = (
    ("demographic-parity difference", "demographic_parity_difference"),
    ("selection-rate ratio", "demographic_parity_ratio"),
    ("equalised-odds difference", "equalized_odds_difference"),
    ("counterfactual flip rate", "counterfactual_flip_rate"),
    ("accuracy (all groups)", "accuracy"),
)


def _k(r: Mapping) -> int:
    return int(r.get("replicates", 1))


def _uncertainty_words(r: Mapping) -> str:
    """Both sources of uncertainty, in words a non-statistician reads correctly."""
    c, k = r["config"], _k(r)
    test = ("which test sentences happened to be drawn: another set of the same size gives slightly different "
            "figures")
    if k == 1:
        return (f"Uncertainty: the 95% intervals ({c['n_boot']} bootstrap resamples of the held-out set) cover only "
                f"{test}. They do not cover training: the same audit with another seed (another draw of labellers, "
                "another random start of the model) can give figures outside these intervals.")
    f = r["uncertainty"]["small_sample_factor"]
    return (f"Uncertainty: every figure is the mean over {k} models, each trained on its own draw of labellers and "
            f"its own random start, and tested on its own held-out sentences. Two things make a rerun differ: "
            f"(1) training: another draw of labellers and another start give another model (the 'sd across models' "
            f"column and the dots show how much); (2) testing: {test}. The 95% interval covers both: if the whole "
            f"audit were rerun many times, about 95 in 100 such intervals would contain the figure an audit of "
            f"infinitely many models would give. It comes from a two-stage bootstrap ({c['n_boot']} draws: pick "
            f"{k} models at random with replacement, then resample each one's test sentences), widened by {f:.2f} "
            f"for the small number of models. The 'test-only' interval covers (2) alone, for these {k} models; "
            "a single audit's printed interval is of that kind, and it is much narrower than the spread between "
            "models.")


def _sections(r: dict) -> dict[str, list]:
    """Section name -> list of blocks; a block is ("p", text), ("list", [items]), ("table", header, rows),
    or ("figure", name)."""
    c = r["config"]
    t = r["training"]
    groups = r["groups"]
    target = r["target_group"]
    q = r.get("label_quality", {})
    terms = c.get("groups", {})
    sec: dict[str, list] = {}
    sec["Model details"] = [
        ("list", [
            "Model: a GPT-style decoder-only Transformer (`ecosystem.transformer.model.GPT`) with a two-class head "
            f"on the last real token: {t['n_layer']} layers, d_model {t['d_model']}, {t['n_head']} heads, context "
            f"{t['n_ctx']} tokens, word-level vocabulary of {t['vocab_size']}; {t['n_params']:,} parameters.",
            f"Training: {t['epochs']} epochs, batch {t['batch_size']}, {t['optimizer']}, peak learning rate "
            f"{t['lr']:g}; cross-entropy on the crowd labels; {t['train_seconds']:.1f} s on this machine's CPU.",
            f"Built by LLM Chain Lab's bias audit (`python -m ecosystem audit`), seed {c['seed']}, "
            f"{_dt.date.today().isoformat()}.",
            "Task: binary sentiment of templated review sentences (positive = 1).",
        ])]
    sec["Intended use"] = [
        ("p", "A teaching and scenario-analysis instrument: it shows, on a real (tiny) model trained on this machine, "
              "how bias in purchased labels travels into a model's decisions and what mitigation costs in labels. "
              "Its measured label-bias to model-bias relation drives the models of LLM Chain Lab's simulation."),
        ("p", "Out of scope: classifying real text, and any decision about real people. The groups are placeholders "
              "unless the user supplied their own terms, and the task is synthetic."),
    ]
    sec["Factors"] = [
        ("list", [
            "Groups (the sensitive feature) and their person terms: " + "; ".join(
                f"**{g}**{' (target of the labellers’ bias)' if g == target else ''}: " + ", ".join(
                    f"`{w}`" for w in terms.get(g, [])) for g in groups) + ".",
            f"Labeller factors: mean error rate {c['label_noise']:g}; mean bias {c['label_bias']:g} (probability a "
            f"labeller turns a positive sentence about {target} negative); aggregation `{c['aggregation']}`; "
            f"pool of {r['n_labellers']} labellers.",
            "Instrumentation factor: ambiguity. Sentences mix positive and negative judgements; those with a small "
            "sentiment margin are where a learned group effect changes decisions.",
        ])]
    sec["Metrics"] = [
        ("list", [
            "Accuracy, selection rate (share predicted positive), true-positive and false-positive rates, each by "
            "group: fairlearn `MetricFrame`.",
            "Demographic-parity difference: largest minus smallest selection rate across groups "
            "(`fairlearn.metrics.demographic_parity_difference`). Selection-rate ratio: smallest over largest "
            "(`demographic_parity_ratio`); the 80% (four-fifths) rule passes when it is at least 0.8.",
            "Equalised-odds difference: the larger of the TPR and FPR differences across groups "
            "(`fairlearn.metrics.equalized_odds_difference`).",
            "Counterfactual flip rate: share of held-out sentences whose prediction changes when only the group "
            "term is swapped for the corresponding term of another group.",
            _uncertainty_words(r),
            f"Decision thresholds: 80% rule; demographic-parity difference at most {r['dp_threshold']:g}.",
        ])]
    ts = r["test_set"]
    sec["Evaluation data"] = [
        ("p", f"{ts['n']} held-out sentences from the same generator (a different random stream from training), "
              "labelled with their true sentiment (no labeller noise or bias). Group and sentiment are drawn "
              "independently, so the true positive rate is the same for every group up to sampling."),
        ("table", ["group", "sentences", "true positive rate"],
         [[g, str(ts["n_by_group"][g]), _f(ts["positive_rate_by_group"][g])] for g in groups]),
    ]
    price_note = (f"USD {r['label_price_usd_per_label']:.4f} per label per labeller "
                  "(`label_price_usd.crowd_classification`, data/reference/defaults.csv)")
    sec["Training data"] = [
        ("p", f"{c['n_train']} sentences labelled by the simulated pool with aggregation `{c['aggregation']}`: "
              f"{r['n_labels_paid']:,} labels plus {r['n_gold_answers']:,} gold-question answers at {price_note}: "
              f"USD {r['label_cost_usd']:.2f} in all, USD {r['label_cost_usd_per_example']:.4f} per training "
              f"example{' (per model)' if _k(r) > 1 else ''}. {r['labellers_excluded']:g} of {r['n_labellers']} labellers were excluded by gold questions."),
        ("table", ["label quality (measured on the training labels)", "value"], [
            [f"positive sentences about {target} labelled negative",
             _f(q.get("measured_flip_rate_target_positive"))],
            ["wrong labels on all other sentences", _f(q.get("measured_error_rate_other"))],
            ["pool mean bias / error rate", f"{_f(q.get('pool_mean_bias'))} / {_f(q.get('pool_mean_error_rate'))}"],
        ] + ([["kept labellers' mean bias / error rate (gold)",
               f"{_f(q.get('kept_mean_bias'))} / {_f(q.get('kept_mean_error_rate'))}"]]
             if "kept_mean_bias" in q else [])),
    ]
    by_rows = []
    for g in groups:
        row = [g + (" (target)" if g == target else "")]
        for key, _ in RATE_METRICS:
            row.append(f"{_f(r[key][g])} {_ci(r[key + '_ci95'][g])}")
        by_rows.append(row)
    checks = {
        "demographic_parity_difference": ("pass" if r["passes_threshold"] else "FAIL")
        + f" (threshold {r['dp_threshold']:g})" + (f"; {r['passes_threshold_share'] * 100:.0f}% of models pass, "
                                                     f"interval: {r['threshold_verdict']}" if _k(r) > 1 else ""),
        "demographic_parity_ratio": ("pass" if r["passes_80_rule"] else "FAIL") + " (80% rule)"
        + (f"; {r['passes_80_rule_share'] * 100:.0f}% of models pass" if _k(r) > 1 else ""),
        "counterfactual_flip_rate": f"{r['flips_against_target_share'] * 100:.0f}% of flips go against {target}",
    }
    gap_rows = []
    for label, key in GAP_ROWS:
        row = [label, _f(r[key])]
        if _k(r) > 1:
            row += [_f(r[key + "_sd"]), _ci(r[key + "_ci95"]), _ci(r[key + "_test_only_ci95"]),
                    ", ".join(_f(v) for v in r["per_replicate"][key] if v is not None)]
        else:
            row.append(_ci(r[key + "_ci95"]))
        gap_rows.append(row + [checks.get(key, "")])
    gap_header = (["fairness figure", f"mean of {_k(r)} models", "sd across models", "95% interval (training and "
                   "test)", "test-only interval", "each model", "check"] if _k(r) > 1
                  else ["fairness figure", "value", "95% interval", "check"])
    ex_rows = [[e["text"], str(e["prediction"]), e["twin_text"], str(e["twin_prediction"]), str(e["true_label"])]
               for e in r.get("flipped_examples", [])]
    sec["Quantitative analyses"] = [
        ("p", f"**Verdict: {_verdict(r)}.**"),
        ("table", ["group"] + [label for _, label in RATE_METRICS], by_rows),
        ("figure", "group_bars"),
        ("table", gap_header, gap_rows),
        ("figure", "gaps"),
    ]
    if ex_rows:
        sec["Quantitative analyses"] += [
            ("p", "Counterfactual pairs whose prediction flipped (1 = positive):"),
            ("table", ["sentence", "prediction", "twin", "twin prediction", "true label"], ex_rows),
        ]
    sec["Ethical considerations"] = [
        ("list", [
            f"Bias travels: labellers who more often call positive sentences about {target} negative produce a model "
            "that does the same, on clean inputs, with no group information other than the person term.",
            "Mitigation is not free: majority-of-three labels cost three labels per example and gold-question "
            "screening costs the quiz answers of every labeller; the cost figures above are what was paid.",
            "The people behind the labels: crowd labelling is often paid below a living wage (see "
            "data/reference/labour.csv); cheaper labels and less screening shift costs onto labellers and onto the "
            "groups a model is biased against.",
            "Group terms are placeholders by default. Swapping one word is a narrow test of counterfactual "
            "fairness; real groups are signalled by names, dialects and topics too.",
        ])]
    recs = []
    if not (r["passes_80_rule"] and r["passes_threshold"]):
        recs.append("This model fails the audit: do not deploy it; buy better labels (gold-question screening or "
                    "majority of three), audit the labeller pool for group bias, and re-audit.")
    else:
        recs.append("This model passes both checks on this test set; re-audit whenever the labels or the model "
                    "change, and look at the interval's upper end, not only the point estimate.")
    recs += [
        f"Toy task: a synthetic, templated corpus and a {t['n_params']:,}-parameter model; the figures show a "
        "mechanism and its size on this task, not the bias of any real model.",
        "Simulated labellers: noise and bias follow the stated model (independent errors, bias only on positive "
        "sentences about one group); real labellers' errors are correlated and topic-dependent.",
        (f"Rerun spread: the {_k(r)} models differ from each other by the sd shown; a single audit of one model "
         "can land anywhere in that spread, which is why conclusions rest on the mean and the combined interval."
         if _k(r) > 1 else "One model: the intervals cover resampling of the held-out set only; retraining on a "
         "fresh draw of labellers moves the figures several times more (run with `--replicates`)."),
    ]
    sec["Caveats and recommendations"] = [("list", recs)]
    return sec


# --------------------------------------------------------------------------------------------------- Markdown

def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(x: str) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(out)


def _title(r: Mapping) -> str:
    c = r["config"]
    return f"Model card: bias audit (label bias {c['label_bias']:g}, noise {c['label_noise']:g}, {c['aggregation']})"


def _markdown(title: str, sections: Mapping[str, list], images: Mapping[str, tuple[str, str]]) -> str:
    """Sections as Markdown; ``images``: figure name -> (alt text, SVG)."""
    lines = [f"# {title}", ""]
    for name, blocks in sections.items():
        lines += [f"## {name}", ""]
        for block in blocks:
            kind = block[0]
            if kind == "p":
                lines += [block[1], ""]
            elif kind == "list":
                lines += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                lines += [_md_table(block[1], block[2]), ""]
            elif kind == "figure" and block[1] in images:
                alt, svg = images[block[1]]
                uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
                lines += [f"![{alt}]({uri})", ""]
    return "\n".join(lines)


def report_markdown(result) -> str:
    """The model card as Markdown, with the per-group figure as an embedded SVG image."""
    r = _as_dict(result)
    alt = "Accuracy, selection rate, TPR and FPR by group with 95% intervals"
    return _markdown(_title(r), _sections(r), {"group_bars": (alt, group_bars_svg(r))})


# --------------------------------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } code { background: #f4f4f4; padding: 0 .2em; }
.verdict-pass { color: #1a7f37; } .verdict-fail { color: #b42318; }
"""


def _inline_md(text: str) -> str:
    """Escape, then render the two inline marks the report uses: **bold** and `code`."""
    out = html.escape(text)
    parts = out.split("`")
    out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    parts = out.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _html(title: str, sections: Mapping[str, list], figures: Mapping, ok: bool = True) -> str:
    """Sections as one self-contained HTML page; plotly.js is inlined once."""
    js_done = False
    body = [f"<h1>{html.escape(title)}</h1>"]
    for name, blocks in sections.items():
        anchor = name.lower().replace(" ", "-")
        body.append(f'<section id="{anchor}"><h2>{html.escape(name)}</h2>')
        for block in blocks:
            kind = block[0]
            if kind == "p":
                cls = ""
                if block[1].startswith("**Verdict"):
                    cls = ' class="verdict-pass"' if ok else ' class="verdict-fail"'
                body.append(f"<p{cls}>{_inline_md(block[1])}</p>")
            elif kind == "list":
                body.append("<ul>" + "".join(f"<li>{_inline_md(i)}</li>" for i in block[1]) + "</ul>")
            elif kind == "table":
                head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
                rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>"
                               for row in block[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif kind == "figure":
                fig = figures[block[1]]
                body.append('<div class="figure">' + fig.to_html(full_html=False,
                                                                 include_plotlyjs=(not js_done),
                                                                 config={"displaylogo": False}) + "</div>")
                js_done = True
        body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def report_html(result) -> str:
    """The model card as one self-contained HTML page; figures are plotly with plotly.js inlined once."""
    r = _as_dict(result)
    figures = {"group_bars": group_bars_figure(r), "gaps": gaps_figure(r)}
    return _html(_title(r), _sections(r), figures, r["passes_80_rule"] and r["passes_threshold"])


# --------------------------------------------------------------------------------------------------- comparison

def _comparison_sections(cmp: Mapping) -> dict[str, list]:
    c, k, aggs = cmp["config"], cmp["replicates"], cmp["settings"]
    sec: dict[str, list] = {"What was compared": [
        ("p", f"Label aggregations {', '.join(f'`{a}`' for a in aggs)} at label bias {c['label_bias']:g} and noise "
              f"{c['label_noise']:g}, each on the same {k} replicates: replicate i of every setting has the same "
              "sentences, the same labeller pool and the same random start of the model; only the way labels are "
              "bought differs. So each replicate gives a paired difference, and the differences are less noisy "
              "than the figures themselves."),
        ("p", "Reading the tables: the difference is the later setting minus the first, averaged over the "
              "replicates; its 95% interval covers both training and test-set variation (two-stage bootstrap of "
              "the paired differences). If the interval excludes 0 the direction of the effect is established; "
              "'better in' is the share of replicates in which the later setting did better on its own."),
    ]}
    for name, diffs in cmp["differences"].items():
        b, a = name.split(" - ")
        rows = []
        for label, key in GAP_ROWS:
            d = diffs[key]
            rows.append([label, _f(cmp["results"][a][key]), _f(cmp["results"][b][key]), f"{d['mean']:+.3f}",
                         _ci(d["ci95"]), f"{d['relative_change'] * 100:+.0f}%",
                         f"{d['share_better'] * 100:.0f}% ({d['better_is']} is better)",
                         ", ".join(f"{v:+.3f}" for v in d["per_replicate"])])
        sec[f"{b} against {a}"] = [
            ("table", ["figure", f"{a} (mean)", f"{b} (mean)", "difference", "95% interval", "relative change",
                       f"{b} better in", "each replicate"], rows),
            ("figure", name)]
    sec["Each setting"] = [("list", [
        f"`{agg}`: {_verdict(r)}; label cost USD {r['label_cost_usd_per_example']:.4f} per example"
        for agg, r in cmp["results"].items()])]
    return sec


def _comparison_title(cmp: Mapping) -> str:
    return f"Comparison of label aggregations: {' vs '.join(cmp['settings'])} on {cmp['replicates']} replicates"


def comparison_markdown(comparison) -> str:
    """A comparison of aggregations on the same replicates, as Markdown (tables; the per-replicate differences are
    listed beside each interval)."""
    return _markdown(_comparison_title(comparison), _comparison_sections(comparison), {})


def comparison_html(comparison) -> str:
    """A comparison of aggregations as one self-contained HTML page, with a paired-difference figure for each."""
    figures = {name: comparison_figure(comparison, name) for name in comparison["differences"]}
    return _html(_comparison_title(comparison), _comparison_sections(comparison), figures)
