"""System health: bot process, market data, metrics endpoint, Prometheus, Grafana, disk."""

from __future__ import annotations

import time

import streamlit as st

from backtrader_engine.dashboard.model import (
    disk_space,
    followed_state_dir,
    health_checks,
    load_live,
    no_data_seconds,
)
from backtrader_engine.dashboard.model.control import BadgeColour
from backtrader_engine.dashboard.model.health import HealthCheck, Verdict
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.errors import UserError
from backtrader_engine.operations import bot_status

_ICONS: dict[Verdict, str] = {"ok": ":material/check_circle:", "warn": ":material/warning:",
                               "down": ":material/error:", "off": ":material/pause_circle:"}
_COLOURS: dict[Verdict, BadgeColour] = {"ok": "green", "warn": "orange", "down": "red",
                                        "off": "gray"}


def render(settings: PanelSettings) -> None:
    """The health page."""
    st.header("System health")
    st.fragment(_health, run_every=max(settings.refresh_s, 5.0))(settings)


def _card(check: HealthCheck) -> None:
    with st.container(border=True, key=f"health_{check.key}"):
        st.markdown(f"**{check.name}**")
        st.badge(check.value, icon=_ICONS[check.verdict], color=_COLOURS[check.verdict])
        st.caption(check.detail)


def _health(settings: PanelSettings) -> None:
    try:
        status = bot_status(run_dir=settings.run_dir, log_lines=10)
    except UserError as exc:
        st.error(str(exc))
        return
    state_dir = followed_state_dir(settings.run_dir, settings.state_dir)
    data = load_live(state_dir, recent=0)
    checks = health_checks(status, data.live, data.snapshot, disk_space(state_dir), state_dir,
                           now=time.time(), stale_after_s=no_data_seconds(settings.config_dir))
    for start in range(0, len(checks), 3):
        row = checks[start:start + 3]
        for column, check in zip(st.columns(3), row, strict=False):
            with column:
                _card(check)
    with st.container(border=True, key="health_log"):
        st.subheader("Bot log")
        st.caption(status.log_file or "")
        if status.log_tail:
            st.code("\n".join(status.log_tail), language=None, wrap_lines=True)
        else:
            st.caption("The log is empty or does not exist yet.")
