"""KPI cards over replicates: each card's median over the seeds with the middle 50% (on the card) and 90% (in its
help) of seeds, and its change against the reference scenario on the same seeds, coloured only when a paired test
says the seeds differ (``sim.experiments.replicates.paired_test``); otherwise greyed "within run-to-run variation"."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components.kpis import Kpi, format_value, kpis
from sim.experiments.replicates import PairedTest, Spread, paired_test


@dataclass(frozen=True)
class BandCard:
    kpi: Kpi  # the card's definition, with the median as its value
    spread: Spread
    values: tuple[float, ...]  # one per seed, in seed order

    @property
    def text(self) -> str:
        median = format_value(self.kpi.key, self.spread.median)
        if self.spread.n < 2 or not math.isfinite(self.spread.q25) or self.spread.q25 == self.spread.q75:
            return median
        return f"{median} · 50%: {_short(self.spread.q25)}–{_short(self.spread.q75)}"

    @property
    def help(self) -> str:
        s = self.spread
        if s.n < 2:
            return self.kpi.help + " (one seed)"
        return (f"{self.kpi.help}. Median of {s.n} seeds; 50% of seeds between {_short(s.q25)} and {_short(s.q75)}, "
                f"90% between {_short(s.q05)} and {_short(s.q95)} ({self.kpi.unit}).")

    def compare(self, reference: BandCard | None) -> tuple[str | None, PairedTest | None]:
        """The delta text (median change, then the test) and the test, or (None, None) without a reference."""
        if reference is None:
            return None, None
        test = paired_test(list(self.values), list(reference.values))
        base = self.kpi.delta(reference.kpi)
        if base is None:
            return None, test
        if base.startswith("no change"):
            return base, test
        if test.n_pairs < 2:
            return base, test
        verdict = "a finding" if test.finding else "within run-to-run variation"
        return f"{base} · {verdict} (Wilcoxon p = {test.p_value:.2g}, {test.n_pairs} paired seeds)", test

    def metric_args(self, reference: BandCard | None) -> dict:
        text, test = self.compare(reference)
        if text is None:
            return {"delta": None}
        if text.startswith("no change") or (test is not None and test.n_pairs >= 2 and not test.finding):
            return {"delta": text, "delta_color": "off", "delta_arrow": "off" if text.startswith("no change")
                    else "auto"}
        return {"delta": text, "delta_color": self.kpi.delta_color}


def _short(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    a = abs(v)
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suf}"
    return f"{v:.3g}"


def band_cards(metrics: list[pd.DataFrame]) -> list[BandCard]:
    """The ten cards over the seeds' metrics frames (median trend as the sparkline)."""
    per_seed = [kpis(m) for m in metrics]
    out = []
    for i, first in enumerate(per_seed[0]):
        values = tuple(cards[i].value for cards in per_seed)
        spread = Spread.of(values)
        trends = [np.asarray(cards[i].trend, dtype=float) for cards in per_seed if cards[i].trend]
        n = min((len(t) for t in trends), default=0)
        trend = tuple(float(x) for x in np.median(np.vstack([t[-n:] for t in trends]), axis=0)) if n else ()
        kpi = Kpi(first.key, first.label, spread.median, first.unit, format_value(first.key, spread.median),
                  first.better, first.help, first.absolute_delta, trend)
        out.append(BandCard(kpi, spread, values))
    return out


def draw(cards: list[BandCard], reference: list[BandCard] | None) -> None:
    """Two rows of five cards."""
    ref = {c.kpi.key: c for c in reference} if reference else {}
    for row in (cards[:5], cards[5:]):
        cols = st.columns(len(row))
        for col, c in zip(cols, row):
            col.metric(c.kpi.label, c.text, help=c.help, border=True, chart_data=list(c.kpi.trend) or None,
                       chart_type="line", **c.metric_args(ref.get(c.kpi.key)))
