"""The Ethics page's bias-audit experiment: label sentences with biased crowd workers, train the real small
Transformer on those labels several times (replicates: each its own labeller draw and initialisation), audit each on
clean data (``ecosystem.fairness.replicated``), show the figures with intervals covering both training and test-set
variation, optionally compare two aggregations on the same replicates, and set the result on the measured transfer
curve (``data/profiles/bias_transfer.csv``, with its spread band across replicates)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.charts import ethics as ethics_charts
from dashboard.components import state

ROOT = Path(__file__).resolve().parents[2]
TRANSFER_CSV = ROOT / "data" / "profiles" / "bias_transfer.csv"
SIZES = {
    "quick (1,000 training sentences, 6 epochs; a few seconds per model)": dict(n_train=1000, n_test=1000, epochs=6,
                                                                                 n_boot=300),
    "standard (1,500 sentences, 8 epochs, as in the transfer table; ~10 s per model)": dict(),
}
NO_COMPARISON = "no comparison"
DEFAULT_REPLICATES = 4


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_audit(label_bias: float, label_noise: float, aggregation: str, seed: int, size: str,
                  replicates: int = DEFAULT_REPLICATES, compare_with: str = NO_COMPARISON, _progress=None) -> dict:
    from ecosystem.fairness.replicated import compare_audits, replicated_audit
    from ecosystem.fairness.settings import AuditSettings

    settings = AuditSettings(label_bias=label_bias, label_noise=label_noise, aggregation=aggregation, seed=seed,
                             **SIZES[size])
    if compare_with != NO_COMPARISON:
        return compare_audits(settings, [aggregation, compare_with], replicates, progress=_progress)
    return replicated_audit(settings, replicates, progress=_progress)


def run_audit_with_progress(label_bias: float, label_noise: float, aggregation: str, seed: int, size: str,
                            replicates: int = DEFAULT_REPLICATES, compare_with: str = NO_COMPARISON) -> dict:
    status = {"fraction": 0.0, "message": "starting"}

    def on_progress(fraction: float, message: str) -> None:
        status["fraction"], status["message"] = float(fraction), str(message)

    def poll() -> tuple[float, str]:
        return status["fraction"], f"Audit: {status['message']} ({status['fraction']:.0%})"

    return state.with_progress(
        lambda: _cached_audit(label_bias, label_noise, aggregation, seed, size, replicates, compare_with, on_progress),
        poll)


@st.cache_data(show_spinner=False, max_entries=4)
def _transfer_table(path: str, mtime: float) -> pd.DataFrame:  # keyed by the file's path and modification time
    return pd.read_csv(path)


def _ci(v: list | None) -> str:
    return "n/a" if not v or v[0] is None else f"95% interval {v[0]:.3f} to {v[1]:.3f}"


def _spread(result: dict, key: str) -> str:
    """The interval and, for a replicated audit, the spread across models, for a card's help text."""
    k = result.get("replicates", 1)
    if k < 2:
        return _ci(result[key + "_ci95"]) + " (test-set variation only)"
    return (f"mean of {k} models; {_ci(result[key + '_ci95'])} (training and test-set variation); sd across "
            f"models {result[key + '_sd']:.3f}; each model: "
            + ", ".join(f"{v:.3f}" for v in result["per_replicate"][key] if v is not None))


