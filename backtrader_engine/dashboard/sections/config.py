"""Config viewer: the effective configuration with field descriptions, secrets masked."""

from __future__ import annotations

import streamlit as st

from backtrader_engine.dashboard.model import config_view
from backtrader_engine.dashboard.settings import PanelSettings


def render(settings: PanelSettings) -> None:
    """The config page."""
    st.header("Configuration")
    view = config_view(settings.config_dir)
    st.caption(f"Effective configuration of {view.config_dir}: file values with the built-in "
               "defaults filled in. Secrets come only from environment variables and are "
               "never shown.")
    if view.problem:
        st.error(view.problem)
        st.info("Fix the file named above (`python -m backtrader_engine config check` shows "
                "the same message), or open the panel on another folder with "
                "`dashboard --config-dir DIR`.", icon=":material/info:")
        return
    with st.container(border=True, key="config_checks"):
        for line in view.lines:
            kind, _, text = line.partition(" ")
            if kind == "warning":
                st.warning(text)
            elif kind == "note":
                st.info(text)
            else:
                st.caption(f"✓ {text}")
    query = st.text_input("Filter fields", key="config_filter", placeholder="e.g. leverage")
    fields = view.fields
    if query:
        mask = fields.apply(lambda row: query.lower() in " ".join(map(str, row)).lower(), axis=1)
        fields = fields[mask]
    files = list(dict.fromkeys(view.fields["file"]))
    for tab, name in zip(st.tabs(files), files, strict=True):
        with tab:
            rows = fields[fields["file"] == name].drop(columns="file")
            if rows.empty:
                st.caption("No field matches the filter.")
                continue
            st.dataframe(rows, hide_index=True, width="stretch",
                         height=min(36 * (len(rows) + 1) + 4, 900),
                         column_config={"description": st.column_config.TextColumn(
                             width="large")})
    st.subheader("Secrets")
    st.dataframe(view.secrets, hide_index=True, width="stretch")
