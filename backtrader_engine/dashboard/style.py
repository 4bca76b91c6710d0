"""Look of the panel: a little CSS for the cards (the dark theme is set at launch)."""

from __future__ import annotations

import streamlit as st

_CSS = """
<style>
[data-testid="stMetric"] { background: rgba(17, 24, 39, 0.65); border-radius: 0.6rem; }
[data-testid="stMetricValue"] { font-variant-numeric: tabular-nums; }
[data-testid="stSidebar"] [data-testid="stCode"] code { font-size: 0.72rem; }
.block-container { padding-top: 2.2rem; }
</style>
"""


def apply() -> None:
    """Inject the card styling (colours: :data:`~backtrader_engine.dashboard.launch.THEME`)."""
    st.html(_CSS)
