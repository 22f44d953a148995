"""The Cost planner's three question forms: a training run (priced on every accelerator too), the compute-optimal
model for a budget, and the serving fleet for a token volume (with the price per token against utilisation)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import planner as charts
from dashboard.charts.format import human
from dashboard.plan.inputs import DEFAULT_HW, HARDWARE, TRAIN_HARDWARE, assumptions_table, cards, integer, number
from ecosystem import planner, reference
from ecosystem.planner.serving.roofline import PRECISIONS

MODELS = reference.model_ids()


def training() -> None:
    with st.form("train_form"):
        c1, c2, c3 = st.columns(3)
        t_params = c1.text_input("Parameters", "70B", help="e.g. 7e9, 70B, 1.8T")
        t_active = c1.text_input("Active parameters per token (mixture-of-experts; blank = all)", "")
        t_tokens = c2.text_input("Training tokens", "2T", help="e.g. 2e12, 1.4T, 300B")
        t_hw = c2.selectbox("Hardware", TRAIN_HARDWARE, index=DEFAULT_HW, key="t_hw",
                            help="this-machine: the probe's measured matmul peak and training MFU on this computer")
        t_gpus = c3.text_input("GPUs (optional: gives wall-clock days)", "2048")
        with st.expander("Override a default (blank = the planner's default)"):
            o1, o2, o3, o4 = st.columns(4)
            t_mfu = o1.text_input("MFU (0-1)", "", key="t_mfu")
            t_price = o2.text_input("Price (USD per GPU-hour)", "", key="t_price")
            t_pue = o3.text_input("PUE (1-3)", "", key="t_pue")
            t_grid = o4.text_input("Grid (gCO2 per kWh)", "", key="t_grid")
        st.form_submit_button("Price this run", type="primary")
    try:
        kwargs = dict(active_params=number("active parameters", t_active, True), gpus=integer("GPUs", t_gpus, True),
                      mfu=number("MFU", t_mfu, True), price_usd_per_gpu_hour=number("price", t_price, True),
                      pue=number("PUE", t_pue, True), grid_gco2_per_kwh=number("grid intensity", t_grid, True))
        n, d = number("parameters", t_params), number("training tokens", t_tokens)
        plan = planner.train_plan(n, d, t_hw, **kwargs)
    except ValueError as exc:
        st.error(str(exc))
    else:
        cards([("Training compute", human(plan.train_flops, "FLOPs"), "model FLOPs, 6N D plus attention"),
               ("GPU-hours", human(plan.gpu_hours, "GPU-h"), f"at MFU {plan.mfu:.3f}"),
               ("Cost", human(plan.cost_usd, "USD"), f"at {plan.price_usd_per_gpu_hour:.2f} USD per GPU-hour"),
               ("Energy", human(plan.energy_mwh, "MWh"), f"TDP {plan.tdp_w:g} W x PUE {plan.pue:g}"),
               ("CO2", human(plan.co2_t, "tCO2"), f"at {plan.grid_gco2_per_kwh:g} gCO2/kWh"),
               ("Wall clock", f"{plan.wall_clock_days:,.1f} days" if plan.wall_clock_days else "give GPUs",
                "GPU-hours / GPUs / 24")])
        rows = []
        for hw in HARDWARE:
            try:
                p = planner.train_plan(n, d, hw, active_params=kwargs["active_params"], gpus=kwargs["gpus"],
                                       pue=kwargs["pue"], grid_gco2_per_kwh=kwargs["grid_gco2_per_kwh"])
                rows.append({"hardware": hw, "cost_usd": p.cost_usd, "gpu_hours": p.gpu_hours,
                             "days": p.wall_clock_days, "co2_t": p.co2_t, "mfu": p.mfu,
                             "price": p.price_usd_per_gpu_hour})
            except ValueError:
                continue
        if rows:
            st.plotly_chart(charts.hardware_cost_figure(pd.DataFrame(rows), t_hw), key="train_hw_chart")


def budget() -> None:
    with st.form("budget_form"):
        c1, c2, c3 = st.columns(3)
        b_budget = c1.text_input("Budget (USD)", "10M", help="e.g. 5e6, 10M, 1B")
        b_hw = c2.selectbox("Hardware", HARDWARE, index=DEFAULT_HW, key="b_hw")
        b_fit = c3.selectbox("Scaling-law fit", planner.FITS, key="b_fit",
                             help="Chinchilla fits in data/reference/scaling_laws.csv")
        o1, o2 = st.columns(2)
        b_mfu = o1.text_input("MFU (0-1, blank = calibrated)", "", key="b_mfu")
        b_price = o2.text_input("Price (USD per GPU-hour, blank = default)", "", key="b_price")
        st.form_submit_button("Find the compute-optimal model", type="primary")
    try:
        budget = number("budget", b_budget)
        bkw = dict(fit=b_fit, mfu=number("MFU", b_mfu, True), price_usd_per_gpu_hour=number("price", b_price, True))
        bp = planner.budget_plan(budget, b_hw, **bkw)
    except ValueError as exc:
        st.error(str(exc))
    else:
        cards([("Parameters", human(bp.params, "params"), "compute-optimal size"),
               ("Tokens", human(bp.tokens, "tokens"), f"{bp.tokens_per_param:,.1f} tokens per parameter"),
               ("Predicted loss", f"{bp.predicted_loss:.3f} nats/token", f"fit {bp.fit}"),
               ("GPU-hours", human(bp.gpu_hours, "GPU-h"), f"MFU {bp.mfu:.3f}"),
               ("Energy", human(bp.energy_mwh, "MWh"), ""), ("CO2", human(bp.co2_t, "tCO2"), "")])
        budgets = [budget * f for f in (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)]
        pts = []
        for b in budgets:
            try:
                p = planner.budget_plan(b, b_hw, **bkw)
                pts.append((b, p.params, p.tokens, p.predicted_loss))
            except ValueError:
                continue
        if pts:
            df = pd.DataFrame(pts, columns=["budget_usd", "params", "tokens", "loss"])
            st.plotly_chart(charts.budget_curve_figure(df, budget), key="budget_chart")


def serving() -> None:
    mode = st.radio("Size the fleet for", ["a catalogued model (exact architecture)", "a parameter count"],
                    horizontal=True, key="serve_mode")
    if mode.startswith("a catalogued"):
        serving_model()
    else:
        serving_params()


def serving_model() -> None:
    """``python -m ecosystem serve --model``: a real architecture, precision, lengths, TP and latency limits."""
    with st.form("serve_model_form"):
        c1, c2, c3 = st.columns(3)
        m_id = c1.selectbox("Model (data/reference/models.csv)", MODELS, index=MODELS.index("llama-3-70b"),
                            key="m_id")
        m_hw = c1.selectbox("Hardware", HARDWARE, index=DEFAULT_HW, key="m_hw")
        m_prec = c2.selectbox("Weights precision", list(PRECISIONS), index=1, key="m_prec")
        m_gpus = c2.text_input("GPUs per replica (tensor parallel; blank = best)", "", key="m_gpus")
        m_in = c3.text_input("Input tokens per request", "202", key="m_in")
        m_out = c3.text_input("Output tokens per request", "179", key="m_out")
        o1, o2, o3 = st.columns(3)
        m_tpd = o1.text_input("Output tokens per day (blank = no fleet)", "1e10", key="m_tpd")
        m_tpot = o2.text_input("Max time per output token, ms (blank = none)", "", key="m_tpot")
        m_ttft = o3.text_input("Max time to first token, ms (blank = none)", "", key="m_ttft")
        st.form_submit_button("Plan serving", type="primary")
    try:
        kw = dict(precision=m_prec, gpus_per_replica=integer("GPUs per replica", m_gpus, True),
                  input_tokens=integer("input tokens", m_in), output_tokens=integer("output tokens", m_out),
                  tokens_per_day=number("tokens per day", m_tpd, True),
                  max_tpot_ms=number("max TPOT", m_tpot, True), max_ttft_ms=number("max TTFT", m_ttft, True))
        sp = planner.serve_model_plan(m_id, m_hw, **kw)
    except ValueError as exc:
        st.error(str(exc))
        return
    cards([("Throughput", f"{sp.throughput_tokens_per_s_per_gpu:,.0f} output tokens/s per GPU",
            f"{sp.bound}-bound, batch {sp.batch} ({sp.batch_limit}), {sp.gpus_per_replica} GPU(s) per replica"),
           ("Latency", f"TTFT {sp.ttft_s * 1e3:,.0f} ms, TPOT {sp.tpot_s * 1e3:,.1f} ms", "no queueing"),
           ("Cost per 1M output tokens", f"{sp.usd_per_million_output_tokens:,.3f} USD",
            f"input {sp.usd_per_million_input_tokens:,.3f} USD; utilisation {sp.utilization:g}"),
           ("GPUs", "-" if sp.gpus_needed is None else f"{sp.gpus_needed:,} GPUs",
            "" if sp.replicas is None else f"{sp.replicas} replicas x {sp.gpus_per_replica} GPUs"),
           ("Memory", f"{sp.memory_per_gpu_gb:,.1f} GB per GPU",
            f"weights {sp.weights_gb:,.1f} GB + KV {sp.kv_bytes_per_token / 1e3:,.1f} kB/token ({sp.kv_precision})")])
    curve = []
    for b in sorted({max(1, int(sp.batch * f)) for f in (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0)}):
        p = planner.serve_model_plan(m_id, m_hw, **{**kw, "max_tpot_ms": None, "max_ttft_ms": None,
                                                    "gpus_per_replica": sp.gpus_per_replica}, batch=b)
        curve.append((b, p.tpot_s * 1e3, p.throughput_tokens_per_s_per_gpu))
    st.plotly_chart(charts.batch_latency_figure(pd.DataFrame(curve, columns=["batch", "tpot_ms", "tps"]), sp.batch),
                    key="serve_model_chart")
    assumptions_table(sp.assumptions)


def serving_params() -> None:
    with st.form("serve_form"):
        c1, c2, c3 = st.columns(3)
        s_params = c1.text_input("Parameters", "70B")
        s_active = c1.text_input("Active parameters (MoE; blank = all)", "")
        s_tpd = c2.text_input("Generated tokens per day", "1e9")
        s_hw = c2.selectbox("Hardware", HARDWARE, index=DEFAULT_HW, key="s_hw")
        s_ctx = c3.text_input("Context per sequence (tokens)", "4096")
        s_util = c3.slider("Target average utilisation (0-1)", 0.05, 1.0, 0.6, 0.05)
        o1, o2, o3 = st.columns(3)
        s_bpp = o1.selectbox("Weights precision", ["bf16 (2 bytes/param)", "int8 (1 byte/param)"], key="s_bpp")
        s_batch = o2.text_input("Batch per replica (blank = as many as fit)", "")
        s_gqa = o3.text_input("Query heads per KV head (grouped-query attention)", "1")
        st.form_submit_button("Size the fleet", type="primary")
    try:
        skw = dict(active_params=number("active parameters", s_active, True),
                   context_tokens=integer("context", s_ctx), bytes_per_param=2.0 if s_bpp.startswith("bf16") else 1.0,
                   batch=integer("batch", s_batch, True), query_heads_per_kv_head=integer("query heads per KV head",
                                                                                         s_gqa))
        sn, tpd = number("parameters", s_params), number("tokens per day", s_tpd)
        sp = planner.serve_plan(sn, tpd, s_hw, utilization=s_util, **skw)
    except ValueError as exc:
        st.error(str(exc))
    else:
        cards([("GPUs", f"{sp.gpus_needed:,} GPUs", f"{sp.replicas} replicas x {sp.gpus_per_replica} GPUs"),
               ("Cost per 1M tokens", f"{sp.usd_per_million_tokens:,.3f} USD", "fleet cost / tokens served"),
               ("Fleet cost", human(sp.fleet_usd_per_day, "USD/day"), f"{sp.price_usd_per_gpu_hour:.2f} USD/GPU-h"),
               ("Throughput", f"{sp.throughput_tokens_per_s_per_gpu:,.0f} tokens/s per GPU", f"{sp.bound}-bound, "
                                                                                             f"batch {sp.batch}"),
               ("Memory", f"{sp.memory_per_gpu_gb:,.1f} GB per GPU", f"weights {sp.weights_gb:,.1f} GB + KV "
                                                                   f"{sp.kv_cache_gb_per_sequence:.2f} GB/sequence"),
               ("CO2", f"{sp.co2_kg_per_day:,.0f} kgCO2/day", human(sp.energy_kwh_per_day, "kWh/day"))])
        curve = []
        for u in [x / 20 for x in range(1, 20)]:
            try:
                p = planner.serve_plan(sn, tpd, s_hw, utilization=u, **skw)
                curve.append((u, p.usd_per_million_tokens, p.gpus_needed))
            except ValueError:
                continue
        if curve:
            df = pd.DataFrame(curve, columns=["util", "usd", "gpus"])
            st.plotly_chart(charts.utilisation_cost_figure(df, s_util), key="serve_chart")
        assumptions_table(sp.assumptions)
