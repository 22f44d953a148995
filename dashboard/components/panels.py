"""Page pieces more than one page draws: lazy tabs (only the open tab runs) and the concentration panel."""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from dashboard.charts import concentration as concentration_charts


def lazy_tabs(draws: dict[str, Callable[[], None]], key: str) -> None:
    """One tab per entry; tabs run lazily (``on_change="rerun"``): only the open tab's function runs, so only its
    figures are built and sent to the browser. The open tab is in the URL (``?<key>=<label>``), so a copied link
    opens the same tab."""
    tabs = st.tabs(list(draws), key=key, on_change="rerun", bind="query-params")
    for tab, draw in zip(tabs, draws.values()):
        if tab.open:
            with tab:
                draw()


def concentration(metrics: pd.DataFrame, key: str, template: str) -> None:
    """The HHI chart of every stage, with ``template``'s caption filled with each stage's HHI at the horizon."""
    st.plotly_chart(concentration_charts.hhi_figure(metrics), key=key)
    st.caption(concentration_charts.hhi_caption(metrics, template))
