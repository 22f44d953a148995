"""The Ethics page's tabs, one function each: labour, energy and carbon, concentration, bias and audits (the live
bias-audit experiment is ``dashboard.components.audit_panel``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import ethics as charts
from dashboard.charts.format import human
from dashboard.components import panels
from dashboard.components.state import RunView


def labour(view: RunView) -> None:
    sc, m = view.scenario, view.metrics
    regions = pd.DataFrame([r.model_dump() for r in sc.labellers.regions])
    floor = sc.policy.wage_floor_usd_per_hour
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Pay by region against the living wage**")
        st.plotly_chart(charts.region_wage_figure(regions, floor), key="eth_regions")
    with c2:
        st.markdown("**Pay of the labelling work done each month**")
        mean_living = float((regions["share"] * regions["living_wage_usd_per_hour"]).sum())
        st.plotly_chart(charts.wage_figure(m, {"vendor-weighted mean": mean_living}, floor), key="eth_wage")
    st.markdown("**How much of end users' money reaches labelling**")
    st.plotly_chart(charts.share_of_value_figure(m), key="eth_share")
    st.caption("Label purchases are a tiny share of what end users pay for AI apps; the workers' wages are a "
               "smaller share still (the vendors keep a margin). Bars: that month; lines: cumulative.")
    regions["pay_usd_per_hour"] = regions["wage_usd_per_hour"].clip(lower=floor or 0.0)
    regions["gap_to_living_wage_usd_per_hour"] = regions["pay_usd_per_hour"] - regions["living_wage_usd_per_hour"]
    st.dataframe(regions[["name", "share", "pay_usd_per_hour", "living_wage_usd_per_hour",
                          "gap_to_living_wage_usd_per_hour", "labels_per_hour", "accuracy", "bias"]],
                 hide_index=True, column_config={"share": st.column_config.NumberColumn("share of vendors",
                                                                                      format="%.2f")})


def energy(view: RunView) -> None:
    sc, m = view.scenario, view.metrics
    months = m[m["step"] >= 1]
    st.plotly_chart(charts.energy_figure(m), key="eth_energy")
    tax = float(months["carbon_tax_usd"].sum())
    st.caption(f"Over the run: {human(months['energy_kwh'].sum(), 'kWh')} of electricity, "
               f"{human(months['co2_t'].sum(), 'tCO2')} at the clouds' grid intensity "
               f"({sc.clouds.grid_gco2_per_kwh:g} gCO2/kWh, PUE {sc.clouds.pue:g}); carbon tax paid "
               f"{human(tax, 'USD')} at {sc.policy.carbon_price_usd_per_tco2:g} USD/tCO2.")


def concentration(view: RunView) -> None:
    panels.concentration(view.metrics, "eth_hhi",
                         "Concentration at the horizon (HHI 0-10,000): training {training}, API serving {api}, cloud "
                         "GPUs {cloud}. A concentrated stage can set prices and its failures (or biases) reach every "
                         "user downstream.")


def bias(view: RunView, ref_view: RunView | None) -> None:
    audit = view.scenario.policy.bias_audit
    st.plotly_chart(charts.bias_figure(view.metrics, audit.threshold if audit.enabled else None,
                                       ref_view.metrics if ref_view is not None else None), key="eth_bias")
    if audit.enabled:
        consequence = "blocked" if audit.action == "block" else f"fined {human(audit.fine_usd, 'USD')}"
        law = (f"A bias-audit law is in force from month {audit.start_month}: models above {audit.threshold:.2f} "
               f"are {consequence}.")
    else:
        law = "No bias-audit law in this scenario: switch it on in the sidebar."
    st.caption("Deployed bias is the token-weighted demographic-parity gap of the models that served tokens: the "
               "bias labellers put into the labels travels into the models trained on them (see the experiment "
               "tab). " + law)
    audits = view.events[view.events["kind"].str.startswith("audit")]
    if len(audits):
        st.dataframe(audits, hide_index=True, height=220)


def audit_experiment() -> None:
    from dashboard.components import audit_panel  # trains a model: imported only when the tab opens

    audit_panel.render()
