"""Ethics: labellers' pay and share of value, energy and carbon, market concentration, deployed bias and audits for
the chosen scenario; and the bias-audit experiment on a real classifier (labeller bias -> model bias)."""

import pandas as pd
import streamlit as st

from dashboard import figures, kpis, levers, state
from dashboard.figures import human

picked = levers.sidebar()
st.title("Ethics of the chain")

view = ref_view = None
if picked is not None:
    source, base, scenario, values = picked
    try:
        view = state.get_run(scenario, label=f"Simulating {scenario.name}")
        reference = levers.reference_for(base, values)
        ref_view = None if reference.content_key() == scenario.content_key() else \
            state.get_run(reference, label="Simulating the unmodified preset")
    except Exception as exc:
        st.error(f"The simulation could not run these settings: {type(exc).__name__}: {exc}")
if view is None:
    last = state.last_good()
    if last is None:
        st.stop()
    view = last[0]
    st.warning(f"Showing the last good run: {last[1]}")
sc = view.scenario
m = view.metrics
months = m[m["step"] >= 1]
st.caption(f"Scenario **{sc.name}**, seed {view.result.seed}, {len(m) - 1} months. The policy levers in the sidebar "
           "(wage floor, carbon price, bias-audit mandate) apply here and on Explore; deltas compare with the "
           "unmodified scenario at the same seed.")


def _share(frame: pd.DataFrame, num: str) -> float:
    spend = frame["end_user_spend_usd"].sum()
    return float(frame[num].sum() / spend) if spend > 0 else float("nan")


ref_m = ref_view.metrics if ref_view is not None else None
ref_months = ref_m[ref_m["step"] >= 1] if ref_m is not None else None


def _delta(now: float, ref: float | None, unit: str, digits: int = 2, pct_points: bool = False,
           color: str = "normal") -> dict:
    """st.metric delta arguments: the change in (percentage) points, or no arrow when nothing changed."""
    if ref is None or ref != ref:
        return {"delta": None}
    d = now - ref
    if abs(d) < 10 ** -(digits + 2):
        return {"delta": "no change vs preset", "delta_color": "off", "delta_arrow": "off"}
    text = f"{100 * d:+.{digits}f} points vs preset" if pct_points else f"{d:+,.{digits}f} {unit} vs preset"
    return {"delta": text, "delta_color": color}


k = {x.key: x for x in kpis.kpis(m)}
rk = {x.key: x for x in kpis.kpis(ref_m)} if ref_m is not None else {}
min_living = min(r.living_wage_usd_per_hour for r in sc.labellers.regions)
below_now = float(m["labellers_below_living_wage_share"].iloc[-1])
share_now = _share(months, "label_spend_usd")
wages_now = _share(months, "labeller_wages_usd")
c = st.columns(5)
c[0].metric("Labeller pay (run mean)", k["labeller_wage"].text,
            help=f"hours-weighted; the lowest regional living wage is {min_living:.2f} USD/hour", border=True,
            **k["labeller_wage"].metric_args(rk.get("labeller_wage")))
c[1].metric("Vendors below living wage", f"{below_now:.0%} of vendors",
            **_delta(below_now, float(ref_m["labellers_below_living_wage_share"].iloc[-1]) if ref_m is not None
                     else None, "", 0, pct_points=True, color="inverse"), border=True,
            help="share of labelling vendors paying under their region's living wage, at the horizon")
c[2].metric("Labelling's share of user spend", f"{100 * share_now:.4f} %",
            **_delta(share_now, _share(ref_months, "label_spend_usd") if ref_months is not None else None, "", 4,
                     pct_points=True), border=True,
            help=f"label purchases / end-user spend over the run; workers' wages alone: {100 * wages_now:.4f} %")
c[3].metric("CO2 (whole run)", k["co2"].text, help=f"electricity {human(months['energy_kwh'].sum(), 'kWh')}",
            border=True, **k["co2"].metric_args(rk.get("co2")))
fines = float(months["audit_fines_usd"].sum())
c[4].metric("Bias audits", f"{int(m['audits_passed'].iloc[-1])} passed, {int(m['audits_failed'].iloc[-1])} failed",
            help=f"fines paid: {human(fines, 'USD')}; deployed bias at the horizon {k['deployed_bias'].text}",
            border=True)

tab_lab, tab_energy, tab_conc, tab_bias, tab_audit = st.tabs(
    ["Labour", "Energy & carbon", "Concentration", "Bias & audits", "Bias-audit experiment"],
    key="ethics_tab", on_change="rerun")  # lazy: only the open tab runs


def draw_labour() -> None:
    regions = pd.DataFrame([r.model_dump() for r in sc.labellers.regions])
    floor = sc.policy.wage_floor_usd_per_hour
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Pay by region against the living wage**")
        st.plotly_chart(figures.region_wage_figure(regions, floor), key="eth_regions")
    with c2:
        st.markdown("**Pay of the labelling work done each month**")
        mean_living = float((regions["share"] * regions["living_wage_usd_per_hour"]).sum())
        st.plotly_chart(figures.wage_figure(m, {"vendor-weighted mean": mean_living}, floor), key="eth_wage")
    st.markdown("**How much of end users' money reaches labelling**")
    st.plotly_chart(figures.share_of_value_figure(m), key="eth_share")
    st.caption("Label purchases are a tiny share of what end users pay for AI apps; the workers' wages are a "
               "smaller share still (the vendors keep a margin). Bars: that month; lines: cumulative.")
    regions["pay_usd_per_hour"] = regions["wage_usd_per_hour"].clip(lower=floor or 0.0)
    regions["gap_to_living_wage_usd_per_hour"] = regions["pay_usd_per_hour"] - regions["living_wage_usd_per_hour"]
    st.dataframe(regions[["name", "share", "pay_usd_per_hour", "living_wage_usd_per_hour",
                          "gap_to_living_wage_usd_per_hour", "labels_per_hour", "accuracy", "bias"]],
                 hide_index=True, column_config={"share": st.column_config.NumberColumn("share of vendors",
                                                                                      format="%.2f")})


def draw_energy() -> None:
    st.plotly_chart(figures.energy_figure(m), key="eth_energy")
    tax = float(months["carbon_tax_usd"].sum())
    st.caption(f"Over the run: {human(months['energy_kwh'].sum(), 'kWh')} of electricity, "
               f"{human(months['co2_t'].sum(), 'tCO2')} at the clouds' grid intensity "
               f"({sc.clouds.grid_gco2_per_kwh:g} gCO2/kWh, PUE {sc.clouds.pue:g}); carbon tax paid "
               f"{human(tax, 'USD')} at {sc.policy.carbon_price_usd_per_tco2:g} USD/tCO2.")


def draw_concentration() -> None:
    st.plotly_chart(figures.hhi_figure(m), key="eth_hhi")
    st.caption(figures.hhi_caption(m, "Concentration at the horizon (HHI 0-10,000): training {training}, API serving "
                                      "{api}, cloud GPUs {cloud}. A concentrated stage can set prices and its "
                                      "failures (or biases) reach every user downstream."))


def draw_bias() -> None:
    audit = sc.policy.bias_audit
    st.plotly_chart(figures.bias_figure(m, audit.threshold if audit.enabled else None, ref_m), key="eth_bias")
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


def draw_audit() -> None:
    from dashboard import audit_view

    audit_view.render()


for tab, draw in ((tab_lab, draw_labour), (tab_energy, draw_energy), (tab_conc, draw_concentration),
                  (tab_bias, draw_bias), (tab_audit, draw_audit)):
    if tab.open:
        with tab:
            draw()
