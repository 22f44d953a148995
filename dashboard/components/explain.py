"""What the Overview says beyond the run's story: the plausibility banners (``sim.diagnostics.checks``, over every
seed, with the month and the figure) and, against the reference, why each headline price changed
(``sim.diagnostics.prices``: which part moved most, in one sentence with the figures)."""

from __future__ import annotations

import streamlit as st

from dashboard.components.replicates import Replicates
from sim.diagnostics import prices
from sim.diagnostics.checks import Finding
from sim.experiments.replicates import paired_test


def findings(reps: Replicates) -> list[tuple[Finding, int]]:
    """Each kind of finding once (from the first seed that has it) with the number of seeds that have it."""
    seen: dict[str, tuple[Finding, int]] = {}
    for v in reps.views:
        for f in v.findings:
            first, count = seen.get(f.kind, (f, 0))
            seen[f.kind] = (first, count + 1)
    return list(seen.values())


def collapse_text(reps: Replicates) -> str | None:
    """The chain-collapse banner (the run's ``no_gpu_supply`` event: every cloud exited), or None: the earliest
    month over the seeds and how many seeds collapsed."""
    months = [int(e.loc[e["kind"] == "no_gpu_supply", "step"].min()) for e in (v.events for v in reps.views)
              if (e["kind"] == "no_gpu_supply").any()]
    if not months:
        return None
    where = f" in {len(months)} of {reps.n} seeds (the earliest from month {min(months)})" if reps.n > 1 else \
        f" from month {months[0]}"
    return (f"**The chain collapsed:** every cloud exited{where}: no GPU-hours to rent, so no model is trained and "
            "no token served from then on; the run went on to its horizon (GPU prices read 0, API prices n/a).")


def banners(reps: Replicates) -> None:
    collapsed = collapse_text(reps)
    if collapsed:
        st.error(collapsed, icon=":material/warning:")
    for f, count in findings(reps):
        where = f" (in {count} of {reps.n} seeds)" if reps.n > 1 else ""
        st.warning(f"**Check the model here:** {f.message}{where}", icon=":material/report:")


def why_sentences(reps: Replicates, ref: Replicates) -> list[str]:
    """The API price (at the horizon), the GPU price (at the horizon) and the label price (over the run) against
    the reference, each in one sentence naming the part that moved most."""
    a, b = [v.price_parts for v in reps.views], [v.price_parts for v in ref.views]
    horizon = int(reps.first.metrics["step"].max())
    month = f"month {horizon}"
    api = prices.compare_api_price(a, b, [horizon])
    gpu = prices.compare_gpu_price(a, b, [horizon])
    label = prices.compare_label_price(a, b, range(1, horizon + 1))
    test = paired_test([float(m["api_price_usd_per_mtok"].iloc[-1]) for m in reps.metrics],
                       [float(m["api_price_usd_per_mtok"].iloc[-1]) for m in ref.metrics])
    verdict = "" if test.n_pairs < 2 else (
        f" The change of the API price is {'a finding' if test.finding else 'within run-to-run variation'} "
        f"(Wilcoxon signed-rank on {test.n_pairs} paired seeds, p = {test.p_value:.2g}).")
    return [prices.api_sentence(api, month) + verdict,
            prices.simple_sentence(gpu, f"GPU price at {month}", "USD per GPU-hour", month),
            prices.simple_sentence(label, "label price over the run", "USD per label", "the run", 4)]


def why(reps: Replicates, ref: Replicates | None) -> None:
    if ref is None:
        return
    lines = why_sentences(reps, ref)
    st.markdown("**Why the prices changed** (means of the same "
                f"{reps.n} seeds in both scenarios; the parts add up to the price paid):\n\n"
                + "\n".join(f"- {line}" for line in lines))
