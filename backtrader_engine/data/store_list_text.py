"""What ``bte data list`` prints: each stored series with its range, bars and gaps."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from backtrader_engine.data.store import DataStore, StoreEntry
from backtrader_engine.data.timeframes import parse_timeframe
from backtrader_engine.texttable import table


@dataclass(frozen=True)
class StoredSeries:
    """One stored series as listed: its key, first and last time, rows and missing bars."""

    entry: StoreEntry
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    missing: int | None  # bars absent between first and last; None for funding


def list_store(store: DataStore) -> list[StoredSeries]:
    """Every series in *store*, with its range and, for candles, the bars missing inside it."""
    out: list[StoredSeries] = []
    for entry in store.available():
        if entry.kind == "funding":
            index = store.read_funding(entry.exchange, entry.symbol).index
            missing = None
        else:
            index = store.read(entry.exchange, entry.symbol, entry.timeframe).index
            step = parse_timeframe(entry.timeframe)
            expected = int((index[-1] - index[0]) / step) + 1 if len(index) else 0
            missing = expected - len(index)
        first, last = (index[0], index[-1]) if len(index) else (None, None)
        out.append(StoredSeries(entry, first, last, missing))
    return out


def format_store_list(series: list[StoredSeries]) -> str:
    """A table: exchange, symbol, timeframe, from, to, bars, missing bars."""
    def when(moment: pd.Timestamp | None) -> str:
        return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"

    rows = [[s.entry.exchange, s.entry.symbol, s.entry.timeframe, when(s.first), when(s.last),
             str(s.entry.rows), "-" if s.missing is None else str(s.missing)] for s in series]
    return "\n".join(table(["EXCHANGE", "SYMBOL", "TIMEFRAME", "FROM (UTC)", "TO (UTC)", "BARS",
                            "MISSING"], rows, "<<<<<>>"))
