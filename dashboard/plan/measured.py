"""The Cost planner's figures measured on this machine by the probe: FLOPs and memory against the formulas, training
MFU, the KV cache's speed-up, and int8 quantisation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import planner as charts
from dashboard.charts.format import human
from dashboard.components import state


def this_machine() -> None:
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
            st.plotly_chart(charts.paired_bars_figure(
                labels, sizes["train_flops_per_token_counted"].tolist(),
                sizes["train_flops_per_token_analytic"].tolist(), "FLOPs per token (log scale)",
                "counted (FlopCounterMode)", "formula", log=True), key="probe_flops")
            st.caption("Ratios counted/formula: " + ", ".join(f"{r.name} {r.train_flops_ratio:.4f}"
                                                               for r in sizes.itertuples()))
        with c2:
            st.markdown("**Peak training memory: measured vs weights + grads + AdamW + activations**")
            st.plotly_chart(charts.paired_bars_figure(
                labels, sizes["peak_memory_bytes_measured"].tolist(), sizes["peak_memory_bytes_analytic"].tolist(),
                "bytes", "measured", "formula"), key="probe_mem")
            st.caption("Ratios measured/formula: " + ", ".join(f"{r.name} {r.memory_ratio:.2f}"
                                                               for r in sizes.itertuples()))
        st.plotly_chart(charts.bar_figure(labels, (100 * sizes["mfu"]).tolist(), "% of measured matmul peak",
                                           "Model FLOPs utilisation of training (MFU)"), key="probe_mfu")
        kv, q = prof.get("kv_cache"), prof.get("quantization")
        c1, c2 = st.columns(2)
        if kv:
            with c1:
                st.markdown(f"**KV cache** ({kv['n_layer']} layers, d_model {kv['d_model']}, {kv['new_tokens']} new "
                            f"tokens after a {kv['prompt_tokens']}-token prompt)")
                st.plotly_chart(charts.bar_figure(["without cache", "with cache"],
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
                st.plotly_chart(charts.paired_bars_figure(["weights size"], [q["bytes_int8"]], [q["bytes_fp32"]],
                                                           "bytes", "int8", "fp32"), key="probe_quant")
                st.caption(f"Size x{q['size_ratio']:.2f}, speed x{q['int8_speedup']:.2f} on this CPU "
                           f"({q['engine']}), held-out loss {q['loss_fp32_nats']:.4f} → {q['loss_int8_nats']:.4f} "
                           f"nats/token ({q['loss_delta']:+.4f}).")
        with st.expander("All measured sizes as a table"):
            st.dataframe(sizes.drop(columns=[c for c in sizes.columns if isinstance(sizes[c].iloc[0], dict)]),
                         hide_index=True)


