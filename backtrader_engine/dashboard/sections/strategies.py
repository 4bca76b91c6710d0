"""Strategies panel: each configured strategy × symbol with state, params, last signal, PnL,
and the session's PnL per strategy × symbol as a chart."""

from __future__ import annotations

import streamlit as st

from backtrader_engine.config import StrategiesConfig, load_section
from backtrader_engine.dashboard import charts
from backtrader_engine.dashboard.model import followed_state_dir, load_live, strategy_rows
from backtrader_engine.dashboard.model.pnl import pnl_by_strategy, pnl_parts
from backtrader_engine.dashboard.model.strategies import strategies_frame
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.errors import UserError


def render(settings: PanelSettings) -> None:
    """The strategies page."""
    st.header("Strategies")
    st.fragment(_strategies, run_every=settings.refresh_s * 2)(settings)


def _strategies(settings: PanelSettings) -> None:
    path = settings.config_dir / "strategies_config.json"
    config = None
    try:
        config = load_section(path, StrategiesConfig) if path.is_file() else None
    except UserError as exc:
        st.error(f"The strategies config cannot be read: {exc}")
    if config is None and not path.is_file():
        st.caption(f"No {path}; showing the strategies of the session only.")
    state_dir = followed_state_dir(settings.run_dir, settings.state_dir)
    data = load_live(state_dir, recent=0)
    if data.snapshot is None:
        st.caption(f"No session ledger in {state_dir}: results appear once the bot has run.")
    rows = strategy_rows(config, data.snapshot, data.live)
    if not rows:
        st.info("No strategy configured and no session ledger yet. Enable strategies in "
                f"{path} or start the bot with --strategy.", icon=":material/info:")
        return
    money = st.column_config.NumberColumn(format="%.2f")
    with st.container(border=True, key="strategies_table"):
        st.dataframe(strategies_frame(rows), hide_index=True, width="stretch",
                     height=min(38 * (len(rows) + 1) + 4, 720),
                     column_config={"position": st.column_config.NumberColumn(format="%.6g"),
                                    "value": money, "realised PnL": money,
                                    "unrealised PnL": money,
                                    "params": st.column_config.TextColumn(width="large")})
    if data.snapshot is not None and data.snapshot.accounts:
        with st.container(border=True, key="strategies_pnl"):
            st.subheader("PnL per strategy × symbol")
            st.caption("Realised: closed round trips, fees and funding included; unrealised: "
                       "the open trip at the last mark.")
            st.vega_lite_chart(charts.pnl_by_strategy(pnl_parts(pnl_by_strategy(
                data.snapshot))), width="stretch")
    labels = [f"{row.strategy} · {row.symbol} · {row.state}" for row in rows]
    chosen = st.selectbox("Details of", labels, key="strategies_detail")
    row = rows[labels.index(chosen)]
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown("**Params**")
        st.json(row.params, expanded=True)
    with right, st.container(border=True):
        st.markdown("**Last signal**")
        record = row.as_record()
        st.write(record["last signal"] or "no session data")
        if row.account is not None and row.account.signals_rejected:
            st.markdown("**Rejections**")
            st.json(row.account.signals_rejected, expanded=True)
