"""Cost planner: training, budget and serving questions as forms; the planner checked against published runs; the
real small Transformer's measured figures on this machine."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import figures, state
from dashboard.figures import human
from ecosystem import planner, reference

st.title("Cost planner")
st.caption("What does a training run or a serving fleet cost in GPU-hours, dollars, energy and CO2? The planner "
           "(`ecosystem/planner.py`, also `python -m ecosystem plan | serve | validate`) turns the compute formulas "
           "into costs with an MFU calibrated on published runs; every default is named in *assumptions*.")

HARDWARE = sorted(reference.hardware_catalog())
DEFAULT_HW = HARDWARE.index("H100-SXM") if "H100-SXM" in HARDWARE else 0
TRAIN_HARDWARE = planner.hardware_ids()  # adds "this-machine": the probe's measured peak and MFU (training only)


class BadInput(ValueError):
    pass


def number(name: str, text: str, optional: bool = False) -> float | None:
    """A number from a text box ('70B', '2e12', '1.4T'); BadInput naming the field otherwise."""
    if optional and not str(text).strip():
        return None
    try:
        return planner.parse_quantity(text)
    except ValueError as exc:
        raise BadInput(f"{name}: {exc}") from None


def integer(name: str, text: str, optional: bool = False) -> int | None:
    value = number(name, text, optional)
    if value is None:
        return None
    if value != int(value):
        raise BadInput(f"{name}: {text!r} is not a whole number; allowed: a whole number such as 1024")
    return int(value)


def assumptions_table(assumptions: dict) -> None:
    st.subheader("Assumptions")
    st.markdown("\n".join(f"- **{k}**: {v}" for k, v in assumptions.items()))


def show_chart(fig: go.Figure, key: str, title: str, **layout) -> None:
    """A planner chart with the page's common size and margins."""
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), title=title, **layout)
    st.plotly_chart(fig, key=key)


def cards(items: list[tuple[str, str, str]]) -> None:
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items):
        col.metric(label, value, help=help_text, border=True)


tab_train, tab_budget, tab_serve, tab_valid, tab_probe = st.tabs(
    ["Training run", "Budget → model", "Serving", "Checked against published runs", "Measured on this machine"],
    key="plan_tab", on_change="rerun")  # lazy: only the open tab runs

# ---- training -------------------------------------------------------------------------------------------------------


def draw_train() -> None:
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
            df = pd.DataFrame(rows).sort_values("cost_usd")
            fig = go.Figure(go.Bar(x=df["hardware"], y=df["cost_usd"],
                                   marker_color=["#e8684a" if h == t_hw else "#5b8ff9" for h in df["hardware"]],
                                   customdata=[[human(r.cost_usd, "USD"), human(r.gpu_hours, "GPU-h"), r.price,
                                                f"{r.days:,.0f} days" if r.days else "-", human(r.co2_t, "tCO2")]
                                               for r in df.itertuples()],
                                   text=[human(v, "USD") for v in df["cost_usd"]], textposition="outside",
                                   hovertemplate="%{x}: %{customdata[0]}<br>%{customdata[1]} at %{customdata[2]:.2f} "
                                                 "USD/GPU-h<br>%{customdata[3]} on the GPUs given<br>"
                                                 "%{customdata[4]}<extra></extra>"))
            fig.update_yaxes(title_text="cost of the run (USD)")
            fig.update_xaxes(title_text="accelerator (highlighted: the one chosen)")
            show_chart(fig, "train_hw_chart", "The same run on every accelerator in data/reference/hardware.csv, "
                                              "at its default rental price")
        assumptions_table(plan.assumptions)

# ---- budget -------------------------------------------------------------------------------------------------------


def draw_budget() -> None:
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
            fig = go.Figure()
            fig.add_trace(go.Scatter(x=df["budget_usd"], y=df["params"], name="parameters", mode="lines+markers",
                                     hovertemplate="%{x:.3s} USD → %{y:.3s} parameters<extra></extra>"))
            fig.add_trace(go.Scatter(x=df["budget_usd"], y=df["tokens"], name="training tokens", mode="lines+markers",
                                     hovertemplate="%{x:.3s} USD → %{y:.3s} tokens<extra></extra>"))
            fig.add_vline(x=budget, line_dash="dot", line_color="#8c8c8c", annotation_text="your budget")
            fig.update_xaxes(type="log", title_text="budget (USD, log scale)")
            fig.update_yaxes(type="log", title_text="parameters or tokens (count, log scale)")
            show_chart(fig, "budget_chart", "How the compute-optimal model grows with the budget",
                       legend=dict(orientation="h", y=1.1))
        assumptions_table(bp.assumptions)

