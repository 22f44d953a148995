"""The Cost planner checked against published training runs: predicted against published GPU-hours and FLOPs
(``ecosystem.calibration.validation_report``), the typical and held-out errors, and the table of runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import planner as charts
from dashboard.plan.inputs import cards


@st.cache_data(show_spinner=False)
def _validation() -> dict:
    from ecosystem.planner import validation_report

    return validation_report()


def published_runs() -> None:
    try:
        report = _validation()
    except Exception as exc:  # the calibration file may be missing in a partial checkout
        st.error(f"The validation could not run: {type(exc).__name__}: {exc}")
    else:
        rows = pd.DataFrame(report["rows"])
        which = st.radio("Quantity", ["GPU-hours", "training FLOPs"], horizontal=True, key="val_q")
        st.plotly_chart(charts.validation_figure(rows, "gpu_hours" if which == "GPU-hours" else "flops"),
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
