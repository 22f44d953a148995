"""The Classroom's walk through the months: a month stepper with jumps to the milestones, the month's story stage
by stage beside the money network, and where the month sits in the whole run."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import flows, timeseries
from dashboard.charts.format import METRIC_UNITS, axis_title, human
from dashboard.components import narrative
from dashboard.components.state import RunView


def _step(delta: int, horizon: int) -> None:
    st.session_state["cls_month"] = int(min(max(st.session_state["cls_month"] + delta, 1), horizon))


def _jump(target: int) -> None:
    st.session_state["cls_month"] = int(target)


def milestones(view: RunView) -> dict[str, int]:
    """Name -> month of the run's firsts (training run, model, API, app), shocks, open weights, and the horizon."""
    m, ev = view.metrics, view.events
    hits = {"first training run": ev.loc[ev["kind"] == "run_started", "step"],
            "first model": m.loc[m["models_available"] > 0, "step"],
            "first API": m.loc[m["providers_live"] > 0, "step"],
            "first app": m.loc[m["apps_live"] > 0, "step"],
            "shock": ev.loc[ev["kind"] == "shock", "step"],
            "open weights": ev.loc[ev["kind"] == "open_weights_release", "step"]}
    out = {name: int(hit.iloc[0]) for name, hit in hits.items() if len(hit)}
    out["the horizon"] = int(m["step"].max())
    return out


def stepper(view: RunView) -> int:
    """Previous / slider / next, and a button per milestone; the chosen month (starts at the first model)."""
    m = view.metrics
    horizon = int(m["step"].max())
    from_link = "cls_month" in st.query_params and "cls_month" not in st.session_state
    if not from_link and ("cls_month" not in st.session_state or not 1 <= st.session_state["cls_month"] <= horizon):
        first_model = m.loc[m["models_available"] > 0, "step"]
        st.session_state["cls_month"] = int(first_model.iloc[0]) if len(first_model) else 1
    c_prev, c_slider, c_next = st.columns([1.4, 6, 1.4], vertical_alignment="bottom")
    c_prev.button("◀ previous", on_click=_step, args=(-1, horizon), key="cls_prev", width="stretch")
    month = c_slider.slider("Month", 1, horizon, key="cls_month", bind="query-params")
    c_next.button("next month ▶", on_click=_step, args=(1, horizon), key="cls_next", width="stretch")
    marks = milestones(view)
    jump_cols = st.columns(len(marks))
    for col, (name, target) in zip(jump_cols, sorted(marks.items(), key=lambda kv: kv[1])):
        col.button(f"{name} (month {target})", on_click=_jump, args=(target,), key=f"cls_jump_{name}",
                   type="tertiary")
    return month


def month_story(view: RunView, month: int) -> None:
    """The month's headline, one paragraph per stage, the money network and three figures of the month."""
    m = view.metrics
    headline, stories = narrative.month_story(m, view.events, view.scenario, month)
    st.subheader(headline)
    left, right = st.columns([5, 4])
    with left:
        for i, (stage, text) in enumerate(stories, start=1):
            st.markdown(f"**{i}. {stage}.** {text}")
    with right:
        st.plotly_chart(flows.network_figure(view.flows_by_type, month), key="cls_network")
        row = m.set_index("step").loc[month]
        k1, k2, k3 = st.columns(3)
        k1.metric("End users", human(row["app_users"], "users"))
        k2.metric("Tokens served", human(row["tokens_served"], "tokens"))
        k3.metric("GPU price", f"{row['gpu_price_usd_per_hour']:.2f} USD/h")


def in_the_run(view: RunView, month: int) -> None:
    """Chosen metrics over the whole run with the month marked."""
    where = st.multiselect("Where this month sits in the whole run", [c for c in METRIC_UNITS],
                           default=["app_users", "gpu_price_usd_per_hour"], format_func=axis_title,
                           key="cls_series")
    fig = timeseries.timeseries_figure(view.metrics, where)
    fig.add_vline(x=month, line_dash="dot", line_color="#e8684a")
    fig.update_layout(height=130 + 170 * max(1, len(where)))
    st.plotly_chart(fig, key="cls_series_chart")
