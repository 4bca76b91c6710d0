"""The panel's frame: settings, password gate, page menu and control card, then the page."""

from __future__ import annotations

import os
from collections.abc import Sequence

import streamlit as st

from backtrader_engine.dashboard import auth, navigation, style
from backtrader_engine.dashboard.options import parse_panel_args
from backtrader_engine.dashboard.sections import control
from backtrader_engine.errors import UserError


def run(argv: Sequence[str]) -> None:
    """Draw the panel for the script arguments *argv* (what follows ``--``).

    The page is resolved from the URL first, then the password gate stands in front of it:
    no page runs before the session is signed in, whichever URL it opened.
    """
    st.set_page_config(page_title="backtrader-engine", page_icon=style.page_icon(),
                       layout="wide")
    style.apply()
    try:
        settings = parse_panel_args(argv)
    except UserError as exc:
        st.error(str(exc))
        return
    signed_in = auth.gate(os.environ.get(auth.PASSWORD_ENV))
    page = navigation.current_page(menu=signed_in)
    if not signed_in:
        return
    navigation.keep_settings(settings)
    with st.sidebar:
        control.render(settings)  # also names the run and state folders in use
    page.run()
