"""The sweep builder: a sweep of the scenario in front of the analyst (Explore's levers), written as a sweep spec
(``sim.experiments.spec``; downloadable) and run in the background like the bundled ones
(``dashboard.components.sweeps``), into ``runs/builder/<name>``, where the sweep browser finds it.

Pick 1 to 3 levers, a range for each (and its levels on a grid), a design (grid, Latin hypercube, Sobol') and the
replicates per design point. A preset travels in the spec by name with the lever changes as overrides (the spec
reruns anywhere); an uploaded scenario travels as a YAML file next to the spec.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st
import yaml

from dashboard.components import levers, links, sweeps
from sim.experiments.spec import SweepSpec, SweepSpecError, spec_from_yaml
from sim.scenario import ScenarioError

BUILDER_DIR = sweeps.RUNS_DIR / "builder"
SOBOL_MIN_SAMPLES = 128  # below this base sample Sobol' indices swing from one sample to the next
OUTCOMES = [("tokens_served", "final"), ("app_users", "final"), ("gpu_price_usd_per_hour", "final"),
            ("api_price_usd_per_mtok", "final"), ("end_user_spend_usd", "sum"), ("co2_t", "sum"),
            ("hhi_api", "final"), ("deployed_bias", "final")]
SERIES = ["tokens_served", "app_users", "gpu_price_usd_per_hour", "api_price_usd_per_mtok"]


def spec_dict(name: str, source: str, base_overrides: dict[str, Any], seed: int, parameters: dict[str, dict],
              design: str, samples: int | None, replicates: int, months: int | None,
              scenario_file: str | None = None) -> dict:
    """The sweep spec as plain data (what is written to YAML)."""
    base: dict[str, Any] = {"scenario": scenario_file or source}
    if base_overrides and scenario_file is None:
        base["overrides"] = base_overrides
    spec: dict[str, Any] = {
        "name": name,
        "description": f"built on the dashboard from {source}" + (
            " with " + ", ".join(f"{k}={v}" for k, v in base_overrides.items() if k != "shocks")
            if base_overrides else "") + ("; with its GPU price shocks" if "shocks" in base_overrides else ""),
        "base": base, "design": design, "parameters": parameters, "replicates": int(replicates), "seed": int(seed),
        "outcomes": [{"metric": m, "reduce": r} for m, r in OUTCOMES],
        "options": {"series": SERIES, **({"months": int(months)} if months else {})},
    }
    if design != "grid":
        spec["samples"] = int(samples)
    return spec


def sobol_warning(spec: SweepSpec) -> str | None:
    if spec.design == "sobol" and (spec.samples or 0) < SOBOL_MIN_SAMPLES:
        return (f"Sobol' base sample {spec.samples} is small: with fewer than {SOBOL_MIN_SAMPLES} the indices and "
                "their ranking change from one sample to the next (look at the 95% intervals before reading them).")
    return None


def _parameter_inputs(chosen: list[str], design: str) -> dict[str, dict]:
    params = {}
    for name in chosen:
        lv = levers.LEVERS[name]
        c1, c2, c3 = st.columns(3)
        lo = c1.number_input(f"{lv.label}: low", float(lv.lo), float(lv.hi), float(lv.lo), key=f"sb_lo_{name}")
        hi = c2.number_input(f"{lv.label}: high", float(lv.lo), float(lv.hi), float(lv.hi), key=f"sb_hi_{name}")
        entry: dict[str, Any] = {"low": float(lo), "high": float(hi)}
        if design == "grid":
            entry["levels"] = int(c3.number_input("levels", 2, 20, 3, key=f"sb_levels_{name}"))
        params[levers.SWEEPABLE[name]] = entry
    return params


def builder() -> None:
    """The builder's form, the spec it writes (download), and Run."""
    try:
        source, base, scenario, values = levers.current()
    except ScenarioError as exc:  # the levers do not make a scenario: Explore shows why
        st.info(f"The current levers do not make a valid scenario ({exc}); fix them on Explore first.")
        return
    st.caption(f"Sweeps the scenario of the Explore page: **{source}**"
               + "".join(f", {k}={v}" for k, v in levers.changed(values, levers.values_from_scenario(base)).items()))
    chosen = st.multiselect("Levers to vary (1 to 3)", list(levers.SWEEPABLE), max_selections=3, key="sb_levers",
                            format_func=lambda n: levers.LEVERS[n].label)
    c1, c2, c3, c4 = st.columns(4)
    design = c1.radio("Design", ["grid", "lhs", "sobol"], horizontal=True, key="sb_design",
                      help="grid: every combination of the levels; lhs: Latin hypercube of N points; sobol: "
                           "Saltelli sample of N x (levers + 2) points, for Sobol' indices")
    samples = None
    if design == "lhs":
        samples = int(c2.number_input("Design points N", 2, 2000, 20, key="sb_samples"))
    elif design == "sobol":
        samples = int(c2.selectbox("Base sample N (power of two)", [16, 32, 64, 128, 256, 512], index=3,
                                   key="sb_sobol_n"))
    reps = int(c3.number_input("Replicates per point", 1, 50, 3, key="sb_reps"))
    months = int(c4.number_input("Months", 1, 240, int(scenario.horizon_months), key="sb_months"))
    if not chosen:
        st.info("Pick at least one lever to vary.")
        return
    params = _parameter_inputs(chosen, design)
    name = "builder_" + links.export_stem(scenario.name, scenario.seed)[:80] + "_" + "-".join(chosen) + f"_{design}"
    scenario_file = None
    if source.startswith(levers.UPLOAD_PREFIX):
        scenario_file = f"{name}.scenario.yaml"
    data = spec_dict(name, source, levers.overrides(base, values), scenario.seed, params, design, samples, reps,
                     months if months != scenario.horizon_months else None, scenario_file)
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        spec = spec_from_yaml(text) if scenario_file is None else None
    except SweepSpecError as exc:
        st.error("This sweep is not valid:\n\n" + "\n".join(f"- {p}" for p in exc.problems))
        return
    if spec is not None:
        st.caption(f"{spec.design} design: {spec.n_points} points x {spec.replicates} replicates = "
                   f"**{spec.n_runs} runs** of {months} months.")
        warning = sobol_warning(spec)
        if warning:
            st.warning(warning)
    d1, d2 = st.columns(2)
    d1.download_button("Sweep spec (YAML)", data=text, file_name=f"{name}.yaml", mime="application/x-yaml",
                       on_click="ignore", icon=":material/description:", key="sb_download")
    if d2.button("Run this sweep", icon=":material/play_arrow:", type="primary", key="sb_run"):
        BUILDER_DIR.mkdir(parents=True, exist_ok=True)
        spec_path = BUILDER_DIR / f"{name}.yaml"
        if scenario_file is not None:
            (BUILDER_DIR / scenario_file).write_text(scenario.to_yaml())
        spec_path.write_text(text)
        job = sweeps.start(str(spec_path), max(1, (os.cpu_count() or 1) - 1), out_dir=BUILDER_DIR / name)
        with st.spinner("Starting the sweep…"):
            sweeps.wait_for_store(job)
        st.session_state["sw_store"] = str(BUILDER_DIR / name)
        st.rerun()
