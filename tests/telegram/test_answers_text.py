"""Snapshot → command answers, from a ledger written without a running session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backtrader_engine.operations import read_snapshot
from backtrader_engine.telegram import answers_text
from backtrader_engine.telegram.notification_text import MAX_MESSAGE

from .conftest import LedgerScript

BTC, ETH = "RSI:BTCUSDT", "Boll:ETHUSDT"


def snapshot(state: Path, script: LedgerScript):  # noqa: ANN201 (a test helper)
    script.fill(BTC, 0, 0.5, 100.0, ts=60_000, fee=0.05)
    script.state(BTC, 1010.0, 60_000)
    script.fill(ETH, 0, -2.0, 10.0, ts=120_000, fee=0.01)
    script.fill(ETH, 1, 2.0, 9.0, ts=180_000, pnl=2.0, fee=0.01)
    script.state(ETH, 1001.98, 180_000)
    script.signal(ETH, 2, "rejected", reason="hourly_cap", ts=200_000)
    return read_snapshot(state)


def test_answers_from_the_ledger_alone(state_dir: Path,
                                       ledger_script: Callable[..., LedgerScript]) -> None:
    snap = snapshot(state_dir, ledger_script(state_dir, accounts=(BTC, ETH)))
    status = answers_text.format_status(snap, None)
    assert status.startswith("<b>Status</b>: not running (no answer)")
    assert "portfolio: 2,011.98 USDT (+11.98 USDT" in status
    assert "open positions: 1;" in status and "RSI:BTCUSDT: 1,010.00 USDT, 0.5 @ " in status
    assert "Boll:ETHUSDT: 1,001.98 USDT, flat" in status
    assert "orders rejected: 0\n" in status
    trades = answers_text.format_trades(snap, 2)
    assert trades.splitlines()[1].startswith("1970-01-01 00:03:00 UTC Boll:ETHUSDT: buy 2 @ 9")
    assert "PnL +2.00 USDT" in trades
    assert "closed trades: 1 (won 1, lost 0); win rate 100.0%" in answers_text.format_profit(snap)
    performance = answers_text.format_performance(snap).splitlines()
    assert performance[1].startswith("RSI: +10.00 USDT")  # best first
    assert performance[2].startswith("Boll: +1.98 USDT; trades 1 (win 100%)")
    assert "1 rejected" in performance[2]


def test_live_figures_win_over_the_ledger(state_dir: Path,
                                          ledger_script: Callable[..., LedgerScript]) -> None:
    snap = snapshot(state_dir, ledger_script(state_dir, accounts=(BTC, ETH)))
    live = {"accounts": {BTC: {"value": 1020.0, "cash": 970.0, "position": 0.7,
                               "position_price": 101.0, "error": "boom <x>"}},
            "live_bars": 42, "stream": {"state": "LIVE", "reconnects": 1, "malformed": 0},
            "entries_paused": True,
            "breakers": {"latency": {"open": True, "reason": "latency 2500 ms > 2000 ms"},
                         "spread": {"open": False, "reason": ""}}}
    status = answers_text.format_status(snap, live)
    assert "market data: LIVE (reconnects 1, malformed 0); live bars 42" in status
    assert "new entries: PAUSED" in status
    assert "breakers open: latency (latency 2500 ms &gt; 2000 ms)" in status
    assert "RSI:BTCUSDT: 1,020.00 USDT, 0.7 @ 101 ERROR boom &lt;x&gt;" in status
    assert "portfolio: 2,021.98 USDT" in status
    balance = answers_text.format_balance(snap, live)
    assert "RSI:BTCUSDT: value 1,020.00 USDT, cash 970.00 USDT" in balance
    assert "BTCUSDT long 0.7 @ 101" in answers_text.format_positions(snap, live)


def test_long_answers_are_clipped_whole_lines() -> None:
    lines = [f"<b>line {i}</b>" for i in range(1000)]
    text = answers_text.clip(lines)
    assert len(text) <= MAX_MESSAGE
    assert text.endswith("more lines") and text.count("<b>") == text.count("</b>")
    logs = answers_text.format_logs([f"<{i}>" * 20 for i in range(500)], "bot.jsonl")
    assert len(logs) <= MAX_MESSAGE and logs.endswith("&lt;499&gt;</pre>")
    reply = answers_text.format_reply("Force exit", {"ok": True, "accounts": ["a", "b"]})
    assert reply == '<b>Force exit</b>\naccounts: ["a", "b"]'


def test_status_counts_refused_orders_by_reason(state_dir: Path,
                                                ledger_script: Callable[..., LedgerScript]
                                                ) -> None:
    script = ledger_script(state_dir, accounts=(BTC, ETH))
    script.order(BTC, 0, "Margin")
    script.order(BTC, 1, "Margin")
    script.order(BTC, 2, "Completed")
    script.order(BTC, 3, "Canceled")  # the strategy's own cancel: not a refusal
    script.order(ETH, 0, "Rejected", reason="warmup")
    script.order(ETH, 1, "Rejected", reason="max_position")
    script.order(ETH, 2, "Rejected")
    script.order(ETH, 3, "Expired")
    snap = read_snapshot(state_dir)
    assert {a.name: a.orders_rejected for a in snap.accounts} == {
        BTC: {"margin": 2}, ETH: {"expired": 1, "max_position": 1, "rejected": 1, "warmup": 1}}
    status = answers_text.format_status(snap, None)
    assert ("orders rejected: 6 (margin 2, expired 1, max_position 1, rejected 1, warmup 1)"
            in status.splitlines())
