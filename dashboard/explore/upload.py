"""Explore's scenario upload: a YAML file checked against the scenario schema; a good one is selected in the sidebar,
a bad one has its problems listed and changes nothing."""

import streamlit as st

from dashboard.components import levers, state


def _on_upload() -> None:
    """file_uploader callback (runs before the script, so it may switch the scenario picker)."""
    file = st.session_state.get("upload_file")
    if file is None:
        return
    name, problems = state.add_upload(file.name, file.getvalue())
    if problems:
        st.session_state["upload_error"] = (file.name, problems)
        return
    st.session_state.pop("upload_error", None)
    st.session_state["w_source"] = levers.UPLOAD_PREFIX + name
    levers._reset_to_source()
    st.session_state["upload_ok"] = name


def upload_box() -> None:
    with st.expander("Load a scenario from a YAML file", expanded=bool(st.session_state.get("upload_error"))):
        st.file_uploader("Scenario YAML (same schema as data/scenarios/*.yaml)", type=["yaml", "yml"],
                         key="upload_file", on_change=_on_upload)
        err = st.session_state.get("upload_error")
        if err:
            st.error(f"**{err[0]}** is not a valid scenario; nothing else changed. Problems:\n\n"
                     + "\n".join(f"- `{p}`" for p in err[1]))
        elif st.session_state.get("upload_ok"):
            st.success(f"Loaded **{st.session_state['upload_ok']}**; it is now selected in the sidebar and on the "
                       "Compare page.")
