"""Classroom: a guided walk through the six stages of the chain, month by month; who trades with whom; what
attention and training cost look like on a real (tiny) Transformer."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import figures, levers, narrative, state
from dashboard.figures import human

st.title("Classroom: how the chain works")

try:
    source, base, scenario, values = levers.current()
except Exception as exc:  # levers from another page that no longer make a valid scenario
    st.error(f"The current levers do not make a valid scenario ({exc}); showing the baseline.")
    base = scenario = levers.load_source(levers.DEFAULT_PRESET)
    source, values = levers.DEFAULT_PRESET, levers.values_from_scenario(scenario)
changes = levers.changed(values, levers.values_from_scenario(base))
view = state.get_run(scenario, label=f"Simulating {scenario.name}")
m, ev = view.metrics, view.events
horizon = int(m["step"].max())
st.caption(f"Scenario **{source}**" + (" with " + ", ".join(f"{k}={v}" for k, v in changes.items()) if changes
                                       else "") + " (change it on the Explore page). The chain starts from nothing: "
           "money, labs, clouds and labelling firms, but no model, no API and no app. Step through the months.")

# ---- month stepper ----------------------------------------------------------------------------------------------
if "cls_month" not in st.session_state or not 1 <= st.session_state["cls_month"] <= horizon:
    first_model = m.loc[m["models_available"] > 0, "step"]
    st.session_state["cls_month"] = int(first_model.iloc[0]) if len(first_model) else 1


def _step(delta: int) -> None:
    st.session_state["cls_month"] = int(min(max(st.session_state["cls_month"] + delta, 1), horizon))


def _jump(target: int) -> None:
    st.session_state["cls_month"] = int(target)


c_prev, c_slider, c_next = st.columns([1.4, 6, 1.4], vertical_alignment="bottom")
c_prev.button("◀ previous", on_click=_step, args=(-1,), key="cls_prev", width="stretch")
month = c_slider.slider("Month", 1, horizon, key="cls_month")
c_next.button("next month ▶", on_click=_step, args=(1,), key="cls_next", width="stretch")
hits = {"first training run": ev.loc[ev["kind"] == "run_started", "step"],
        "first model": m.loc[m["models_available"] > 0, "step"],
        "first API": m.loc[m["providers_live"] > 0, "step"],
        "first app": m.loc[m["apps_live"] > 0, "step"],
        "shock": ev.loc[ev["kind"] == "shock", "step"],
        "open weights": ev.loc[ev["kind"] == "open_weights_release", "step"]}
milestones = {name: int(hit.iloc[0]) for name, hit in hits.items() if len(hit)}
milestones["the horizon"] = horizon
jump_cols = st.columns(len(milestones))
for col, (name, target) in zip(jump_cols, sorted(milestones.items(), key=lambda kv: kv[1])):
    col.button(f"{name} (month {target})", on_click=_jump, args=(target,), key=f"cls_jump_{name}", type="tertiary")

headline, stories = narrative.month_story(m, ev, scenario, month)
st.subheader(headline)
left, right = st.columns([5, 4])
with left:
    for i, (stage, text) in enumerate(stories, start=1):
        st.markdown(f"**{i}. {stage}.** {text}")
with right:
    st.plotly_chart(figures.network_figure(view.flows_by_type, month), key="cls_network")
    row = m.set_index("step").loc[month]
    k1, k2, k3 = st.columns(3)
    k1.metric("End users", human(row["app_users"], "users"))
    k2.metric("Tokens served", human(row["tokens_served"], "tokens"))
    k3.metric("GPU price", f"{row['gpu_price_usd_per_hour']:.2f} USD/h")

where = st.multiselect("Where this month sits in the whole run", [c for c in figures.METRIC_UNITS],
                       default=["app_users", "gpu_price_usd_per_hour"], format_func=figures.axis_title,
                       key="cls_series")
fig = figures.timeseries_figure(m, where)
fig.add_vline(x=month, line_dash="dot", line_color="#e8684a")
fig.update_layout(height=130 + 170 * max(1, len(where)))
st.plotly_chart(fig, key="cls_series_chart")

# ---- attention --------------------------------------------------------------------------------------------------
st.divider()
st.header("Inside a model: attention")
st.markdown("Each token of a sentence looks at the tokens before it and takes a weighted mix of them. The weights "
            "come from comparing a *query* vector of the token with a *key* vector of every earlier token:")
st.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V")
st.caption("Q, K, V: the tokens' query, key and value vectors (one row per token); d_k: their length. Each row of "
           "the softmax sums to 1. A causal model masks the future, so the heatmap is zero above the diagonal.")


@st.cache_data(show_spinner="Running the small Transformer…", max_entries=32)
def _attention(sentence: str) -> dict:
    from ecosystem.probe import attention_for_sentence

    return attention_for_sentence(sentence)


try:
    from ecosystem.probe import DEFAULT_SENTENCE
    from ecosystem.corpus import WordTokenizer

    vocab = [w for w in WordTokenizer().vocab if not w.startswith("<")]
    a1, a2, a3 = st.columns([4, 1, 1])
    sentence = a1.text_input("Sentence (words of the toy grammar the model was trained on)", DEFAULT_SENTENCE,
                             key="cls_sentence", help="vocabulary: " + ", ".join(vocab))
    att = _attention(sentence.strip() or DEFAULT_SENTENCE)
except ImportError:
    st.info("The small Transformer's probe (ecosystem/probe.py) is not available in this checkout.")
except ValueError as exc:
    st.error(str(exc))
else:
    layer = a2.selectbox("Layer", list(range(att["n_layer"])), key="cls_layer")
    head = a3.selectbox("Head", list(range(att["n_head"])), key="cls_head")
    weights = np.array(att["layers"][layer][head])
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(figures.attention_figure(att["tokens"], weights,
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

# ---- 6ND ---------------------------------------------------------------------------------------------------------
st.divider()
st.header("What training costs: the 6ND rule")
st.latex(r"C_{\text{train}} \approx 6\,N\,D \quad\text{FLOPs}")
st.markdown("Training a model of *N* parameters on *D* tokens costs about 6 FLOPs per parameter per token: 2 for the "
            "forward pass (a multiply and an add per weight) and 4 for the backward pass. Attention adds "
            "12 × layers × context × d_model per token. Here is the rule beside PyTorch's own count of the "
            "multiply-adds in one training step of the real small model, measured on this machine:")


try:
    prof = state.probe_profile()
except (ImportError, FileNotFoundError, ValueError) as exc:
    st.info(f"No probe profile yet ({exc}).")
else:
    sizes = pd.DataFrame(prof["sizes"])
    labels = [f"{r.name}: N={r.n_params_matmul:,}" for r in sizes.itertuples()]
    six_n = 6 * sizes["n_params_matmul"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=six_n, name="6N (the rule)", marker_color="#e4a23a",
                         hovertemplate="%{x}: 6N = %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.add_trace(go.Bar(x=labels, y=sizes["train_flops_per_token_analytic"], name="6N + 12 L T d (with attention)",
                         marker_color="#9270ca",
                         hovertemplate="%{x}: %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.add_trace(go.Bar(x=labels, y=sizes["train_flops_per_token_counted"], name="counted by PyTorch",
                         marker_color="#5b8ff9", hovertemplate="%{x}: %{y:,.0f} FLOPs per token<extra></extra>"))
    fig.update_yaxes(title_text="training FLOPs per token (log scale)", type="log", dtick="D2")
    fig.update_xaxes(title_text="model size (N = parameters in matrix multiplies)")
    fig.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.1))
    st.plotly_chart(fig, key="cls_6nd")
    largest = sizes.iloc[-1]
    st.caption(f"Largest size measured ({largest['name']}, {largest['n_layer']} layers, context {largest['n_ctx']}): "
               f"counted {largest['train_flops_per_token_counted']:,.0f} FLOPs per token, 6N alone "
               f"{6 * largest['n_params_matmul']:,.0f}, with attention "
               f"{largest['train_flops_per_token_analytic']:,.0f} "
               f"(counted / formula = {largest['train_flops_ratio']:.4f}). For a frontier model the same rule gives "
               f"6 x 70B parameters x 2T tokens = {6 * 70e9 * 2e12:.2e} FLOPs: see the Cost planner for what that "
               "costs.")
