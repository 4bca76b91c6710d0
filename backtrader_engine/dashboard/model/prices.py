"""Price with trade markers: one symbol's bars and fills, read from the paper ledger.

The snapshot holds only the most recent fills and no prices, so this reads the ledger's
bars and fills itself, through the same read-only reader the snapshot opens
(:func:`~backtrader_engine.operations.snapshot.open_ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReader, LedgerReadError, ledger_path
from backtrader_engine.operations.snapshot import open_ledger

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
    reader = open_ledger(state_dir)
    try:
        return _read(reader, symbol, bars)
    except LedgerReadError as exc:
        raise UserError(f"{ledger_path(state_dir)}: unreadable ledger ({exc})") from None
    finally:
        reader.close()


def _read(reader: LedgerReader, symbol: str, limit: int) -> PriceHistory | None:
    # A strategy with confirmation timeframes stores several intervals: chart the finest.
    interval = reader.finest_interval(symbol)
    if interval is None:
        return None
    rows = reader.recent_bars(symbol, interval, limit)
    frame = pd.DataFrame([(r.end_ms + 1, r.close) for r in rows], columns=["ts_ms", "close"])
    first, last = int(frame["ts_ms"].iloc[0]), int(frame["ts_ms"].iloc[-1])
    # A fill at a bar's close carries that close time, so the first bar's own close is in.
    fills = pd.DataFrame([(f.ts_ms, f.side, f.price, f.size, f.account, f.pnl)
                          for f in reader.fills_in(first, last + 1, symbol=symbol)],
                         columns=["ts_ms", "side", "price", "size", "account", "pnl"])
    for table in (frame, fills):
        table.insert(0, "time", pd.to_datetime(table.pop("ts_ms"), unit="ms", utc=True))
    return PriceHistory(symbol, str(interval), frame, fills)
