"""Live view: portfolio figures, positions, orders, fills, signals, breakers and charts.

Refreshes itself every ``refresh_s`` seconds (a Streamlit fragment), reading the ledger of
the managed bot (or the panel's ``--state`` when no bot is managed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from backtrader_engine.dashboard import charts
from backtrader_engine.dashboard.model import followed_state_dir, load_live, price_history
from backtrader_engine.dashboard.model import live as shape
from backtrader_engine.dashboard.model.equity import equity_drawdown
from backtrader_engine.dashboard.model.live import Figure
from backtrader_engine.dashboard.model.rejections import (
    default_period,
    of_kind,
    rejection_timeline,
)
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.dashboard.tables import html_table
from backtrader_engine.errors import UserError
from backtrader_engine.operations import SessionSnapshot, resume_entries
from backtrader_engine.operations.rejections import ORDER, PERIODS_MS, SIGNAL

RECENT_ROWS = 20
_RESUME_FLASH = "live_resume_flash"


def render(settings: PanelSettings) -> None:
    """The live page."""
    st.header("Live")
    st.fragment(_live, run_every=settings.refresh_s)(settings)


def cards(figures: list[Figure], key: str) -> None:
    """*figures* as bordered metric cards, each in a keyed container, in a row container
    *key* (ending in ``_cards``): as many cards a row as fit the page, the rest below."""
    with st.container(key=key):
        for column, figure in zip(st.columns(len(figures)), figures, strict=True):
            with column, st.container(key=figure.key):
                st.metric(figure.label, figure.value, delta=figure.delta, help=figure.help,
                          border=True)


def _live(settings: PanelSettings) -> None:
    state_dir = followed_state_dir(settings.run_dir, settings.state_dir)
    data = load_live(state_dir, recent=RECENT_ROWS)
    if data.snapshot is None:
        st.info(f"No session figures to show. {data.problem}\n\nStart the bot with START in "
                "the sidebar, or open the panel on another ledger with "
                "`dashboard --state DIR`.", icon=":material/info:")
        return
    snap = data.snapshot
    with st.container(key="live_banner"):
        if data.live is not None:  # the session runs
            pause = shape.pause_text(data.live)
            paused = f" · {pause}" if pause else ""
            st.success(f"Session running · {data.live.get('live_bars', 0)} live bars this run"
                       f"{paused} · ledger {state_dir}", icon=":material/sensors:")
        else:
            st.warning(f"Bot not running: last figures from the ledger in {state_dir}",
                       icon=":material/pause_circle:")
    cards(shape.headline(snap), "live_headline_cards")
    cards(shape.signal_figures(snap), "live_signal_cards")
    _breakers(data.live, state_dir)
    _equity(state_dir)
    # Page-wide HTML tables: every cell wraps and stays in view (a canvas grid in a narrow
    # column hid its last columns and cut long cells).
    with st.container(border=True, key="live_book"):
        st.subheader("Open positions")
        _html_table(shape.positions_frame(snap), "All sub-accounts are flat.",
                    "live_positions_table")
        st.subheader("Open orders")
        _html_table(shape.orders_frame(snap), "No working orders.", "live_orders_table")
    _price_chart(state_dir, snap)
    _rejections(state_dir, snap)
    _activity(snap)


def _equity(state_dir: Path) -> None:
    with st.container(border=True, key="live_equity"):
        st.subheader("Equity and drawdown")
        try:
            frame = equity_drawdown(state_dir)
        except UserError as exc:
            st.warning(str(exc))
            return
        if frame.empty:
            st.caption("No closed bar yet.")
            return
        st.vega_lite_chart(charts.equity_with_drawdown(frame), width="stretch")


def _rejections(state_dir: Path, snap: SessionSnapshot) -> None:
    """Refused signals and orders per hour or day, by reason (the totals are the cards')."""
    with st.container(border=True, key="live_rejections_over_time"):
        st.subheader("Rejections over time")
        ends = (snap.equity[0][0], snap.equity[-1][0]) if snap.equity else (None, None)
        periods = list(PERIODS_MS)
        period = st.selectbox("Count per", periods, key="live_rejection_period",
                              index=periods.index(default_period(*ends)))
        try:
            frame = rejection_timeline(state_dir, period)
        except UserError as exc:
            st.warning(str(exc))
            return
        signals_tab, orders_tab = st.tabs(["Signals rejected (risk gate)",
                                           "Orders refused (broker)"])
        for tab, kind, empty in ((signals_tab, SIGNAL, "No signal has been rejected."),
                                 (orders_tab, ORDER, "No order has been refused.")):
            with tab:
                rows = of_kind(frame, kind)
                if rows.empty:
                    st.caption(empty)
                else:
                    st.vega_lite_chart(charts.rejections_over_time(
                        rows, period, sorted(set(frame["reason"]))), width="stretch")


def _resume(state_dir: Path) -> None:
    """Button callback: what Telegram's /start_trading does (clicks are kept as callbacks so
    the fragment's own refresh cannot swallow them)."""
    try:
        reply = resume_entries(state_dir)
    except UserError as exc:
        st.session_state[_RESUME_FLASH] = ("error", str(exc))
        return
    cleared = reply.get("breakers_resumed") or []
    st.session_state[_RESUME_FLASH] = ("ok", "New entries allowed again" + (
        f"; halted breakers cleared: {', '.join(cleared)}" if cleared else ""))


def _breakers(live: dict[str, Any] | None, state_dir: Path) -> None:
    with st.container(border=True, key="live_breakers"):
        st.subheader("Risk breakers")
        flash = st.session_state.pop(_RESUME_FLASH, None)
        if flash is not None:
            (st.success if flash[0] == "ok" else st.error)(flash[1])
        if live is None:
            st.caption("Breaker states are known only while the bot runs.")
            return
        if shape.needs_resume(live):
            halted = shape.halted_breakers(live)
            st.warning("Halted until an operator resumes: " + (
                ", ".join(halted) if halted else shape.pause_text(live)))
            st.button("Resume entries", key="live_resume", type="primary",
                      help="Lift the operator's pause (of entries or of all trading) and "
                           "clear the breakers in mode 'halt' (as /start, /start_trading and "
                           "'bot resume-entries')",
                      on_click=_resume, args=(state_dir,))
        frame = shape.breakers_frame(live)
        if frame.empty:
            st.caption("This session runs without the risk gate (paper --no-risk-gate).")
            return
        opened = shape.open_breakers(live)
        if opened:
            st.error(f"Open: {', '.join(opened)}: new entries are refused")
        else:
            st.caption("All breakers closed.")
        st.dataframe(frame, hide_index=True, width="stretch")


def _price_chart(state_dir: Path, snap: SessionSnapshot) -> None:
    symbols = shape.symbols(snap)
    with st.container(border=True, key="live_price"):
        st.subheader("Price and trades")
        if not symbols:
            st.caption("The session trades no symbol yet.")
            return
        symbol = st.selectbox("Symbol", symbols, key="live_symbol")
        try:
            history = price_history(state_dir, symbol)
        except UserError as exc:
            st.warning(str(exc))
            return
        if history is None:
            st.caption(f"No {symbol} bars stored yet.")
            return
        title = f"{symbol} close ({len(history.bars)} bars) with {len(history.fills)} fills"
        st.vega_lite_chart(charts.price_with_trades(history.bars, history.fills, title),
                           width="stretch")


def _activity(snap: SessionSnapshot) -> None:
    fills_tab, signals_tab, rejected_tab = st.tabs(["Recent fills", "Signals",
                                                    "Rejection reasons"])
    with fills_tab:
        _table(shape.fills_frame(snap), "No fills yet.")
    with signals_tab:
        _table(shape.signals_frame(snap), "No signals yet.")
    with rejected_tab:
        _table(shape.rejections_frame(snap), "No signal has been rejected.")


def _html_table(frame: pd.DataFrame, empty: str, key: str) -> None:
    with st.container(key=key):
        if frame.empty:
            st.caption(empty)
        else:
            st.html(html_table(frame))


def _table(frame: pd.DataFrame, empty: str) -> None:
    if frame.empty:
        st.caption(empty)
    else:
        st.dataframe(frame, hide_index=True, width="stretch")
