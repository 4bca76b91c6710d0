"""The bot's collector: what a snapshot and a live status become, and failing reads."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring.collector import (
    ErrorLogCounter,
    LatencyHistogram,
    SessionCollector,
)

from .conftest import Samples, parse_exposition, sample

LIVE = {"accounts": {}, "live_bars": 12, "entries_paused": False, "time": 0.0,
        "stream": {"state": "live", "reconnects": 2, "malformed": 7,
                   "last_message_age_s": 0.4},
        "breakers": {"drawdown": {"open": True, "reason": "drawdown 11%", "trips": 2,
                                  "mode": "cooldown", "halted_seconds": 5400.0},
                     "latency": {"open": False, "reason": "", "trips": 0}}}


def collect(collector: SessionCollector) -> Samples:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return parse_exposition(generate_latest(registry).decode())


def test_latency_histogram_is_cumulative_and_counts_each_fill_once() -> None:
    histogram = LatencyHistogram((0.001, 0.1, 1.0))
    assert histogram.buckets() == [("0.001", 0.0), ("0.1", 0.0), ("1.0", 0.0), ("+Inf", 0.0)]
    histogram.update([0.3, 0.001, 0.05, 7.0])
    assert histogram.buckets() == [("0.001", 1.0), ("0.1", 2.0), ("1.0", 3.0), ("+Inf", 4.0)]
    # The window moves on: 7.0 and 0.001 left it, two new fills with equal latency arrived.
    histogram.update([0.05, 0.05, 0.3, 0.05])
    assert histogram.buckets() == [("0.001", 1.0), ("0.1", 4.0), ("1.0", 5.0), ("+Inf", 6.0)]
    assert histogram.total == pytest.approx(7.451)
    histogram.update([0.05, 0.05, 0.3, 0.05])  # nothing new
    assert histogram.buckets()[-1] == ("+Inf", 6.0)


def test_snapshot_and_live_status_become_labelled_samples(
        tmp_path: Path, make_snapshot: Callable[..., Any],
        make_account: Callable[..., Any]) -> None:
    now = time.time()
    snap = make_snapshot(
        accounts=[make_account(), make_account(
            name="ManualSignalStrategy:ETHUSDT", strategy="manual",
            strategy_class="ManualSignalStrategy", symbol="ETHUSDT", trades_won=0,
            trades_lost=0, signals_rejected={})],
        fill_latencies_s=[0.002, 0.02, 0.2, 40.0],
        streams={"BTCUSDT 1": {"last_close_ms": 1, "logged_at": now - 30.0}})
    collector = SessionCollector(tmp_path / "run1", read_snapshot=lambda _: snap,
                                 live_status=lambda _: LIVE)
    s = collect(collector)
    btc = {"portfolio": "run1", "asset_class": "crypto_perp",
           "strategy": "RSIEMAMomentumStrategy", "symbol": "BTCUSDT"}
    assert sample(s, "bt_portfolio_value", **btc) == 5100.0
    assert sample(s, "bt_drawdown_percent", **btc) == 1.923
    assert sample(s, "bt_win_rate", **btc) == 0.75
    assert sample(s, "bt_trades_closed_total", **btc, result="win") == 3
    assert sample(s, "bt_trades_closed_total", **btc, result="loss") == 1
    assert sample(s, "paper_signals_generated_total", **btc) == 9
    assert sample(s, "paper_signals_executed_total", **btc) == 5
    assert sample(s, "paper_signals_rejected_total", **btc, reason="warmup") == 2
    assert sample(s, "paper_signals_rejected_total", **btc, reason="low_confidence") == 1
    assert sample(s, "paper_orders_rejected_total", **btc, reason="warmup") == 2
    assert sample(s, "paper_orders_rejected_total", **btc, reason="margin") == 1
    assert sample(s, "paper_orders_rejected_total", **btc, reason="expired") == 0
    assert sample(s, "bt_fees_paid_total", **btc) == 3.5
    assert sample(s, "bt_funding_paid", **btc) == -0.25
    assert sample(s, "bt_position_size", **btc) == 0.01
    assert sample(s, "bt_realised_pnl", **btc) == 80.0
    assert sample(s, "bt_unrealised_pnl", **btc) == 20.0
    assert sample(s, "bt_initial_cash", **btc) == 5000.0
    # No closed trip yet: NaN (0 of 0) rather than a made-up 0, but the series is there.
    assert math.isnan(sample(s, "bt_win_rate", symbol="ETHUSDT"))
    assert sample(s, "bt_trades_closed_total", symbol="ETHUSDT", result="win") == 0
    # Every known rejection reason has a zero series from the first scrape.
    assert sample(s, "paper_signals_rejected_total", symbol="ETHUSDT",
                  reason="breaker:drawdown") == 0
    assert sample(s, "paper_signals_rejected_total", **btc, reason="signal_spacing") == 0
    assert sample(s, "bt_portfolio_value", strategy="ManualSignalStrategy") == 5100.0
    assert sample(s, "bt_equity", portfolio="run1") == 5100.0
    assert sample(s, "bt_portfolio_drawdown_percent") == 1.5
    assert sample(s, "bt_order_fill_latency_seconds_bucket", le="0.001") == 0
    assert sample(s, "bt_order_fill_latency_seconds_bucket", le="0.0025") == 1
    assert sample(s, "bt_order_fill_latency_seconds_bucket", le="0.25") == 3
    assert sample(s, "bt_order_fill_latency_seconds_bucket", le="30.0") == 3
    assert sample(s, "bt_order_fill_latency_seconds_bucket", le="+Inf") == 4
    assert sample(s, "bt_order_fill_latency_seconds_count") == 4
    assert sample(s, "bt_order_fill_latency_seconds_sum") == pytest.approx(40.222)
    assert 30.0 <= sample(s, "bt_last_bar_age_seconds", symbol="BTCUSDT",
                          interval="1") < 60.0
    assert sample(s, "bt_market_data_staleness_seconds") == 0.4
    assert sample(s, "bt_websocket_reconnects_total") == 2
    assert sample(s, "bt_websocket_malformed_messages_total") == 7
    assert sample(s, "bt_risk_breaker_open", breaker="drawdown") == 1
    assert sample(s, "bt_risk_breaker_open", breaker="latency") == 0
    assert sample(s, "bt_risk_breaker_trips_total", breaker="drawdown") == 2
    assert sample(s, "bt_risk_breaker_halted_seconds_total", breaker="drawdown") == 5400.0
    for name in ("volatility", "latency", "spread", "error_rate"):  # 0 from the first scrape
        assert sample(s, "bt_risk_breaker_open", breaker=name) == 0
        assert sample(s, "bt_risk_breaker_trips_total", breaker=name) == 0
        assert sample(s, "bt_risk_breaker_halted_seconds_total", breaker=name) == 0
    assert sample(s, "bt_entries_paused") == 0
    assert sample(s, "bt_trading_paused") == 0
    assert sample(s, "bt_session_up") == 1
    assert sample(s, "bt_process_uptime_seconds") > 0
    assert sample(s, "bt_bot_info", fill_model="book") == 1
    assert sample(s, "bt_scrape_error", source="ledger") == 0
    assert sample(s, "bt_scrape_errors_total", source="live_status") == 0


def test_every_sample_is_defined_with_its_labels(
        tmp_path: Path, make_snapshot: Callable[..., Any]) -> None:
    snap = make_snapshot(streams={"ETHUSDT 1": {"last_close_ms": 1, "logged_at": 1.0}},
                         fill_latencies_s=[0.1])
    collector = SessionCollector(tmp_path, read_snapshot=lambda _: snap,
                                 live_status=lambda _: LIVE, errors=ErrorLogCounter())
    defined = {name: m for m in d.BOT_METRICS for name in m.series_names}
    exported = collect(collector)
    for name, labels in exported:
        metric = defined[name]
        extra = {"le"} if name.endswith("_bucket") else set()
        if metric.kind == "info":
            assert {k for k, _ in labels} >= set(metric.labels)
        else:
            assert {k for k, _ in labels} == set(metric.labels) | extra, name
    # With a full snapshot and a live session every family has samples.
    assert {m.name for m in d.BOT_METRICS} == {
        next(m.name for m in d.BOT_METRICS if n in m.series_names) for n, _ in exported}


def test_refused_orders_have_a_zero_series_per_reason_from_the_first_scrape(
        tmp_path: Path, make_snapshot: Callable[..., Any],
        make_account: Callable[..., Any]) -> None:
    accounts = [make_account(orders_rejected={}), make_account(
        name="ManualSignalStrategy:ETHUSDT", strategy="manual",
        strategy_class="ManualSignalStrategy", symbol="ETHUSDT", orders_rejected={})]
    snap = make_snapshot(accounts=accounts)
    collector = SessionCollector(tmp_path / "desk", read_snapshot=lambda _: snap,
                                 live_status=lambda _: None)
    before = {(dict(ls)["symbol"], dict(ls)["reason"]): v for (n, ls), v in collect(
        collector).items() if n == "paper_orders_rejected_total"}
    reasons = ("margin", "expired", "rejected", "venue_min_qty", "venue_min_notional",
               "warmup", "entries_paused", "trading_paused")
    assert before == {(symbol, reason): 0.0 for symbol in ("BTCUSDT", "ETHUSDT")
                      for reason in reasons}

    # The collector reads ``snap`` at each scrape: the ledger now holds refused orders.
    accounts[1] = make_account(
        name="ManualSignalStrategy:ETHUSDT", strategy="manual",
        strategy_class="ManualSignalStrategy", symbol="ETHUSDT",
        orders_rejected={"margin": 311, "max_position": 4})
    snap = make_snapshot(accounts=accounts)
    after = collect(collector)
    eth = {"portfolio": "desk", "asset_class": "crypto_perp",
           "strategy": "ManualSignalStrategy", "symbol": "ETHUSDT"}
    assert sample(after, "paper_orders_rejected_total", **eth, reason="margin") == 311
    assert sample(after, "paper_orders_rejected_total", **eth, reason="max_position") == 4
    assert sample(after, "paper_orders_rejected_total", **eth, reason="warmup") == 0
    assert sample(after, "paper_orders_rejected_total", symbol="BTCUSDT", reason="margin") == 0
    assert len([k for k in after if k[0] == "paper_orders_rejected_total"]) == 2 * 8 + 1


def test_failing_reads_leave_the_scrape_intact(tmp_path: Path) -> None:
    def broken(_: Path) -> Any:
        raise OSError("disk I/O error")

    collector = SessionCollector(tmp_path / "gone", read_snapshot=broken, live_status=broken)
    first = collect(collector)
    second = collect(collector)
    assert sample(first, "bt_scrape_error", source="ledger") == 1
    assert sample(first, "bt_scrape_error", source="live_status") == 1
    assert sample(second, "bt_scrape_errors_total", source="ledger") == 2
    assert sample(second, "bt_scrape_errors_total", source="live_status") == 2
    assert sample(second, "bt_session_up") == 0
    assert sample(second, "bt_process_uptime_seconds") > 0
    assert not [k for k in second if k[0] == "bt_portfolio_value"]


def test_no_live_session_exports_the_ledger_only(
        tmp_path: Path, make_snapshot: Callable[..., Any]) -> None:
    collector = SessionCollector(tmp_path, portfolio="desk-a",
                                 read_snapshot=lambda _: make_snapshot(),
                                 live_status=lambda _: None)
    s = collect(collector)
    assert sample(s, "bt_session_up", portfolio="desk-a") == 0
    assert sample(s, "bt_scrape_error", source="live_status") == 0
    assert sample(s, "bt_portfolio_value", portfolio="desk-a") == 5100.0
    assert not [k for k in s if k[0] in ("bt_market_data_staleness_seconds",
                                         "bt_risk_breaker_open")]


def test_the_operators_pause_is_exported(tmp_path: Path,
                                         make_snapshot: Callable[..., Any]) -> None:
    for pause, entries, trading in (("entries", 1, 0), ("trading", 1, 1), ("none", 0, 0)):
        live = {**LIVE, "pause": pause, "entries_paused": pause != "none",
                "trading_paused": pause == "trading"}
        collector = SessionCollector(tmp_path, read_snapshot=lambda _: make_snapshot(),
                                     live_status=lambda _, live=live: live)
        s = collect(collector)
        assert (sample(s, "bt_entries_paused"), sample(s, "bt_trading_paused")) == (
            entries, trading), pause


def test_a_session_without_the_risk_gate_exports_every_breaker_as_zero(
        tmp_path: Path, make_snapshot: Callable[..., Any]) -> None:
    live = {**LIVE, "breakers": {}}
    collector = SessionCollector(tmp_path, read_snapshot=lambda _: make_snapshot(),
                                 live_status=lambda _: live)
    s = collect(collector)
    for family in ("bt_risk_breaker_open", "bt_risk_breaker_trips_total",
                   "bt_risk_breaker_halted_seconds_total"):
        assert sorted(dict(k[1])["breaker"] for k in s if k[0] == family) == sorted(d.BREAKERS)
        assert all(v == 0 for k, v in s.items() if k[0] == family)


def test_stream_without_a_message_yet_is_as_stale_as_the_process(
        tmp_path: Path, make_snapshot: Callable[..., Any]) -> None:
    live = {**LIVE, "stream": {"state": "connecting", "last_message_age_s": None}}
    collector = SessionCollector(tmp_path, read_snapshot=lambda _: make_snapshot(),
                                 live_status=lambda _: live)
    s = collect(collector)
    assert sample(s, "bt_market_data_staleness_seconds") == pytest.approx(
        sample(s, "bt_process_uptime_seconds"), abs=5.0)


def test_error_log_records_are_counted(tmp_path: Path) -> None:
    counter = ErrorLogCounter()
    logger = logging.getLogger("tests.monitoring.errors")
    logger.addHandler(counter)
    try:
        logger.warning("not counted")
        logger.error("one")
        logger.critical("two")
    finally:
        logger.removeHandler(counter)
    collector = SessionCollector(tmp_path, read_snapshot=lambda _: None,
                                 live_status=lambda _: None, errors=counter)
    assert sample(collect(collector), "bt_log_errors_total") == 2


def test_a_fresh_ledger_exports_every_account_series_from_the_first_scrape(
        tmp_path: Path) -> None:
    from backtrader_engine.ledger import LedgerWriter
    from backtrader_engine.operations import read_snapshot
    from backtrader_engine.risk import reasons

    ledger = LedgerWriter(tmp_path / "fresh")
    try:
        for symbol in ("BTCUSDT", "ETHUSDT"):
            ledger.register_account(f"SmaCross:{symbol}", "SmaCross", symbol, {}, 1000.0)
    finally:
        ledger.close()
    collector = SessionCollector(tmp_path / "fresh", read_snapshot=read_snapshot,
                                 live_status=lambda _: LIVE)
    s = collect(collector)
    gate_codes = {*reasons.GATE_REASONS, *(f"breaker:{n}" for n in d.BREAKERS)}
    assert gate_codes <= set(d.SIGNAL_REJECTION_REASONS)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        account = {"portfolio": "fresh", "asset_class": "crypto_perp", "strategy": "SmaCross",
                   "symbol": symbol}
        for name in ("bt_portfolio_value", "bt_drawdown_percent", "bt_initial_cash",
                     "bt_realised_pnl", "bt_unrealised_pnl", "bt_position_size",
                     "bt_fees_paid_total", "bt_funding_paid"):
            assert (name, tuple(sorted(account.items()))) in s, name
        assert sample(s, "bt_portfolio_value", **account) == 1000.0
        assert sample(s, "bt_drawdown_percent", **account) == 0
        assert math.isnan(sample(s, "bt_win_rate", **account))
        for result in ("win", "loss"):
            assert sample(s, "bt_trades_closed_total", **account, result=result) == 0
        assert sample(s, "paper_signals_generated_total", **account) == 0
        assert sample(s, "paper_signals_executed_total", **account) == 0
        rejected = {dict(k[1])["reason"]: v for k, v in s.items()
                    if k[0] == "paper_signals_rejected_total"
                    and account.items() <= dict(k[1]).items()}
        assert rejected == dict.fromkeys(d.SIGNAL_REJECTION_REASONS, 0)
        assert "linked_refused" not in rejected
        ordered = {dict(k[1])["reason"] for k in s if k[0] == "paper_orders_rejected_total"
                   and account.items() <= dict(k[1]).items()}
        assert ordered == set(d.ORDER_REJECTION_REASONS)
    assert sample(s, "bt_equity", portfolio="fresh") == 2000.0
