"""The ledger watcher: which rows become which notifications, told once each."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.operations.periods import realised_by_period
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.watcher import LedgerWatcher

from .conftest import LedgerScript

BTC = "RSI:BTCUSDT"
DAY = 86_400_000


def watch(state: Path, **kwargs: Any) -> tuple[LedgerWatcher, list[Notification]]:
    told: list[Notification] = []
    options: dict[str, Any] = {"fill_grace_s": 60.0, "stream_grace_s": 60.0}
    options.update(kwargs)
    watcher = LedgerWatcher(state, told.append, **options)
    watcher.baseline()
    return watcher, told


def kinds(notifications: list[Notification]) -> list[str]:
    return [n.kind for n in notifications]


def test_a_session_reads_as_started_executed_rejected_closed_stopped(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    watcher, told = watch(state_dir)  # before the ledger exists: a new session
    script = ledger_script(state_dir)
    script.event("start", "new session")
    script.signal(BTC, 0, "executed", ts=60_000, size=0.5, price=100.0)
    script.fill(BTC, 0, 0.5, 100.2, ts=60_000, fee=0.03)
    script.signal(BTC, 1, "rejected", ts=120_000, reason="low_confidence",
                  message="confidence 0.30 < 0.60")
    script.fill(BTC, 2, -0.5, 110.2, ts=180_000, pnl=5.0, fee=0.03)
    script.event("stop", "3 live bars this run")
    assert watcher.poll() == told
    assert kinds(told) == ["started", "executed", "rejected", "closed", "stopped"]
    started, executed, rejected, closed, stopped = told
    assert started.title == "Bot started (new session)"
    assert started.value_of("symbols") == "BTCUSDT"
    assert executed.value_of("strategy") == "RSI" and executed.value_of("side") == "buy"
    assert executed.value_of("qty") == "0.5" and executed.value_of("price") == "100.2"
    assert executed.value_of("fee") == "0.03 USDT"
    assert rejected.level == "warning" and rejected.value_of("reason") == "low_confidence"
    assert rejected.value_of("message") == "confidence 0.30 < 0.60"
    assert closed.value_of("PnL") == "+5.00 USDT" and closed.value_of("net") == "+4.94 USDT"
    assert closed.value_of("entry price") == "100.2"
    assert closed.value_of("position") == "long 0.5"
    assert stopped.value_of("run") == "3 live bars this run"
    assert watcher.poll() == []  # told once


def test_what_was_there_before_is_not_told_again_even_when_rederived(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    script.event("start", "new session")
    script.signal(BTC, 0, "executed")
    script.fill(BTC, 0, 0.5, 100.0)
    script.signal(BTC, 1, "passed")
    watcher, told = watch(state_dir)
    script.signal(BTC, 0, "executed")  # a restart re-derives it: same outcome, new rowid
    assert watcher.poll() == []
    script.signal(BTC, 1, "rejected", reason="broker:margin", message="not enough margin")
    assert kinds(watcher.poll()) == ["rejected"]
    assert told[0].value_of("stage") == "broker"


def test_an_executed_signal_waits_for_its_fills_then_goes_without_them(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir)
    script.signal(BTC, 0, "executed", size=0.5, price=99.0)
    assert watcher.poll() == []  # its fill rows may follow
    script.fill(BTC, 0, 0.2, 100.0, fee=0.01)
    script.fill(BTC, 0, 0.3, 101.0, fee=0.02, fill_seq=1)
    [executed] = watcher.poll()
    assert executed.value_of("qty") == "0.5" and executed.value_of("price") == "100.6"
    assert executed.value_of("fee") == "0.03 USDT"
    script.signal(BTC, 1, "executed", size=0.1, price=98.0)
    assert watcher.poll() == []
    [late] = watcher.poll(final=True)  # stopping: told with what the signal knows
    assert late.value_of("price") == "98" and late.value_of("fee") == "-"


def test_an_entry_without_a_signal_record_is_told_as_an_executed_order(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir, fill_grace_s=0.0)
    script.fill(BTC, 3, -0.4, 100.0, fee=0.02)
    [order] = watcher.poll()
    assert order.kind == "executed" and order.title == "Order executed: sell 0.4 BTCUSDT"
    assert order.value_of("strategy") == "RSI"


def test_a_round_trip_in_pieces_and_a_flip(state_dir: Path,
                                           ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir, fill_grace_s=0.0)
    script.fill(BTC, 0, 1.0, 100.0, ts=1, fee=0.1)
    script.fill(BTC, 1, 1.0, 102.0, ts=2, fee=0.1)
    script.fill(BTC, 2, -1.0, 104.0, ts=3, pnl=3.0, fee=0.1)  # reduce: not closed yet
    assert "closed" not in kinds(watcher.poll())
    script.fill(BTC, 3, -3.0, 90.0, ts=4, pnl=-10.0, fee=0.2)  # closes 1 and goes short 2
    closed = [n for n in watcher.poll() if n.kind == "closed"]
    # The one round-trip rule: the flip's fee is shared by size with the trip it opens
    # (1 of its 3 units closed the long): fees 0.1 + 0.1 + 0.1 + 0.2/3.
    assert [n.title for n in closed] == ["Position flipped: long BTCUSDT -7.37 USDT"]
    assert closed[0].value_of("fees") == "0.37 USDT" and closed[0].value_of("now") == "-2"
    assert closed[0].value_of("PnL") == "-7.00 USDT"
    script.fill(BTC, 4, 2.0, 95.0, ts=5, pnl=-10.0, fee=0.1)
    [short] = [n for n in watcher.poll() if n.kind == "closed"]
    assert short.title == "Position closed: short BTCUSDT -10.23 USDT"  # 0.2 x 2/3 + 0.1
    assert short.value_of("position") == "short 2"


def test_a_closed_position_counts_the_funding_paid_while_it_was_open(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir, fill_grace_s=0.0)
    script.funding(BTC, 9.0, 500)  # before the entry: not this trip's
    script.fill(BTC, 0, 1.0, 100.0, ts=1_000, fee=0.1)
    script.funding(BTC, 0.4, 28_800_000)
    script.funding(BTC, 0.3, 57_600_000)  # settled in the bar the exit fills in: counted
    script.fill(BTC, 1, -1.0, 101.0, ts=57_600_000, pnl=1.0, fee=0.1)
    script.funding(BTC, 5.0, 86_400_000)  # after the exit: not this trip's
    [closed] = [n for n in watcher.poll() if n.kind == "closed"]
    # Won before funding (+0.80), lost after it: the same verdict as status and metrics.
    assert closed.title == "Position closed: long BTCUSDT +0.10 USDT"
    assert closed.value_of("funding") == "-0.70 USDT"
    assert closed.value_of("net") == "+0.10 USDT"


def test_funding_paid_and_received(state_dir: Path,
                                   ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir)
    script.funding(BTC, 0.42, 28_800_000)
    script.funding(BTC, -0.1, 57_600_000)
    assert [n.title for n in watcher.poll()] == ["Funding paid: BTCUSDT 0.42 USDT",
                                                 "Funding received: BTCUSDT 0.10 USDT"]


def test_drawdown_warns_once_per_level_and_rearms_after_recovery(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir, accounts=(BTC, "RSI:ETHUSDT"))
    watcher, told = watch(state_dir, drawdown_warning_pct=5.0, drawdown_critical_pct=8.0)
    values = [(1000, []), (910, []), (890, ["warning"]), (870, []), (830, ["critical"]),
              (800, []), (990, []), (880, ["warning"])]
    for value, expected in values:  # the other account stays at its 1000 initial cash
        script.state(BTC, value, 60_000)
        assert [n.level for n in watcher.poll()] == expected, value
    assert told[1].title == "Drawdown 8.50% (limit 8%)"  # 1830 against the 2000 peak
    assert told[1].value_of("peak") == "2,000.00 USDT"


def test_the_daily_summary_comes_with_the_first_bar_of_the_next_market_day(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir)
    day = 19_240 * DAY  # 2022-09-05 00:00 UTC
    script.state(BTC, 1000, day + 3_600_000)
    watcher.poll()  # watching begins at 01:00
    script.signal(BTC, 0, "executed", ts=day + 4_000_000)
    script.fill(BTC, 0, 1.0, 100.0, ts=day + 4_000_000, fee=0.1)
    script.signal(BTC, 1, "rejected", ts=day + 5_000_000, reason="hourly_cap")
    script.fill(BTC, 2, -1.0, 101.0, ts=day + 6_000_000, pnl=1.0, fee=0.1)
    script.funding(BTC, 0.05, day + 8 * 3_600_000)
    script.state(BTC, 1000.75, day + DAY - 60_000)
    assert "daily_summary" not in kinds(watcher.poll())
    script.state(BTC, 1000.75, day + DAY)
    [summary] = [n for n in watcher.poll() if n.kind == "daily_summary"]
    assert summary.title == "Daily summary 2022-09-05 (UTC, market time)"
    assert summary.value_of("change") == "+0.75 USDT"
    # The one round-trip rule, as /daily: +1.00 on the prices less 0.20 fees (the funding came
    # after the position was closed, so no trip pays it).
    assert summary.value_of("realised PnL") == "+0.80 USDT (net, closed round trips)"
    script.bar("BTCUSDT", day + DAY + 59_999)  # market time: /daily counts back from it
    [daily] = [p for p in realised_by_period(state_dir, "day", 3) if p.label == "2022-09-05"]
    assert (daily.trades, round(daily.net_pnl, 2)) == (1, 0.80)
    assert summary.value_of("fills") == "2" and summary.value_of("round trips closed") == "1"
    assert summary.value_of("signals rejected") == "1 (hourly_cap 1)"
    assert summary.value_of("funding paid") == "0.05 USDT"
    assert summary.value_of("covers") == "from 01:00 UTC (when watching began)"


def test_circuit_breakers_from_rejections_and_from_the_live_status(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    status: dict[str, Any] = {"breakers": {"latency": {"open": False, "reason": ""}}}
    watcher, told = watch(state_dir, live_status=lambda: status, status_every_s=1e-9)
    assert watcher.poll() == []
    script.signal(BTC, 0, "rejected", reason="breaker:drawdown", message="drawdown 11%")
    script.signal(BTC, 1, "rejected", reason="breaker:drawdown", message="drawdown 11%")
    assert kinds(watcher.poll()) == ["rejected", "rejected", "breaker"]
    assert told[-1].title == "Circuit breaker open: drawdown" and told[-1].level == "critical"
    status["breakers"] = {"drawdown": {"open": True, "reason": "drawdown 11%"},
                          "latency": {"open": True, "reason": "latency 2500 ms > 2000 ms",
                                      "until_ms": 1_662_354_000_000}}
    [latency] = watcher.poll()  # drawdown was already told
    assert latency.title == "Circuit breaker open: latency"
    assert latency.value_of("closes at") == "2022-09-05 05:00:00 UTC"
    status["breakers"]["drawdown"] = {"open": False}
    assert [n.title for n in watcher.poll()] == ["Circuit breaker closed: drawdown"]


def test_errors_are_critical(state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir)
    script.event("account_error", "ZeroDivisionError: division by zero", BTC)
    script.event("error", "ledger write failed")
    assert [(n.kind, n.level) for n in watcher.poll()] == [("error", "critical")] * 2
    assert told[0].value_of("account") == BTC


def test_paused_and_resumed_entries(state_dir: Path,
                                    ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir)
    script.event("entries", "paused")
    script.event("entries", "resumed")
    script.event("force_exit", "position 0.5 closed at market", BTC)  # its fill tells it
    assert [(n.title, n.level) for n in watcher.poll()] == [
        ("New entries paused", "warning"), ("New entries allowed again", "info")]


def test_market_data_interruptions_are_told_only_when_they_last(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    script.event("stream", "LIVE: subscribed")
    watcher, told = watch(state_dir, stream_grace_s=60.0)
    script.event("stream", "DISCONNECTED: connection closed")
    script.event("stream", "LIVE: resubscribed")
    assert watcher.poll() == []  # back at once: nothing to tell
    script.event("stream", "DISCONNECTED: connection closed")
    assert watcher.poll() == []
    watcher.stream_grace_s = 0.0
    [down] = watcher.poll()
    assert (down.title, down.level) == ("Market data disconnected", "warning")
    script.event("stream", "LIVE: resubscribed")
    assert [n.title for n in watcher.poll()] == ["Market data live again"]
    script.event("stream", "DISCONNECTED: closing")  # what a stopping session writes
    script.event("stop", "10 live bars this run")
    assert kinds(watcher.poll(final=True)) == ["stopped"]


def test_the_thread_polls_until_stopped_and_tells_the_rest(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    told: list[Notification] = []
    watcher = LedgerWatcher(state_dir, told.append, poll_s=0.01).start()
    script = ledger_script(state_dir)
    script.event("start", "new session")
    deadline = time.monotonic() + 20
    while not told:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    script.event("stop", "0 live bars this run")
    watcher.stop()
    assert kinds(told) == ["started", "stopped"]


@pytest.mark.parametrize("detail", ["", "garbage without colon"])
def test_odd_stream_details_do_not_break_polling(
        detail: str, state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)
    watcher, told = watch(state_dir, stream_grace_s=0.0)
    script.event("stream", detail)
    assert kinds(watcher.poll()) == ["market_data"]


def test_a_failing_read_does_not_end_the_watching(
        state_dir: Path, ledger_script: Callable[..., LedgerScript],
        monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[Notification] = []
    watcher = LedgerWatcher(state_dir, told.append, poll_s=0.01)
    script = ledger_script(state_dir)
    original = LedgerWatcher._read_events
    failures = iter([True])

    def flaky(self: LedgerWatcher, *args: Any) -> None:
        if next(failures, False):
            raise KeyError("an unexpected row")
        original(self, *args)

    monkeypatch.setattr(LedgerWatcher, "_read_events", flaky)
    watcher.start()
    script.event("start", "new session")
    deadline = time.monotonic() + 20
    while not told:
        assert time.monotonic() < deadline, "the watcher stopped after one failed read"
        time.sleep(0.01)
    watcher.stop()
    assert watcher.read_errors == 1 and kinds(told) == ["started"]


def test_drawdown_counts_from_the_peak_the_session_recorded(
        state_dir: Path, ledger_script: Callable[..., LedgerScript]) -> None:
    script = ledger_script(state_dir)  # 1000 initial cash
    script.ledger.record_portfolio(5, 60_000, 1100.0, 1200.0)  # before watching began
    watcher, told = watch(state_dir)
    script.state(BTC, 1130, 120_000)
    [alert] = watcher.poll()
    assert alert.title == "Drawdown 5.83% (limit 5%)"
    assert alert.value_of("peak") == "1,200.00 USDT"
