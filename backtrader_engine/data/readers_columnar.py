"""Readers for columnar files: freqtrade Feather, other Feather/Arrow IPC and Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

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
from backtrader_engine.data.timestamps import row_labeller, to_utc_naive
from backtrader_engine.errors import DataError


def read_columnar_frame(path: Path, kind: str) -> pd.DataFrame:
    """Read a Parquet or Feather file into a DataFrame, as stored (no normalisation).

    Raises
    ------
    DataError
        If pyarrow cannot read the file.
    """
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_feather(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(
            f"{path}: cannot read {kind} file ({exc}); re-create or re-download it"
        ) from exc


def columnar_times(frame: pd.DataFrame, *, source: str) -> tuple[pd.Series | pd.Index, str]:
    """Return the timestamp values and their column name: the index if it holds datetimes."""
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.index, str(frame.index.name or "index")
    lowered = lower_map(list(frame.columns), source=source)
    col = find_column(lowered, TIME_COLUMNS)
    if col is None:
        raise DataError(
            f"{source}: no timestamps; expected a DatetimeIndex or a column named "
            f"{', '.join(TIME_COLUMNS)} (any case), found: {', '.join(map(str, frame.columns))}"
        )
    return frame[col], col


def read_columnar(path: Path, kind: str) -> RawOhlcv:
    """Read freqtrade Feather, other Feather or Parquet OHLCV into raw columns."""
    source = str(path)
    frame = read_columnar_frame(path, kind)
    if frame.empty:
        raise DataError(f"{source}: file holds no rows; expected OHLCV bars")
    times, time_col = columnar_times(frame, source=source)
    lowered = lower_map(list(frame.columns), source=source)
    prices = require_prices(lowered, source=source)
    volume = find_column(lowered, COLUMN_ALIASES["volume"])
    label = row_labeller(None)
    index = to_utc_naive(times, source=source, column=time_col, label=label)
    columns = {
        field: to_float(frame[col], source=source, column=col, label=label)
        for field, col in prices.items()
    }
    if volume is not None:
        columns["volume"] = to_float(frame[volume], source=source, column=volume, label=label)
    return RawOhlcv(index, columns, volume_column=volume, time_column=time_col,
                    symbols=column_symbols(frame, lowered))
