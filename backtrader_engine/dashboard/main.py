"""The panel's page: settings, password gate, sidebar (navigation and control), sections."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import streamlit as st

from backtrader_engine.dashboard import auth, style
from backtrader_engine.dashboard.options import parse_panel_args
from backtrader_engine.dashboard.sections import config, control, health, live, research
from backtrader_engine.dashboard.sections import strategies as strategies_section
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.errors import UserError

SECTIONS: dict[str, Callable[[PanelSettings], None]] = {
    "Live": live.render,
    "Strategies": strategies_section.render,
    "System health": health.render,
    "Research": research.render,
    "Config": config.render,
}
_ICONS = {"Live": ":material/monitoring:", "Strategies": ":material/psychology:",
          "System health": ":material/health_and_safety:", "Research": ":material/science:",
          "Config": ":material/tune:"}


def run(argv: Sequence[str]) -> None:
    """Draw the panel for the script arguments *argv* (what follows ``--``)."""
    st.set_page_config(page_title="backtrader-engine", page_icon=":material/candlestick_chart:",
                       layout="wide")
    style.apply()
    try:
        settings = parse_panel_args(argv)
    except UserError as exc:
        st.error(str(exc))
        return
    if not auth.gate(os.environ.get(auth.PASSWORD_ENV)):
        return
    with st.sidebar:
        st.markdown("## backtrader-engine")
        page = st.radio("Section", list(SECTIONS), key="nav", label_visibility="collapsed",
                        format_func=lambda name: f"{_ICONS[name]} {name}")
        control.render(settings)  # also names the run and state folders in use
    SECTIONS[page](settings)
