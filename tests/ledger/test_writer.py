"""The ledger's input log: bars in order, exactly once, across reopening."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.ledger import LedgerDivergence, LedgerWriter


def test_bars_are_logged_once_and_in_order(tmp_path: Path, btc_1m: pd.DataFrame,
                                           to_contexts: Callable[..., list]) -> None:
    bars = to_contexts(btc_1m.iloc[:5], spread=1.0)
    ledger = LedgerWriter(tmp_path)
    assert [ledger.append_bar(b) for b in bars[:3]] == [0, 1, 2]
    assert ledger.append_bar(bars[1]) == 1  # a repeat keeps its row
    ledger.close()
    reopened = LedgerWriter(tmp_path)
    assert reopened.append_bar(bars[2]) == 2
    assert reopened.append_bar(bars[4]) == 3  # a gap is allowed; going back is not
    with pytest.raises(LedgerDivergence, match="must be logged in order"):
        reopened.append_bar(bars[3])
    assert [c.start for c in reopened.bars("BTCUSDT", "1")] == [
        b.start for b in (bars[0], bars[1], bars[2], bars[4])]
    assert reopened.bars("BTCUSDT", "1")[0].asks == bars[0].asks
    reopened.close()


def test_a_staged_bar_commits_with_the_next_write_and_never_after_it(
        tmp_path: Path, btc_1m: pd.DataFrame, to_contexts: Callable[..., list]) -> None:
    bars = to_contexts(btc_1m.iloc[:4], spread=1.0)
    ledger = LedgerWriter(tmp_path)
    assert ledger.append_bar(bars[0]) == 0
    assert ledger.append_bar(bars[1], defer=True) == 1
    assert ledger.append_bar(bars[1], defer=True) == 1  # a repeat of a staged bar keeps it
    assert ledger.staged_bars == 1
    reader = LedgerWriter(tmp_path)  # another connection sees only what is committed
    assert [c.start for c in reader.bars("BTCUSDT", "1")] == [bars[0].start]
    # The outputs of the staged bar's step carry it: one transaction, both or neither.
    ledger.write_outputs([("equity", {"account": "a", "bar_seq": 1, "ts_ms": 1,
                                      "value": 1.0})])
    assert ledger.staged_bars == 0
    assert [c.start for c in reader.bars("BTCUSDT", "1")] == [bars[0].start, bars[1].start]
    # A write that fails rolls the staged bar back with it; the next one writes both.
    assert ledger.append_bar(bars[2], defer=True) == 2
    with pytest.raises(ValueError, match="not an output table"):
        ledger.write_outputs([("bars", {"symbol": "x"})])
    assert ledger.staged_bars == 1
    assert len(reader.bars("BTCUSDT", "1")) == 2
    ledger.record_event("note", "commits the staged bar")
    assert len(reader.bars("BTCUSDT", "1")) == 3
    assert ledger.append_bar(bars[3], defer=True) == 3
    ledger.close()  # closing writes what is staged
    assert [c.start for c in reader.bars("BTCUSDT", "1")] == [b.start for b in bars]
    reader.close()


def test_a_bar_write_that_fails_leaves_the_ledger_as_it_was(
        tmp_path: Path, btc_1m: pd.DataFrame, to_contexts: Callable[..., list]) -> None:
    bars = to_contexts(btc_1m.iloc[:2], spread=1.0)
    ledger = LedgerWriter(tmp_path)
    blocker = LedgerWriter(tmp_path)
    blocker._db.execute("PRAGMA busy_timeout=0")
    ledger._db.execute("PRAGMA busy_timeout=0")
    blocker._db.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    with pytest.raises(Exception, match="locked"):
        ledger.append_bar(bars[0])
    blocker._db.execute("ROLLBACK")
    assert ledger.staged_bars == 0
    assert ledger.append_bar(bars[0]) == 0  # the same sequence number, not a gap
    assert ledger.append_bar(bars[1]) == 1
    ledger.close()
    blocker.close()
