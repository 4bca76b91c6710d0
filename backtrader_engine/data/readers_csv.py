"""Readers for the CSV layouts: Binance klines, CryptoDataDownload and generic OHLCV CSV."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from backtrader_engine.data.frame import (
    COLUMN_ALIASES,
    TIME_COLUMNS,
    RawOhlcv,
    find_column,
    lower_map,
    require_prices,
    to_float,
)
from backtrader_engine.data.instruments import column_symbols
from backtrader_engine.data.sniff import CsvLayout, decode_head, sniff_csv, zip_csv_members
from backtrader_engine.data.timestamps import row_labeller, to_utc_naive
from backtrader_engine.errors import DataError

#: Binance kline CSV columns; only the first six are used.
BINANCE_COLUMNS: tuple[str, ...] = ("open_time", "open", "high", "low", "close", "volume")

CsvSource = Path | io.BytesIO


def read_csv_checked(src: CsvSource, *, source: str, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` with parser failures turned into a one-line :class:`DataError`.

    *kwargs* are ``read_csv``'s own keywords, passed through.
    """
    try:
        return pd.read_csv(src, low_memory=False, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{source}: cannot parse CSV ({detail}); expected delimited OHLCV rows"
        ) from exc


def _read_binance(src: CsvSource, layout: CsvLayout, *, source: str) -> RawOhlcv:
    """Binance klines are read by position: headers differ between archive generations."""
    skip = layout.skiprows + (1 if layout.header else 0)
    frame = read_csv_checked(
        src,
        source=source,
        sep=layout.sep,
        header=None,
        skiprows=skip,
        usecols=range(len(BINANCE_COLUMNS)),
        names=list(BINANCE_COLUMNS),
    )
    label = row_labeller(skip + 1)
    index = to_utc_naive(frame["open_time"], source=source, column="open_time", label=label)
    columns = {
        col: to_float(frame[col], source=source, column=col, label=label)
        for col in BINANCE_COLUMNS[1:]
    }
    return RawOhlcv(index, columns, volume_column="volume", time_column="open_time")


def cdd_volume_column(columns: list[str]) -> str | None:
    """Return the base-asset volume column of a CryptoDataDownload header.

    CryptoDataDownload lists the base-asset volume (``Volume BTC``, ``volume_btc``,
    ``VolumeFrom``) before the quote-asset volume (``Volume USD``, ``volume``, ``VolumeTo``).
    Base volume is what every other source (Binance, freqtrade, Bybit) calls ``volume``, so the
    first volume-like column is taken.
    """
    for col in columns:
        if str(col).strip().lower().startswith("volume"):
            return str(col)
    return None


def _time_column(frame: pd.DataFrame, lowered: dict[str, str], *, source: str) -> str:
    col = find_column(lowered, TIME_COLUMNS)
    if col is not None:
        return col
    first = str(frame.columns[0])
    # pandas names an empty header field "Unnamed: 0": the index column written by to_csv().
    if first.strip() == "" or first.lower().startswith("unnamed:"):
        return first
    raise DataError(
        f"{source}: no timestamp column; expected one named {', '.join(TIME_COLUMNS)} (any case) "
        f"or an unnamed first column, found: {', '.join(map(str, frame.columns))}"
    )


def _read_named(src: CsvSource, layout: CsvLayout, *, source: str) -> RawOhlcv:
    """Generic and CryptoDataDownload CSV: columns are found by name, in any case."""
    frame = read_csv_checked(src, source=source, sep=layout.sep, skiprows=layout.skiprows, header=0)
    if frame.empty:
        raise DataError(f"{source}: header but no data rows; expected at least one OHLCV row")
    lowered = lower_map(list(frame.columns), source=source)
    prices = require_prices(lowered, source=source)
    time_col = _time_column(frame, lowered, source=source)
    if layout.kind == "cryptodatadownload-csv":
        volume = cdd_volume_column([str(c) for c in frame.columns])
    else:
        volume = find_column(lowered, COLUMN_ALIASES["volume"])
    label = row_labeller(layout.skiprows + 2)
    index = to_utc_naive(frame[time_col], source=source, column=time_col, label=label)
    columns = {
        field: to_float(frame[col], source=source, column=col, label=label)
        for field, col in prices.items()
    }
    if volume is not None:
        columns["volume"] = to_float(frame[volume], source=source, column=volume, label=label)
    return RawOhlcv(index, columns, volume_column=volume, time_column=time_col,
                    symbols=column_symbols(frame, lowered))


def read_csv_text(src: CsvSource, layout: CsvLayout, *, source: str) -> RawOhlcv:
    """Read one CSV source (a path or in-memory bytes) whose layout has been sniffed."""
    if layout.kind == "binance-csv":
        return _read_binance(src, layout, source=source)
    return _read_named(src, layout, source=source)


def read_csv_file(path: Path) -> RawOhlcv:
    """Read a CSV file of any supported CSV layout."""
    with path.open("rb") as handle:
        head = decode_head(handle.read(65536))
    layout = sniff_csv(head, source=str(path))
    return read_csv_text(path, layout, source=str(path))


def read_zip(path: Path) -> list[RawOhlcv]:
    """Read every CSV member of a ZIP archive (data.binance.vision ships one per archive)."""
    parts: list[RawOhlcv] = []
    with zipfile.ZipFile(path) as archive:
        for member in zip_csv_members(path):
            source = f"{path} [{member}]"
            data = archive.read(member)
            layout = sniff_csv(decode_head(data[:65536]), source=source)
            parts.append(read_csv_text(io.BytesIO(data), layout, source=source))
    return parts
