"""The Cost planner's shared pieces: the hardware lists, numbers read from text boxes ('70B', '2e12') with errors
that name the field, the result cards, and the assumptions list."""

from __future__ import annotations

import streamlit as st

from ecosystem import planner, reference

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



def cards(items: list[tuple[str, str, str]]) -> None:
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items):
        col.metric(label, value, help=help_text, border=True)
