"""The bias audit's figures, for the model card and the dashboard: per-group rates and fairness gaps with their 95%
intervals and, for a replicated audit, every replicate's value as a dot beside its interval; the paired differences of
a comparison.

* ``group_bars_figure(result)``, ``gaps_figure(result)``, ``comparison_figure(comparison)``: plotly figures;
* ``group_bars_svg(result)``: the per-group chart as a standalone SVG (no JavaScript), for the Markdown card.

``result`` is an audit result dict (replicated or not) or an :class:`ecosystem.fairness.audit.AuditResult`.
"""

from __future__ import annotations

import html
from typing import Mapping

RATE_METRICS: tuple[tuple[str, str], ...] = (
    ("accuracy_by_group", "accuracy"),
    ("selection_rate_by_group", "selection rate"),
    ("tpr_by_group", "true-positive rate"),
    ("fpr_by_group", "false-positive rate"),
)
GAP_METRICS: tuple[tuple[str, str], ...] = (
    ("demographic-parity difference", "demographic_parity_difference"),
    ("equalised-odds difference", "equalized_odds_difference"),
    ("counterfactual flip rate", "counterfactual_flip_rate"),
)
PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2")
DOT = "rgba(30,30,30,0.65)"


def as_dict(result) -> dict:
    return dict(result) if isinstance(result, Mapping) else result.to_dict()


def interval_words(r: dict) -> str:
    """What the error bars mean, in a few words."""
    k = r.get("replicates", 1)
    if k > 1:
        return f"bars: mean of {k} models; whiskers: 95% intervals (training and test-set variation); dots: each model"
    return "whiskers: 95% intervals (test-set variation only)"


def _replicate_values(r: dict, key: str, group: str | None = None) -> list[float]:
    per = r.get("per_replicate", {}).get(key)
    if per is None:
        return []
    values = per[group] if group is not None else per
    return [v for v in values if v is not None]


def group_bars_figure(result):
    """Per-group accuracy, selection rate, TPR and FPR with 95% intervals (plotly grouped bars; dots: replicates)."""
    import plotly.graph_objects as go

    r = as_dict(result)
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
        fig.add_trace(go.Bar(name=name, x=[label for _, label in RATE_METRICS], y=ys, offsetgroup=str(i),
                             marker_color=PALETTE[i % len(PALETTE)], legendgroup=name,
                             error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                             hovertemplate="%{x}: %{y:.3f}<extra>" + html.escape(name) + "</extra>"))
        xs, dots = [], []
        for key, label in RATE_METRICS:
            values = _replicate_values(r, key, g)
            xs += [label] * len(values)
            dots += values
        if dots:
            fig.add_trace(go.Scatter(x=xs, y=dots, mode="markers", offsetgroup=str(i), legendgroup=name,
                                     showlegend=False, marker=dict(size=5, color=DOT),
                                     hovertemplate="%{x}: %{y:.3f} (one model)<extra>" + html.escape(name)
                                                   + "</extra>"))
    c = r["config"]
    fig.update_layout(barmode="group", scattermode="group", yaxis=dict(title="rate", range=[0, 1.05]),
                      title=f"By group (label bias {c['label_bias']:g}, noise {c['label_noise']:g}, "
                            f"{c['aggregation']}); {interval_words(r)}",
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=50, r=20, t=60, b=60), height=420)
    return fig


def gaps_figure(result):
    """Fairness gaps with 95% intervals against the audit's threshold (horizontal bars; dots: replicates)."""
    import plotly.graph_objects as go

    r = as_dict(result)
    xs = [r[k] for _, k in GAP_METRICS]
    lo = [max(r[k] - r[k + "_ci95"][0], 0.0) for _, k in GAP_METRICS]
    hi = [max(r[k + "_ci95"][1] - r[k], 0.0) for _, k in GAP_METRICS]
    fig = go.Figure(go.Bar(x=xs, y=[label for label, _ in GAP_METRICS], orientation="h", marker_color=PALETTE[3],
                           error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo), name="mean",
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    dots_x = [v for _, k in GAP_METRICS for v in _replicate_values(r, k)]
    dots_y = [label for label, k in GAP_METRICS for _ in _replicate_values(r, k)]
    if dots_x:
        fig.add_trace(go.Scatter(x=dots_x, y=dots_y, mode="markers", marker=dict(size=6, color=DOT),
                                 name="one model", hovertemplate="%{y}: %{x:.3f} (one model)<extra></extra>"))
    fig.add_vline(x=r["dp_threshold"], line_dash="dash", line_color="black",
                  annotation_text=f"DP threshold {r['dp_threshold']:g}", annotation_position="top")
    top = max(xs + dots_x + [c[1] for c in (r[k + "_ci95"] for _, k in GAP_METRICS)] + [0])
    fig.update_layout(title=f"Fairness gaps (0 = no gap); {interval_words(r)}", showlegend=False,
                      xaxis=dict(title="gap", range=[0, max(0.3, top * 1.15, r["dp_threshold"] * 1.2)]),
                      margin=dict(l=200, r=20, t=60, b=50), height=300)
    return fig


def comparison_figure(comparison: Mapping, name: str | None = None):
    """One comparison's paired differences (later minus first setting): each replicate's difference as a dot, the
    mean as a diamond with its 95% interval, and the zero line (no difference)."""
    import plotly.graph_objects as go

    name = name or next(iter(comparison["differences"]))
    diffs = comparison["differences"][name]
    labels = [("accuracy", "accuracy")] + [(k, label) for label, k in GAP_METRICS]
    fig = go.Figure()
    for key, label in labels:
        d = diffs[key]
        fig.add_trace(go.Scatter(x=d["per_replicate"], y=[label] * len(d["per_replicate"]), mode="markers",
                                 marker=dict(size=7, color=DOT), showlegend=False,
                                 hovertemplate=f"{label}: %{{x:+.3f}} (one replicate)<extra></extra>"))
        fig.add_trace(go.Scatter(x=[d["mean"]], y=[label], mode="markers", showlegend=False,
                                 marker=dict(size=13, symbol="diamond", color=PALETTE[0]),
                                 error_x=dict(type="data", symmetric=False, array=[d["ci95"][1] - d["mean"]],
                                              arrayminus=[d["mean"] - d["ci95"][0]], thickness=2),
                                 hovertemplate=(f"{label}: mean %{{x:+.3f}}, 95% interval {d['ci95'][0]:+.3f} to "
                                                f"{d['ci95'][1]:+.3f}; {name.split(' - ')[0]} better in "
                                                f"{d['share_better']:.0%} of replicates<extra></extra>")))
    fig.add_vline(x=0, line_color="#888", line_dash="dot")
    fig.update_layout(title=f"{name}: paired differences on {comparison['replicates']} replicates (dots), mean and "
                            "95% interval (diamond)", xaxis=dict(title="difference", zeroline=False),
                      margin=dict(l=200, r=20, t=60, b=50), height=320)
    return fig


def group_bars_svg(result, width: int = 640, height: int = 300) -> str:
    """The per-group bar chart as a small standalone SVG (no JavaScript), for the Markdown report; a replicated
    audit's models are dots beside each bar's interval."""
    r = as_dict(result)
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
             f'<text x="{left}" y="16" font-size="12">By group; {html.escape(interval_words(r))}</text>']
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
            for p in _replicate_values(r, key, g):
                parts.append(f'<circle cx="{cx + bar_w * 0.22:.1f}" cy="{y(p):.1f}" r="2" fill="{DOT}">'
                             f'<title>one model: {p:.3f}</title></circle>')
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
