"""The Classroom's look inside a model: the attention weights of the real small Transformer on a sentence, and the
6ND rule for training FLOPs beside PyTorch's own count (from the probe profile)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.charts import classroom as charts
from dashboard.components import state


@st.cache_data(show_spinner="Running the small Transformer…", max_entries=32)
def _attention(sentence: str) -> dict:
    from ecosystem.probe.attention import attention_for_sentence

    return attention_for_sentence(sentence)


def attention() -> None:
    st.header("Inside a model: attention")
    st.markdown("Each token of a sentence looks at the tokens before it and takes a weighted mix of them. The "
                "weights come from comparing a *query* vector of the token with a *key* vector of every earlier "
                "token:")
    st.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V")
    st.caption("Q, K, V: the tokens' query, key and value vectors (one row per token); d_k: their length. Each row "
               "of the softmax sums to 1. A causal model masks the future, so the heatmap is zero above the "
               "diagonal.")
    try:
        from ecosystem.probe.attention import DEFAULT_SENTENCE
        from ecosystem.transformer.corpus import WordTokenizer

        vocab = [w for w in WordTokenizer().vocab if not w.startswith("<")]
        a1, a2, a3 = st.columns([4, 1, 1])
        sentence = a1.text_input("Sentence (words of the toy grammar the model was trained on)", DEFAULT_SENTENCE,
                                 key="cls_sentence", help="vocabulary: " + ", ".join(vocab))
        att = _attention(sentence.strip() or DEFAULT_SENTENCE)
    except ImportError:
        st.info("The small Transformer's probe (ecosystem/probe.py) is not available in this checkout.")
        return
    except ValueError as exc:
        st.error(str(exc))
        return
    layer = a2.selectbox("Layer", list(range(att["n_layer"])), key="cls_layer")
    head = a3.selectbox("Head", list(range(att["n_head"])), key="cls_head")
    weights = np.array(att["layers"][layer][head])
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(charts.attention_figure(att["tokens"], weights,
                                            f"layer {layer}, head {head}: who each token attends to"),
                    key="cls_attention")
    with c2:
        st.markdown(f"Model: {att['n_layer']} layers x {att['n_head']} heads ({att.get('source', '')}). "
                    "Rows are the tokens asking, columns the tokens they look at.")
        top = pd.DataFrame(att.get("next_token_top5", []))
        if len(top):
            st.markdown("**What it predicts next**")
            top["probability"] = top["p"].map(lambda p: f"{p:.1%}")
            st.dataframe(top[["token", "probability"]], hide_index=True)


def six_nd() -> None:
    st.header("What training costs: the 6ND rule")
    st.latex(r"C_{\text{train}} \approx 6\,N\,D \quad\text{FLOPs}")
    st.markdown("Training a model of *N* parameters on *D* tokens costs about 6 FLOPs per parameter per token: 2 for "
                "the forward pass (a multiply and an add per weight) and 4 for the backward pass. Attention adds "
                "12 × layers × context × d_model per token. Here is the rule beside PyTorch's own count of the "
                "multiply-adds in one training step of the real small model, measured on this machine:")
    try:
        prof = state.probe_profile()
    except (ImportError, FileNotFoundError, ValueError) as exc:
        st.info(f"No probe profile yet ({exc}).")
        return
    sizes = pd.DataFrame(prof["sizes"])
    st.plotly_chart(charts.six_nd_figure(sizes), key="cls_6nd")
    largest = sizes.iloc[-1]
    st.caption(f"Largest size measured ({largest['name']}, {largest['n_layer']} layers, context {largest['n_ctx']}): "
               f"counted {largest['train_flops_per_token_counted']:,.0f} FLOPs per token, 6N alone "
               f"{6 * largest['n_params_matmul']:,.0f}, with attention "
               f"{largest['train_flops_per_token_analytic']:,.0f} "
               f"(counted / formula = {largest['train_flops_ratio']:.4f}). For a frontier model the same rule gives "
               f"6 x 70B parameters x 2T tokens = {6 * 70e9 * 2e12:.2e} FLOPs: see the Cost planner for what that "
               "costs.")
