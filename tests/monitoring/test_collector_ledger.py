"""The collector on the real ledger and control channel of a replayed paper session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring import start_exporter
from backtrader_engine.operations import read_snapshot
from backtrader_engine.paper.session import PaperSession

from ..paper.conftest import wait_for_bars
from .conftest import parse_exposition, sample, scrape


def test_a_running_session_scrapes_like_its_snapshot(
        tmp_path: Path, paper_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "desk"
    session = paper_session(state, risk=RiskConfig(), manual=False)
    with start_exporter(state, port=0) as server:
        try:
            wait_for_bars(state, 2 * 400)
            running = parse_exposition(scrape(server.url))
        finally:
            session.stop()
        stopped = parse_exposition(scrape(server.url))
    snap = read_snapshot(state)

    assert sample(running, "bt_session_up", portfolio="desk") == 1
    assert sample(running, "bt_scrape_error", source="ledger") == 0
    assert sample(running, "bt_scrape_error", source="live_status") == 0
    assert 0 <= sample(running, "bt_market_data_staleness_seconds") < 60
    assert sample(running, "bt_risk_breaker_open", breaker="drawdown") in (0, 1)
    assert {dict(ls)["breaker"] for n, ls in running if n == "bt_risk_breaker_open"} == {
        "drawdown", "volatility", "latency", "spread", "error_rate"}
    assert sample(running, "bt_order_fill_latency_seconds_count") > 0

    # After the stop the ledger figures are final and the scrape equals the snapshot.
    assert sample(stopped, "bt_session_up") == 0
    assert sample(stopped, "bt_equity") == pytest.approx(snap.portfolio_value)
    assert sample(stopped, "bt_portfolio_drawdown_percent") == pytest.approx(snap.drawdown_pct)
    won = lost = 0.0
    for account in snap.accounts:
        labels = {"strategy": account.strategy_class, "symbol": account.symbol,
                  "asset_class": "crypto_perp", "portfolio": "desk"}
        assert sample(stopped, "bt_portfolio_value", **labels) == pytest.approx(account.value)
        assert sample(stopped, "bt_position_size", **labels) == pytest.approx(account.position)
        assert sample(stopped, "bt_fees_paid_total", **labels) == pytest.approx(account.fees)
        assert sample(stopped, "paper_signals_executed_total", **labels) == (
            account.signals_executed)
        for reason, count in account.signals_rejected.items():
            assert sample(stopped, "paper_signals_rejected_total", **labels,
                          reason=reason) == count
        refused = {**dict.fromkeys(d.ORDER_REJECTION_REASONS, 0), **account.orders_rejected}
        assert {dict(ls)["reason"]: v for (n, ls), v in stopped.items()
                if n == "paper_orders_rejected_total" and labels.items() <= dict(ls).items()
                } == refused
        won += sample(stopped, "bt_trades_closed_total", **labels, result="win")
        lost += sample(stopped, "bt_trades_closed_total", **labels, result="loss")
    assert (won, lost) == (snap.trades_won, snap.trades_lost) and won + lost > 0
    # Orders on warm-up history are refused; the gate may refuse more.
    assert snap.orders_rejected.get("warmup", 0) > 0
    assert {dict(ls)["symbol"] for n, ls in stopped if n == "bt_last_bar_age_seconds"} == {
        "BTCUSDT", "ETHUSDT"}
    # Fills seen while running stay counted: the histogram never shrinks.
    assert sample(stopped, "bt_order_fill_latency_seconds_count") >= sample(
        running, "bt_order_fill_latency_seconds_count")