def _comparison(cmp: dict) -> None:
    """The paired comparison of two aggregations: a sentence, the differences figure and table."""
    from ecosystem.fairness import figures

    name, diffs = next(iter(cmp["differences"].items()))
    later, first = name.split(" - ")
    d = diffs["counterfactual_flip_rate"]
    st.markdown(f"**{later} against {first}, on the same {cmp['replicates']} replicates** (same sentences, labeller "
                f"pool and model start; only the labels differ): the flip rate changes by {d['mean']:+.3f} "
                f"({d['relative_change']:+.0%}; 95% interval {d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f}); "
                f"{later} is better in {d['share_better']:.0%} of replicates.")
    fig = figures.comparison_figure(cmp, name)
    fig.update_layout(title=dict(text=f"{name}: each replicate (dots), mean and 95% interval", font_size=13))
    st.plotly_chart(fig, key="au_compare")
    rows = [{"figure": label, first: cmp["results"][first][key], later: cmp["results"][later][key],
             "difference": diffs[key]["mean"], "95% interval": f"{diffs[key]['ci95'][0]:+.3f} to "
                                                               f"{diffs[key]['ci95'][1]:+.3f}",
             f"{later} better in": f"{diffs[key]['share_better']:.0%} ({diffs[key]['better_is']} is better)"}
            for label, key in (("accuracy", "accuracy"),) + figures.GAP_METRICS]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def render() -> None:
    try:
        from ecosystem.fairness import report as audit_report
        from ecosystem.fairness.labelling import AGGREGATIONS
    except ImportError as exc:
        st.info(f"The bias-audit experiment is not available in this checkout ({exc}).")
        return
    st.markdown(
        "Crowd workers label sentences about two groups as positive or negative. Some turn positive sentences "
        "about the *target* group negative (**label bias**); all make some random mistakes (**label noise**). The "
        "real small Transformer is trained on their labels and audited on clean held-out sentences: does it treat "
        "the groups differently? **Aggregation** is the vendor's quality control: one label per sentence "
        "(`single`), the majority of three (`majority3`), or workers screened with gold questions (`gold`).")
    with st.form("audit_form"):
        c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
        bias = c1.slider("Label bias (0-1)", 0.0, 1.0, 0.3, 0.05, key="au_bias",
                         help="mean probability that a worker turns a positive sentence about the target group "
                              "negative")
        noise = c2.slider("Label noise (0-0.5)", 0.0, 0.5, 0.05, 0.01, key="au_noise",
                          help="mean probability of a wrong label on any sentence")
        agg = c3.radio("Aggregation", AGGREGATIONS, horizontal=True, key="au_agg")
        seed = c4.number_input("Seed", 0, 10_000, 0, key="au_seed")
        size = st.radio("Size", list(SIZES), key="au_size", horizontal=True)
        c5, c6 = st.columns(2)
        replicates = c5.number_input("Replicates (models trained)", 1, 20, DEFAULT_REPLICATES, key="au_reps",
                                     help="each model gets its own draw of labellers and its own random start; "
                                          "the figures are their mean, and the intervals cover both that training "
                                          "variation and the choice of test sentences")
        compare_with = c6.selectbox("Compare with another aggregation", [NO_COMPARISON, *AGGREGATIONS],
                                    key="au_compare_with",
                                    help="runs the other aggregation on the same replicates and reports the paired "
                                         "difference with its interval")
        submitted = st.form_submit_button("Run the audit", type="primary", icon=":material/science:")
    args = (float(bias), float(noise), str(agg), int(seed), str(size), int(replicates), str(compare_with))
    if submitted:
        try:
            st.session_state["au_result"] = (args, run_audit_with_progress(*args))
        except ValueError as exc:
            st.error(str(exc))
        except Exception as exc:  # training failure: say so, keep the page
            st.error(f"The audit failed: {type(exc).__name__}: {exc}")
    stored = st.session_state.get("au_result")
    result = stored[1] if stored else None
    comparison = None
    if result is not None and result.get("kind") == "comparison":
        comparison, result = result, result["results"][result["settings"][0]]
    if result is None:
        st.info("Set the labellers and press **Run the audit**: the model trains on this machine, with a progress "
                "bar.")
    else:
        if stored[0] != args:
            st.caption("Showing the last audit run; press *Run the audit* for the settings above.")
        cfg = result["config"]
        cols = st.columns(4)
        dp, thr = result["demographic_parity_difference"], result["dp_threshold"]
        cols[0].metric("Demographic-parity gap", f"{dp:.3f} (0-1)",
                       delta=f"{'passes' if result['passes_threshold'] else 'fails'} the {thr:g} threshold",
                       delta_color="green" if result["passes_threshold"] else "red", delta_arrow="off",
                       help=_spread(result, "demographic_parity_difference"), border=True)
        cols[1].metric("Selection-rate ratio", f"{result['demographic_parity_ratio']:.2f} (0-1)",
                       delta=f"{'passes' if result['passes_80_rule'] else 'fails'} the 80% rule",
                       delta_color="green" if result["passes_80_rule"] else "red", delta_arrow="off",
                       help=_spread(result, "demographic_parity_ratio"), border=True)
        cols[2].metric("Counterfactual flip rate", f"{100 * result['counterfactual_flip_rate']:.1f} % of sentences",
                       help="share of held-out sentences whose prediction changes when only the group word is "
                            "swapped; " + _spread(result, "counterfactual_flip_rate"), border=True)
        cols[3].metric("Labels cost", f"{result['label_cost_usd']:,.2f} USD",
                       help=f"{result['n_labels_paid']:,} labels at {result['label_price_usd_per_label']:.4f} USD "
                            f"per label; {result['label_cost_usd_per_example']:.4f} USD per training example",
                       border=True)
        k = result.get("replicates", 1)
        st.caption(f"Label bias {cfg['label_bias']:g}, noise {cfg['label_noise']:g}, {cfg['aggregation']}, seed "
                   f"{cfg['seed']}; {k} model{'s' if k > 1 else ''}, each with {cfg['n_train']:,} training and "
                   f"{cfg['n_test']:,} test sentences; accuracy {result['accuracy']:.3f} "
                   f"({_ci(result['accuracy_ci95'])}); ran in {result['seconds']:.1f} s. "
                   + (f"Figures are the mean of the {k} models; whiskers cover both the training variation (another "
                      "draw of labellers and start gives another model: the dots) and the choice of test sentences."
                      if k > 1 else "One model: whiskers cover the choice of test sentences only; a rerun with "
                      "another seed can land outside them."))
        c1, c2 = st.columns([3, 2])
        bars = audit_report.group_bars_figure(result)
        bars.update_layout(title=dict(text="Rates by group (0-1); whiskers: 95% intervals; dots: each model",
                                      font_size=13))
        c1.plotly_chart(bars, key="au_bars")
        gaps = audit_report.gaps_figure(result)  # re-styled: the threshold line readable on a dark theme too
        gaps.update_shapes(line_color="#c05050")
        gaps.update_layout(title=dict(text="Fairness gaps (0 = none, 0-1); 95% intervals; dots: each model",
                                      font_size=13),
                           margin=dict(l=10, r=10, t=50, b=40))
        gaps.update_yaxes(automargin=True)
        c2.plotly_chart(gaps, key="au_gaps")
        if result.get("flipped_examples"):
            with st.expander("Sentences whose prediction flips when only the group changes"):
                st.dataframe(pd.DataFrame(result["flipped_examples"]), hide_index=True)
        if comparison is not None:
            _comparison(comparison)
            d0, _ = st.columns(2)
            d0.download_button("Comparison report (HTML, works offline)",
                               data=lambda: audit_report.comparison_html(comparison),
                               file_name=f"bias_comparison_{'_'.join(comparison['settings'])}.html",
                               mime="text/html", on_click="ignore", icon=":material/download:", key="au_cmp_html")
        d1, d2 = st.columns(2)
        stem = f"bias_audit_b{cfg['label_bias']:g}_n{cfg['label_noise']:g}_{cfg['aggregation']}_s{cfg['seed']}"
        d1.download_button("Audit report (Markdown)", data=lambda: audit_report.report_markdown(result),
                           file_name=f"{stem}.md", mime="text/markdown", on_click="ignore",
                           icon=":material/download:", key="au_md")
        d2.download_button("Audit report (HTML, works offline)", data=lambda: audit_report.report_html(result),
                           file_name=f"{stem}.html", mime="text/html", on_click="ignore",
                           icon=":material/download:", key="au_html")

    st.subheader("The transfer curve: label bias → model bias")
    if not TRANSFER_CSV.exists():
        st.info("The measured transfer table is not there yet (data/profiles/bias_transfer.csv; make it with "
                "`python scripts/make_bias_transfer.py`).")
        return
    table = _transfer_table(str(TRANSFER_CSV), TRANSFER_CSV.stat().st_mtime)
    noises = sorted(table["label_noise"].unique())
    want = float(result["config"]["label_noise"]) if result else float(noise)
    default = min(range(len(noises)), key=lambda i: abs(noises[i] - want))
    chosen = st.select_slider("Label noise of the curve", noises, value=noises[default], key="au_curve_noise")
    d = table[table["label_noise"] == chosen]
    band = "band" if "model_dp_difference_band_lo" in d else "ci95"  # tables before replicates: test-only bands
    fig = ethics_charts.transfer_curve_figure(
        d, "label_bias", "model_dp_difference", group="aggregation", lo=f"model_dp_difference_{band}_lo",
        hi=f"model_dp_difference_{band}_hi", x_title="label bias (share of positive target-group sentences flipped, 0-1)",
        y_title="model's demographic-parity gap (0-1)",
        mark_x=float(result["config"]["label_bias"]) if result else None)
    if result:
        fig.add_scatter(x=[result["config"]["label_bias"]], y=[result["demographic_parity_difference"]],
                        mode="markers", marker=dict(size=14, symbol="star", color="#c05050"),
                        name=f"this audit ({result['config']['aggregation']}, "
                             f"noise {result['config']['label_noise']:g})",
                        hovertemplate="this audit: label bias %{x:.2f} → gap %{y:.3f}<extra></extra>")
    st.plotly_chart(fig, key="au_transfer")
    spread = ("bands: the spread across replicates (mean -/+ one standard deviation), where a single audit lands"
              if band == "band" else "bands: the mean 95% bootstrap interval of one audit (test-set variation only)")
    st.caption(f"Each point: the mean over replicates (seeds) of audits like the one above ({TRANSFER_CSV.name}); "
               f"{spread}. The simulation reads the means to give every model it trains a bias from its "
               "labellers' bias, noise and aggregation.")