# ---- serving ------------------------------------------------------------------------------------------------------


def draw_serve() -> None:
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
            fig = go.Figure(go.Scatter(x=df["util"], y=df["usd"], mode="lines+markers", line_shape="hv",
                                       customdata=df["gpus"],
                                       hovertemplate="utilisation %{x:.2f}: %{y:.3f} USD per 1M tokens "
                                                     "(%{customdata} GPUs)<extra></extra>"))
            fig.add_vline(x=s_util, line_dash="dot", line_color="#8c8c8c", annotation_text="your target")
            fig.update_xaxes(title_text="target average utilisation of the fleet (0-1)")
            fig.update_yaxes(title_text="cost (USD per 1M generated tokens)", rangemode="tozero")
            show_chart(fig, "serve_chart", "Idle GPUs cost money: the price per token against the utilisation target")
        assumptions_table(sp.assumptions)

# ---- validation -----------------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _validation() -> dict:
    from ecosystem.calibration import validation_report

    return validation_report()


def draw_validation() -> None:
    try:
        report = _validation()
    except Exception as exc:  # the calibration file may be missing in a partial checkout
        st.error(f"The validation could not run: {type(exc).__name__}: {exc}")
    else:
        rows = pd.DataFrame(report["rows"])
        which = st.radio("Quantity", ["GPU-hours", "training FLOPs"], horizontal=True, key="val_q")
        st.plotly_chart(figures.validation_figure(rows, "gpu_hours" if which == "GPU-hours" else "flops"),
                        key="val_chart")

        def pct(log10_err: float | None) -> str:
            return "n/a" if log10_err is None else f"{10 ** log10_err - 1:.0%}"

        cards([("GPU-hours, typical error", pct(report["gpu_hours_median_abs_log10_error"]),
                f"median |log10(pred/published)| = {report['gpu_hours_median_abs_log10_error']:.3f} over "
                f"{report['gpu_hours_rows']} runs, MFU method {report['method']!r}"),
               ("GPU-hours, held out", pct(report["held_out_gpu_hours_median_abs_log10_error"]),
                "each run predicted by a calibration fitted without it (leave-one-out)"),
               ("Worst held-out run", f"{report['held_out_gpu_hours_max_ratio']:.2f}x off", "max(ratio, 1/ratio)"),
               ("FLOPs within 10%", f"{report['flops_rows_within_10_percent']} of {report['flops_rows']} runs",
                f"median error {pct(report['flops_median_abs_log10_error'])}")])
        st.caption(report.get("validation", ""))
        show = rows[["model", "hardware_id", "params_active", "tokens", "predicted_train_flops",
                     "reported_train_flops", "flops_ratio", "predicted_gpu_hours", "reported_gpu_hours",
                     "gpu_hours_ratio", "held_out_gpu_hours_ratio", "default_mfu", "implied_mfu"]]
        fmt = {c: ("scientific" if "flops" in c and "ratio" not in c else "%.3f" if "ratio" in c or "mfu" in c
                   else "compact") for c in show.columns if c not in ("model", "hardware_id")}
        st.dataframe(show, hide_index=True,
                     column_config={c: st.column_config.NumberColumn(c.replace("_", " "), format=f)
                                    for c, f in fmt.items()})
        notes = rows.loc[rows["flops_accounting"] != "model FLOPs (6ND + attention)", ["model", "flops_accounting"]]
        for r in notes.itertuples():
            st.caption(f"**{r.model}**: reported FLOPs are {r.flops_accounting}.")

# ---- probe ----------------------------------------------------------------------------------------------------------


