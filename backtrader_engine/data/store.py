"""On-disk store of OHLCV and funding series: ``<root>/<exchange>/<symbol>/<timeframe>.parquet``.

Funding lives next to the candles as ``<root>/<exchange>/<symbol>/funding.parquet``. Exchange
names are lower-cased (as ccxt ids are); symbols are kept as given (``BTCUSDT``). Timeframes
are stored under their canonical name, so ``"60"`` and ``"1h"`` address the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from backtrader_engine.data.frame import INDEX_NAME, canonicalize
from backtrader_engine.data.funding import SERIES_NAME, canonical_funding, load_funding
from backtrader_engine.data.loader import load_ohlcv
from backtrader_engine.data.parquet_io import write_parquet_atomic
from backtrader_engine.data.timeframes import canonical_timeframe
from backtrader_engine.data.timestamps import parse_bound
from backtrader_engine.errors import DataError, did_you_mean

FUNDING_STEM = "funding"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class StoreEntry:
    """One stored series: ``kind`` is ``"ohlcv"`` or ``"funding"`` (timeframe ``"funding"``)."""

    exchange: str
    symbol: str
    timeframe: str
    kind: str
    path: Path
    rows: int


@dataclass(frozen=True)
class MergeResult:
    """Outcome of a merge: new timestamps, existing timestamps whose values changed, total."""

    added: int
    replaced: int
    rows: int


def _check_name(value: str, what: str) -> str:
    text = str(value).strip()
    if not _NAME.match(text):
        raise DataError(
            f"invalid {what} '{value}'; expected letters, digits, '.', '_' or '-' "
            "(e.g. 'bybit', 'BTCUSDT'), without '/' or ':'"
        )
    return text


def _merge_frames(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, MergeResult]:
    """Union of two sorted frames; on a shared timestamp the row from *new* wins."""
    shared = old.index.intersection(new.index)
    before, after = old.loc[shared], new.loc[shared]
    same = before.eq(after) | (before.isna() & after.isna())
    replaced = int((~same).any(axis=1).sum())
    merged = pd.concat([old.drop(index=shared), new]).sort_index(kind="stable")
    merged.index = pd.DatetimeIndex(merged.index, name=INDEX_NAME).as_unit("ns")
    added = len(new.index) - len(shared)
    return merged, MergeResult(added=added, replaced=replaced, rows=len(merged))


class DataStore:
    """Parquet store of OHLCV candles and funding rates.

    Parameters
    ----------
    root : str or pathlib.Path
        Base directory, ``data`` (relative to the working directory) by default.

    Notes
    -----
    Every write goes to a temporary file in the target directory and is renamed into place,
    so readers (a paper-trading process, a parallel study) never see a partial file.

    :meth:`merge` resolves overlaps in favour of the new rows: an exchange keeps revising the
    latest candle until it closes, and corrections to older candles are rare but real, so the
    most recent download is the better copy. :class:`MergeResult` reports how many stored rows
    were replaced with different values.
    """

    def __init__(self, root: str | Path = Path("data")) -> None:
        self.root = Path(root)

    def _dir(self, exchange: str, symbol: str) -> Path:
        return self.root / _check_name(exchange, "exchange").lower() / _check_name(symbol, "symbol")

    def path_for(self, exchange: str, symbol: str, timeframe: str) -> Path:
        """Path of the candle file; the timeframe may be given in any accepted spelling."""
        return self._dir(exchange, symbol) / f"{canonical_timeframe(timeframe)}.parquet"

    def funding_path(self, exchange: str, symbol: str) -> Path:
        """Path of the funding-rate file of a symbol."""
        return self._dir(exchange, symbol) / f"{FUNDING_STEM}.parquet"

    def _missing(self, path: Path, exchange: str, symbol: str, what: str) -> DataError:
        stored = [f"{e.exchange}/{e.symbol}/{e.timeframe}" for e in self.available()]
        wanted = f"{exchange.lower()}/{symbol}/{what}"
        hint = did_you_mean(wanted, stored)
        have = ", ".join(stored[:10]) or "nothing yet"
        return DataError(f"{path}: not in the store{hint}; stored: {have}")

    def read(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Read stored candles, optionally limited to inclusive ``start``/``end`` bounds.

        Raises
        ------
        DataError
            If nothing is stored under that key (close matches are suggested) or no bar lies
            within the bounds.
        """
        path = self.path_for(exchange, symbol, timeframe)
        if not path.exists():
            raise self._missing(path, exchange, symbol, canonical_timeframe(timeframe))
        return load_ohlcv(path, start=start, end=end)

    def write(self, exchange: str, symbol: str, timeframe: str, df: pd.DataFrame) -> Path:
        """Replace the stored candles with *df* (canonicalised first), atomically."""
        path = self.path_for(exchange, symbol, timeframe)
        frame = canonicalize(df, source=str(path))
        return write_parquet_atomic(frame, path)

    def merge(self, exchange: str, symbol: str, timeframe: str, df: pd.DataFrame) -> MergeResult:
        """Add *df* to the stored candles; on a shared timestamp the new row wins."""
        path = self.path_for(exchange, symbol, timeframe)
        new = canonicalize(df, source=str(path))
        if not path.exists():
            write_parquet_atomic(new, path)
            return MergeResult(added=len(new), replaced=0, rows=len(new))
        merged, result = _merge_frames(load_ohlcv(path), new)
        write_parquet_atomic(merged, path)
        return result

    def last_timestamp(self, exchange: str, symbol: str, timeframe: str) -> pd.Timestamp | None:
        """Open time of the newest stored bar, or ``None`` when nothing is stored."""
        path = self.path_for(exchange, symbol, timeframe)
        if not path.exists():
            return None
        stamps = pq.read_table(path, columns=[INDEX_NAME]).column(INDEX_NAME).to_pandas()
        return None if stamps.empty else pd.Timestamp(stamps.max())

    def write_funding(self, exchange: str, symbol: str, rates: pd.Series) -> Path:
        """Replace the stored funding series of a symbol, atomically."""
        path = self.funding_path(exchange, symbol)
        return write_parquet_atomic(canonical_funding(rates, source=str(path)), path)

    def merge_funding(self, exchange: str, symbol: str, rates: pd.Series) -> MergeResult:
        """Add funding records; on a shared timestamp the new rate wins."""
        path = self.funding_path(exchange, symbol)
        new = canonical_funding(rates, source=str(path)).to_frame()
        if not path.exists():
            write_parquet_atomic(new, path)
            return MergeResult(added=len(new), replaced=0, rows=len(new))
        merged, result = _merge_frames(load_funding(path).to_frame(), new)
        write_parquet_atomic(merged[SERIES_NAME], path)
        return result

    def read_funding(
        self,
        exchange: str,
        symbol: str,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> pd.Series:
        """Read the stored funding series, optionally limited to inclusive bounds."""
        path = self.funding_path(exchange, symbol)
        if not path.exists():
            raise self._missing(path, exchange, symbol, FUNDING_STEM)
        rates = load_funding(path)
        lower, upper = parse_bound(start, name="start"), parse_bound(end, name="end")
        if lower is not None:
            rates = rates.loc[rates.index >= lower]
        if upper is not None:
            rates = rates.loc[rates.index <= upper]
        return rates.copy()

    def available(self) -> list[StoreEntry]:
        """Every stored series, sorted by exchange, symbol and timeframe file name."""
        entries: list[StoreEntry] = []
        if not self.root.is_dir():
            return entries
        for path in sorted(self.root.glob("*/*/*.parquet")):
            if path.name.startswith("."):
                continue  # a temporary file of a write in progress
            kind = "funding" if path.stem == FUNDING_STEM else "ohlcv"
            rows = pq.ParquetFile(path).metadata.num_rows
            exchange, symbol = path.parent.parent.name, path.parent.name
            entries.append(StoreEntry(exchange, symbol, path.stem, kind, path, rows))
        return entries
