"""The bias audit as a model card (Mitchell et al. 2019, "Model Cards for Model Reporting"), in Markdown and HTML.

Sections, in the paper's order: Model details, Intended use, Factors, Metrics, Evaluation data, Training data,
Quantitative analyses, Ethical considerations, Caveats and recommendations.

* ``report_markdown(result)``: Markdown; its figure is an SVG built here, embedded as a ``data:`` URI (no files, no
  network).
* ``report_html(result)``: one self-contained HTML page; its figures are plotly figures with plotly.js inlined once
  (works offline).
* ``group_bars_figure(result)`` and ``gaps_figure(result)``: the plotly figures, for the dashboard too.

``result`` is an :class:`ecosystem.fairness.audit.AuditResult` or its ``to_dict()``.

About 400 lines on purpose: the card is one document, and its sections, their Markdown and HTML renderings and its
figures stay together so that both formats say the same thing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from typing import Mapping

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

RATE_METRICS: tuple[tuple[str, str], ...] = (
    ("accuracy_by_group", "accuracy"),
    ("selection_rate_by_group", "selection rate"),
    ("tpr_by_group", "true-positive rate"),
    ("fpr_by_group", "false-positive rate"),
)

PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2")


def _as_dict(result) -> dict:
    if isinstance(result, Mapping):
        return dict(result)
    return result.to_dict()


def _f(x, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _ci(v) -> str:
    return "n/a" if not v or v[0] is None else f"[{v[0]:.3f}, {v[1]:.3f}]"


# --------------------------------------------------------------------------------------------------- figures

def group_bars_figure(result):
    """Per-group accuracy, selection rate, TPR and FPR with 95% bootstrap intervals (plotly grouped bars)."""
    import plotly.graph_objects as go

    r = _as_dict(result)
    fig = go.Figure()
    for i, g in enumerate(r["groups"]):
        ys, lo, hi = [], [], []
        for key, _ in RATE_METRICS:
            v = r[key][g]
            c = r[key + "_ci95"][g]
            v = 0.0 if v is None else v  # a rate that does not exist (no positives in a group) shows as 0
            c = [v if x is None else x for x in c]
            ys.append(v)
            lo.append(max(v - c[0], 0.0))
            hi.append(max(c[1] - v, 0.0))
        name = g + (" (target)" if g == r["target_group"] else "")
        fig.add_trace(go.Bar(name=name, x=[label for _, label in RATE_METRICS], y=ys,
                             marker_color=PALETTE[i % len(PALETTE)],
                             error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                             hovertemplate="%{x}: %{y:.3f}<extra>" + html.escape(name) + "</extra>"))
    c = r["config"]
    fig.update_layout(barmode="group", yaxis=dict(title="rate", range=[0, 1.05]),
                      title=f"By group (label bias {c['label_bias']:g}, noise {c['label_noise']:g}, "
                            f"{c['aggregation']}); bars: 95% bootstrap intervals",
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=50, r=20, t=60, b=60), height=420)
    return fig


def gaps_figure(result):
    """Fairness gaps with 95% intervals against the audit's threshold (horizontal bars)."""
    import plotly.graph_objects as go

    r = _as_dict(result)
    rows = [("demographic-parity difference", "demographic_parity_difference"),
            ("equalised-odds difference", "equalized_odds_difference"),
            ("counterfactual flip rate", "counterfactual_flip_rate")]
    xs = [r[k] for _, k in rows]
    lo = [max(r[k] - r[k + "_ci95"][0], 0.0) for _, k in rows]
    hi = [max(r[k + "_ci95"][1] - r[k], 0.0) for _, k in rows]
    fig = go.Figure(go.Bar(x=xs, y=[label for label, _ in rows], orientation="h", marker_color=PALETTE[3],
                           error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.add_vline(x=r["dp_threshold"], line_dash="dash", line_color="black",
                  annotation_text=f"DP threshold {r['dp_threshold']:g}", annotation_position="top")
    fig.update_layout(title="Fairness gaps (0 = no gap); bars: 95% bootstrap intervals",
                      xaxis=dict(title="gap", range=[0, max(0.3, max(xs + [0]) * 1.3, r["dp_threshold"] * 1.2)]),
                      margin=dict(l=200, r=20, t=60, b=50), height=300)
    return fig


def group_bars_svg(result, width: int = 640, height: int = 300) -> str:
    """The per-group bar chart as a small standalone SVG (no JavaScript), for the Markdown report."""
    r = _as_dict(result)
    groups = r["groups"]
    left, right, top, bottom = 44, 10, 28, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    n_cat = len(RATE_METRICS)
    cat_w = plot_w / n_cat
    bar_w = cat_w * 0.8 / max(len(groups), 1)

    def y(v: float) -> float:
        return top + plot_h * (1.0 - max(0.0, min(1.0, v)))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="16" font-size="12">By group, with 95% bootstrap intervals</text>']
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:.2f}</text>')
    for c, (key, label) in enumerate(RATE_METRICS):
        x0 = left + c * cat_w + cat_w * 0.1
        for i, g in enumerate(groups):
            v = r[key][g] or 0.0
            lo, hi = r[key + "_ci95"][g]
            bx = x0 + i * bar_w
            parts.append(f'<rect x="{bx:.1f}" y="{y(v):.1f}" width="{bar_w * 0.92:.1f}" '
                         f'height="{y(0) - y(v):.1f}" fill="{PALETTE[i % len(PALETTE)]}">'
                         f'<title>{html.escape(g)} {html.escape(label)}: {v:.3f}</title></rect>')
            cx = bx + bar_w * 0.46
            if lo is not None and hi is not None:
                parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}" '
                             'stroke="black"/>')
        parts.append(f'<text x="{left + c * cat_w + cat_w / 2:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{html.escape(label)}</text>')
    lx = left
    for i, g in enumerate(groups):
        name = g + (" (target)" if g == r["target_group"] else "")
        parts.append(f'<rect x="{lx}" y="{height - 18}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 9}">{html.escape(name)}</text>')
        lx += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)


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
            f"Uncertainty: 95% bootstrap intervals from {c['n_boot']} resamples of the held-out set (percentile "
            "intervals; differences and the ratio use the signed pairwise intervals, folded at 0). They cover "
            "test-set sampling only, not the variation between training seeds.",
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
              f"example. {r['labellers_excluded']} of {r['n_labellers']} labellers were excluded by gold questions."),
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
    gap_rows = [
        ["demographic-parity difference", _f(r["demographic_parity_difference"]),
         _ci(r["demographic_parity_difference_ci95"]),
         ("pass" if r["passes_threshold"] else "FAIL") + f" (threshold {r['dp_threshold']:g})"],
        ["selection-rate ratio", _f(r["demographic_parity_ratio"]), _ci(r["demographic_parity_ratio_ci95"]),
         ("pass" if r["passes_80_rule"] else "FAIL") + " (80% rule)"],
        ["equalised-odds difference", _f(r["equalized_odds_difference"]), _ci(r["equalized_odds_difference_ci95"]),
         ""],
        ["counterfactual flip rate", _f(r["counterfactual_flip_rate"]), _ci(r["counterfactual_flip_rate_ci95"]),
         f"{r['flips_against_target_share'] * 100:.0f}% of flips go against {target}"],
        ["accuracy (all groups)", _f(r["accuracy"]), _ci(r["accuracy_ci95"]), ""],
    ]
    ex_rows = [[e["text"], str(e["prediction"]), e["twin_text"], str(e["twin_prediction"]), str(e["true_label"])]
               for e in r.get("flipped_examples", [])]
    sec["Quantitative analyses"] = [
        ("p", f"**Verdict: {_verdict(r)}.**"),
        ("table", ["group"] + [label for _, label in RATE_METRICS], by_rows),
        ("figure", "group_bars"),
        ("table", ["fairness figure", "value", "95% interval", "check"], gap_rows),
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
        "The intervals cover resampling of the held-out set only; training seeds add variation of their own "
        "(see data/profiles/bias_transfer.csv, which averages seeds).",
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


def report_markdown(result) -> str:
    """The model card as Markdown, with the per-group figure as an embedded SVG image."""
    r = _as_dict(result)
    c = r["config"]
    svg = group_bars_svg(r)
    svg_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    lines = [f"# Model card: bias audit (label bias {c['label_bias']:g}, noise {c['label_noise']:g}, "
             f"{c['aggregation']})", ""]
    for name, blocks in _sections(r).items():
        lines += [f"## {name}", ""]
        for block in blocks:
            kind = block[0]
            if kind == "p":
                lines += [block[1], ""]
            elif kind == "list":
                lines += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                lines += [_md_table(block[1], block[2]), ""]
            elif kind == "figure" and block[1] == "group_bars":
                lines += [f"![Accuracy, selection rate, TPR and FPR by group with 95% intervals]({svg_uri})", ""]
    return "\n".join(lines)


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


def report_html(result) -> str:
    """The model card as one self-contained HTML page; figures are plotly with plotly.js inlined once."""
    r = _as_dict(result)
    c = r["config"]
    figures = {"group_bars": group_bars_figure(r), "gaps": gaps_figure(r)}
    js_done = False
    title = (f"Model card: bias audit (label bias {c['label_bias']:g}, noise {c['label_noise']:g}, "
             f"{c['aggregation']})")
    body = [f"<h1>{html.escape(title)}</h1>"]
    ok = r["passes_80_rule"] and r["passes_threshold"]
    for name, blocks in _sections(r).items():
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