def draw_probe() -> None:
    try:
        prof = state.probe_profile()
    except (ImportError, FileNotFoundError, ValueError) as exc:
        st.info(f"No probe profile yet: {exc}. Measure this machine with `python -m ecosystem probe --out "
                "data/profiles/probe_cpu.json` (about a minute with --quick).")
    else:
        mach = prof.get("machine", {})
        st.caption(f"Measured by `python -m ecosystem probe` ({prof.get('mode')} mode) on {mach.get('cpu_model')} "
                   f"({mach.get('cpu_count')} cores, {mach.get('torch_threads')} torch threads, torch "
                   f"{mach.get('torch_version')}). Dense matmul peak: "
                   f"**{prof['gemm_peak_flops_per_s'] / 1e9:,.1f} GFLOP/s** ({prof['gemm_peak'].get('dtype')}). "
                   "Timings on a shared machine vary with other load.")
        sizes = pd.DataFrame(prof["sizes"])
        labels = [f"{r.name} ({human(r.n_params, 'params')})" for r in sizes.itertuples()]
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Training FLOPs per token: counted by PyTorch vs the formula 6N + 12 L T d**")
            st.plotly_chart(figures.paired_bars_figure(
                labels, sizes["train_flops_per_token_counted"].tolist(),
                sizes["train_flops_per_token_analytic"].tolist(), "FLOPs per token (log scale)",
                "counted (FlopCounterMode)", "formula", log=True), key="probe_flops")
            st.caption("Ratios counted/formula: " + ", ".join(f"{r.name} {r.train_flops_ratio:.4f}"
                                                               for r in sizes.itertuples()))
        with c2:
            st.markdown("**Peak training memory: measured vs weights + grads + AdamW + activations**")
            st.plotly_chart(figures.paired_bars_figure(
                labels, sizes["peak_memory_bytes_measured"].tolist(), sizes["peak_memory_bytes_analytic"].tolist(),
                "bytes", "measured", "formula"), key="probe_mem")
            st.caption("Ratios measured/formula: " + ", ".join(f"{r.name} {r.memory_ratio:.2f}"
                                                               for r in sizes.itertuples()))
        st.plotly_chart(figures.bar_figure(labels, (100 * sizes["mfu"]).tolist(), "% of measured matmul peak",
                                           "Model FLOPs utilisation of training (MFU)"), key="probe_mfu")
        kv, q = prof.get("kv_cache"), prof.get("quantization")
        c1, c2 = st.columns(2)
        if kv:
            with c1:
                st.markdown(f"**KV cache** ({kv['n_layer']} layers, d_model {kv['d_model']}, {kv['new_tokens']} new "
                            f"tokens after a {kv['prompt_tokens']}-token prompt)")
                st.plotly_chart(figures.bar_figure(["without cache", "with cache"],
                                                   [kv["decode_tokens_per_s_uncached"],
                                                    kv["decode_tokens_per_s_cached"]],
                                                   "tokens per second (decode)",
                                                   f"Decoding {kv['speedup']:.1f}x faster with the cache"),
                                key="probe_kv")
                st.caption(f"Cache size {kv['bytes_measured']:,.0f} bytes measured vs {kv['bytes_analytic']:,.0f} "
                           "bytes from 2 x layers x context x d_model x bytes x batch "
                           f"(ratio {kv['bytes_ratio']:.3f}); "
                           f"greedy tokens identical with and without the cache: {kv['identical_greedy_tokens']}.")
        if q:
            with c2:
                st.markdown(f"**int8 quantisation** of every Linear layer ({human(q['n_params'], 'params')})")
                st.plotly_chart(figures.paired_bars_figure(["weights size"], [q["bytes_int8"]], [q["bytes_fp32"]],
                                                           "bytes", "int8", "fp32"), key="probe_quant")
                st.caption(f"Size x{q['size_ratio']:.2f}, speed x{q['int8_speedup']:.2f} on this CPU "
                           f"({q['engine']}), held-out loss {q['loss_fp32_nats']:.4f} → {q['loss_int8_nats']:.4f} "
                           f"nats/token ({q['loss_delta']:+.4f}).")
        with st.expander("All measured sizes as a table"):
            st.dataframe(sizes.drop(columns=[c for c in sizes.columns if isinstance(sizes[c].iloc[0], dict)]),
                         hide_index=True)


for tab, draw in ((tab_train, draw_train), (tab_budget, draw_budget), (tab_serve, draw_serve),
                  (tab_valid, draw_validation), (tab_probe, draw_probe)):
    if tab.open:
        with tab:
            draw()
