"""A strategy that raises in paper trading stops its own sub-accounts, reported in the same
short form as in a backtest (its own frames, the bar), while the other sub-accounts go on."""

from __future__ import annotations

import logging
import sqlite3
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.paper.session import PaperSession

from .conftest import wait_for_bars

FLAKY = """
    import backtrader as bt


    class Flaky(bt.Strategy):
        def next(self):
            if len(self) > 305:  # the 300 warm-up bars, then 5 live ones
                self.data.close[0] / 0
"""


def test_a_raising_strategy_stops_only_its_accounts_with_the_short_message(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "flaky.py"
    path.write_text(textwrap.dedent(FLAKY))
    state = tmp_path / "state"
    caplog.set_level(logging.ERROR, logger="backtrader_engine.paper.account")
    session = paper_session(state, strategies=(f"{path}:Flaky", "RSIEMAMomentumStrategy"))
    try:
        wait_for_bars(state, 40)
        alive = {account.spec.name: account.alive for account in session.accounts
                 if not account.spec.name.startswith("ManualSignal")}
    finally:
        session.stop()
    assert alive == {"Flaky:BTCUSDT": False, "Flaky:ETHUSDT": False,
                     "RSIEMAMomentumStrategy:BTCUSDT": True,
                     "RSIEMAMomentumStrategy:ETHUSDT": True}
    db = sqlite3.connect(state / "ledger.sqlite")
    try:
        events = db.execute("SELECT account, detail FROM events WHERE kind = 'account_error' "
                            "ORDER BY account").fetchall()
    finally:
        db.close()
    assert [account for account, _ in events] == ["Flaky:BTCUSDT", "Flaky:ETHUSDT"]
    for _, detail in events:
        # The 306th 1m bar of the day: the fifth live bar after the 300 warm-up bars.
        assert detail.startswith("Flaky raised ZeroDivisionError: float division by zero at "
                                 "bar 2022-09-05 05:05 UTC (")
        assert detail.endswith("flaky.py:8)")
    messages = [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()]
    assert len(messages) == 2
    for message in messages:
        assert "strategy Flaky raised an exception at bar " in message
        assert message.endswith("self.data.close[0] / 0")
    assert all(r.exc_info is None for r in caplog.records)  # no engine traceback logged


SLOW = """
    import backtrader as bt


    class Slow(bt.Strategy):
        def __init__(self):
            self.ema = bt.ind.EMA(period=320)
"""


def test_a_strategy_longer_than_the_warm_up_is_announced_once(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "slow.py"
    path.write_text(textwrap.dedent(SLOW))
    state = tmp_path / "state"
    caplog.set_level(logging.WARNING, logger="backtrader_engine.engine.bars_needed")
    session = paper_session(state, strategies=(f"{path}:Slow",))
    try:
        wait_for_bars(state, 2)
    finally:
        session.stop()
    warnings = sorted(r.getMessage() for r in caplog.records
                      if r.name == "backtrader_engine.engine.bars_needed")
    assert warnings == [
        f"account Slow:{symbol}: Slow needs 320 bars (its longest indicator period) but the "
        "warm-up has 300; it makes no decision before the 20th live bar (raise --warmup-bars "
        "to at least 320 to start at once)" for symbol in ("BTCUSDT", "ETHUSDT")]


def test_parity_replays_a_raising_and_a_never_ready_strategy_without_a_traceback(
        tmp_path: Path, paper_session: Callable[..., PaperSession], cli) -> None:
    flaky, slow = tmp_path / "flaky.py", tmp_path / "slow.py"
    flaky.write_text(textwrap.dedent(FLAKY))
    # Longer than the whole test day: its indicators are never ready.
    slow.write_text(textwrap.dedent(SLOW).replace("period=320", "period=5000"))
    state = tmp_path / "state"
    session = paper_session(state, strategies=(f"{flaky}:Flaky", f"{slow}:Slow"))
    try:
        wait_for_bars(state, 16)  # Flaky has failed by its 5th live bar
    finally:
        session.stop()
    result = cli("parity", "--state", str(state))
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.err
