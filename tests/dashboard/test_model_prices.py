"""Price with trade markers: bars and fills of one symbol from the ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import price_history
from backtrader_engine.errors import UserError


def test_the_last_bars_with_the_fills_inside_them(ledger: Path) -> None:
    history = price_history(ledger, "BTCUSDT", bars=120)
    assert history is not None and history.interval == "60"
    assert len(history.bars) == 120 and history.bars["time"].is_monotonic_increasing
    first, last = history.bars["time"].iloc[0], history.bars["time"].iloc[-1]
    assert not history.fills.empty
    assert history.fills["time"].between(first, last).all()
    db = sqlite3.connect(f"file:{ledger / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        closes = db.execute("SELECT close FROM bars WHERE symbol='BTCUSDT' AND interval='60' "
                            "ORDER BY seq DESC LIMIT 120").fetchall()
        inside = db.execute("SELECT COUNT(*) FROM fills WHERE symbol='BTCUSDT' AND ts_ms "
                            "BETWEEN ? AND ?", (int(first.value // 1_000_000),
                                                int(last.value // 1_000_000))).fetchone()[0]
    finally:
        db.close()
    assert list(history.bars["close"]) == [c for (c,) in reversed(closes)]
    assert len(history.fills) == inside
    assert set(history.fills["side"]) <= {"buy", "sell"}


def test_a_symbol_without_bars_has_no_history(ledger: Path) -> None:
    assert price_history(ledger, "DOGEUSDT") is None


def test_missing_or_damaged_ledgers_raise_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no paper ledger"):
        price_history(tmp_path, "BTCUSDT")
    (tmp_path / "ledger.sqlite").write_bytes(b"garbage" * 100)
    with pytest.raises(UserError, match="unreadable ledger"):
        price_history(tmp_path, "BTCUSDT")
