"""Funding-rate series: loading from freqtrade, Bybit/Binance exports, and the CLI argument.

A funding series is a float ``pandas.Series`` named ``funding_rate`` (a fraction per funding
interval: 0.0001 is 0.01%), indexed by a tz-naive UTC ``DatetimeIndex`` named ``datetime``.
Exchanges stamp settlements a few milliseconds after the hour (freqtrade's XRP file has
``00:00:00.017``); those are floored to the whole second so the times line up with bar opens.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import INDEX_NAME, drop_duplicate_rows, find_column, lower_map
from backtrader_engine.data.readers_columnar import read_columnar_frame
from backtrader_engine.data.readers_csv import read_csv_checked
from backtrader_engine.data.sniff import detect_container, require_exists, zip_csv_members
from backtrader_engine.data.timestamps import row_labeller, to_utc_naive
from backtrader_engine.errors import DataError

SERIES_NAME = "funding_rate"

#: Lower-case rate column names (Bybit ``fundingRate``, Binance archives ``last_funding_rate``).
RATE_COLUMNS: tuple[str, ...] = (
    "funding_rate",
    "fundingrate",
    "rate",
    "last_funding_rate",
    "lastfundingrate",
)
#: Lower-case time column names (Bybit ``fundingRateTimestamp``, Binance ``fundingTime``).
FUNDING_TIME_COLUMNS: tuple[str, ...] = (
    "fundingratetimestamp",
    "fundingtime",
    "calc_time",
    "datetime",
    "date",
    "timestamp",
    "time",
)


def _read_table(path: Path, kind: str) -> tuple[pd.DataFrame, int | None]:
    """Read the file as stored; also return the file line of the first data row for CSV."""
    if kind in ("parquet", "feather"):
        return read_columnar_frame(path, kind), None
    if kind == "zip":
        member = zip_csv_members(path)[0]
        with zipfile.ZipFile(path) as archive:
            data = io.BytesIO(archive.read(member))
        return read_csv_checked(data, source=f"{path} [{member}]"), 2
    return read_csv_checked(path, source=str(path)), 2


def _pick_columns(frame: pd.DataFrame, *, source: str) -> tuple[pd.Series | pd.Index, str, str]:
    """Return (times, time column name, rate column name)."""
    lowered = lower_map(list(frame.columns), source=source)
    rate = find_column(lowered, RATE_COLUMNS)
    if rate is None and "open" in lowered:
        # freqtrade stores funding as candles with the rate in "open" and zeros elsewhere.
        rate = lowered["open"]
    if rate is None:
        raise DataError(
            f"{source}: no funding-rate column; expected one of fundingRate, funding_rate, rate, "
            f"last_funding_rate (or freqtrade's 'open'), found: {', '.join(lowered.values())}"
        )
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.index, str(frame.index.name or "index"), rate
    time_col = find_column(lowered, FUNDING_TIME_COLUMNS)
    if time_col is None:
        raise DataError(
            f"{source}: no timestamp column; expected one of fundingRateTimestamp, fundingTime, "
            f"timestamp, time, datetime, date, found: {', '.join(lowered.values())}"
        )
    return frame[time_col], time_col, rate


def canonical_funding(rates: pd.Series, *, source: str) -> pd.Series:
    """Validate and normalise a funding series (index floored to seconds, sorted, unique).

    Raises
    ------
    DataError
        On a non-finite rate, a non-datetime index, or two different rates at one time.
    """
    if not isinstance(rates.index, pd.DatetimeIndex):
        raise DataError(f"{source}: funding index is {type(rates.index).__name__}; expected dates")
    index = rates.index
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    numeric = pd.to_numeric(pd.Series(rates.to_numpy(copy=True)), errors="coerce")
    values = numeric.to_numpy(dtype=np.float64, copy=True)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: funding rate at {index[i]} is '{rates.iloc[i]}'; expected a number "
            "such as 0.0001"
        )
    floored = pd.DatetimeIndex(index, name=INDEX_NAME).as_unit("ns").floor("s")
    frame = pd.DataFrame({SERIES_NAME: values}, index=floored).sort_index(kind="stable")
    frame, _ = drop_duplicate_rows(frame, source=source)
    return frame[SERIES_NAME].copy()


def load_funding(path: str | Path) -> pd.Series:
    """Load a funding-rate history.

    Parameters
    ----------
    path : str or pathlib.Path
        freqtrade ``*-funding_rate.feather`` (rate in ``open``); a CSV, Parquet or Feather file
        with a rate column (``fundingRate``, ``funding_rate``, ``rate``, ``last_funding_rate``)
        and a time column (``fundingRateTimestamp``, ``fundingTime``, ``calc_time``,
        ``timestamp``, ``time``, ``datetime``, ``date``; epoch s/ms/us or dates) or a
        DatetimeIndex; or a data.binance.vision ``fundingRate`` ZIP. Bybit's
        ``get_funding_rate_history`` rows (``symbol,fundingRate,fundingRateTimestamp``) load
        as they are.

    Returns
    -------
    pandas.Series
        float64 rates named ``funding_rate``, ascending naive-UTC index named ``datetime``
        floored to whole seconds.

    Raises
    ------
    DataError
        If the file is missing or has no recognisable rate/time columns, or a value is invalid.
    """
    path = Path(path)
    source = str(path)
    require_exists(path)
    if path.is_dir():
        raise DataError(f"{source}: is a directory; expected one funding-rate file")
    frame, first_line = _read_table(path, detect_container(path))
    if frame.empty:
        raise DataError(f"{source}: no rows; expected funding-rate records")
    times, time_col, rate_col = _pick_columns(frame, source=source)
    index = to_utc_naive(times, source=source, column=time_col, label=row_labeller(first_line))
    rates = pd.Series(frame[rate_col].to_numpy(copy=True), index=index, name=SERIES_NAME)
    return canonical_funding(rates, source=source)


def parse_funding_arg(value: str) -> pd.Series | float:
    """Interpret a ``--funding`` argument: a constant rate or a funding-history file.

    Parameters
    ----------
    value : str
        A number (the rate charged each funding interval, e.g. ``"0.0001"`` for 0.01%) or the
        path of a file :func:`load_funding` can read.

    Returns
    -------
    float or pandas.Series
        The constant rate, or the loaded series.

    Raises
    ------
    DataError
        If *value* is neither a finite number nor a readable funding file.
    """
    text = str(value).strip()
    try:
        rate = float(text)
    except ValueError:
        rate = None
    if rate is not None:
        if not math.isfinite(rate):
            raise DataError(f"funding rate '{text}' is not finite; expected e.g. 0.0001")
        return rate
    if not Path(text).exists():
        raise DataError(
            f"funding '{text}' is neither a number (rate per funding interval, e.g. 0.0001) "
            "nor an existing funding-rate file"
        )
    return load_funding(text)
