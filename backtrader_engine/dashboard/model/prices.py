"""Price with trade markers: one symbol's bars and fills, read from the paper ledger.

The snapshot holds only the most recent fills and no prices, so this reads the ledger's
``bars`` and ``fills`` tables directly, through the same read-only connection the snapshot
uses (:func:`~backtrader_engine.operations.snapshot.open_ledger`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backtrader_engine.errors import UserError
from backtrader_engine.operations.snapshot import open_ledger
from backtrader_engine.paper.ledger import FILENAME

DEFAULT_BARS = 300


@dataclass(frozen=True)
class PriceHistory:
    """The last bars of one symbol and the fills within them.

    Attributes
    ----------
    symbol, interval
        The symbol and the Bybit interval of the bars (its shortest one in the ledger).
    bars
        Columns ``time`` (bar close, UTC) and ``close``.
    fills
        Columns ``time``, ``side``, ``price``, ``size``, ``account``, ``pnl``.
    """

    symbol: str
    interval: str
    bars: pd.DataFrame
    fills: pd.DataFrame


def price_history(state_dir: Path | str, symbol: str, *, bars: int = DEFAULT_BARS
                  ) -> PriceHistory | None:
    """The last *bars* bars of *symbol* with its fills; ``None`` when the ledger has none.

    Raises
    ------
    UserError
        No ledger under *state_dir*, or one that cannot be read.
    """
    db = open_ledger(state_dir)
    try:
        return _read(db, symbol, bars)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{Path(state_dir) / FILENAME}: unreadable ledger ({exc})") from None
    finally:
        db.close()


def _read(db: sqlite3.Connection, symbol: str, limit: int) -> PriceHistory | None:
    # A strategy with confirmation timeframes stores several intervals: chart the finest.
    row = db.execute("SELECT interval FROM bars WHERE symbol=? GROUP BY interval "
                     "ORDER BY MIN(end_ms - start) LIMIT 1", (symbol,)).fetchone()
    if row is None:
        return None
    interval = row["interval"]
    rows = db.execute("SELECT end_ms, close FROM bars WHERE symbol=? AND interval=? "
                      "ORDER BY seq DESC LIMIT ?", (symbol, interval, limit)).fetchall()
    frame = pd.DataFrame([(r["end_ms"] + 1, r["close"]) for r in reversed(rows)],
                         columns=["ts_ms", "close"])
    first, last = int(frame["ts_ms"].iloc[0]), int(frame["ts_ms"].iloc[-1])
    # A fill at a bar's close carries that close time, so the first bar's own close is in.
    fills = pd.DataFrame([dict(r) for r in db.execute(
        "SELECT ts_ms, side, price, size, account, pnl FROM fills WHERE symbol=? AND "
        "ts_ms BETWEEN ? AND ? ORDER BY ts_ms, account, order_seq, fill_seq",
        (symbol, first, last))], columns=["ts_ms", "side", "price", "size", "account", "pnl"])
    for table in (frame, fills):
        table.insert(0, "time", pd.to_datetime(table.pop("ts_ms"), unit="ms", utc=True))
    return PriceHistory(symbol, str(interval), frame, fills)
