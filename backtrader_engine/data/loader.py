"""``load_ohlcv``: detect a file's layout, read it and return the canonical OHLCV frame."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import (
    RawOhlcv,
    drop_empty_volume,
    finalize,
    slice_range,
    source_order,
)
from backtrader_engine.data.instruments import check_joins, check_one_instrument
from backtrader_engine.data.readers_columnar import read_columnar
from backtrader_engine.data.readers_csv import read_csv_file, read_zip
from backtrader_engine.data.sniff import (
    SUPPORTED_SUFFIXES,
    detect_format,
    require_exists,
    supported_layouts,
)
from backtrader_engine.data.timeframes import infer_timeframe
from backtrader_engine.data.timestamps import parse_bound
from backtrader_engine.errors import DataError

_GLOB_CHARS = ("*", "?", "[")


@dataclass(frozen=True)
class LoadInfo:
    """What happened while loading, for the data-quality report.

    Attributes
    ----------
    path : str
        The path (or glob) as given.
    format : str
        Detected layout (see :data:`backtrader_engine.data.sniff.FORMATS`).
    rows : int
        Rows returned (after de-duplication and the start/end filter).
    source_rows : int
        Rows read from the source(s).
    duplicates_dropped : int
        Rows dropped because they repeated an earlier row exactly (timestamp and values).
    source_order : str
        ``"ascending"``, ``"descending"`` (CryptoDataDownload lists newest first),
        ``"mostly ascending"``, ``"mostly descending"`` or ``"unsorted"``; the frame itself is
        always sorted ascending.
    out_of_order : int
        Consecutive source rows that step against the main direction.
    time_column : str
        The column (or index) the timestamps came from.
    volume_column : str or None
        The column used as volume, ``None`` when there was none.
    volume_filled : bool
        True when the source had no volume column (or one holding only NaN, as in freqtrade
        mark-price files) and volume was set to 0.
    files : tuple of str
        The files read; one entry unless a directory or glob was given.
    member_formats : tuple of str
        The detected layout of each file in ``files``.
    """

    path: str
    format: str
    rows: int
    source_rows: int
    duplicates_dropped: int
    source_order: str
    out_of_order: int
    time_column: str
    volume_column: str | None
    volume_filled: bool
    files: tuple[str, ...] = field(default_factory=tuple)
    member_formats: tuple[str, ...] = field(default_factory=tuple)


def _read_file(path: Path, kind: str) -> list[RawOhlcv]:
    if kind in ("parquet", "feather", "freqtrade-feather"):
        return [read_columnar(path, "parquet" if kind == "parquet" else "feather")]
    if kind in ("binance-zip", "csv-zip"):
        return read_zip(path)
    return [read_csv_file(path)]


def _expand(path_text: str) -> tuple[list[Path], bool]:
    """Resolve a file, directory or glob to the files to read; flag multi-file sources."""
    path = Path(path_text)
    if not path.exists() and any(ch in path_text for ch in _GLOB_CHARS):
        matches = sorted(Path(p) for p in glob.glob(path_text) if Path(p).is_file())
        if not matches:
            raise DataError(f"{path_text}: no file matches this pattern; expected at least one")
        return matches, True
    require_exists(path)
    if not path.is_dir():
        return [path], False
    # Only known extensions are read so that README/CHECKSUM files next to archives are skipped.
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not files:
        raise DataError(
            f"{path}: directory holds no data file; expected files ending in "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
    return files, True


# data.binance.vision archive names: SYMBOL-INTERVAL-YYYY-MM[-DD].zip
_ARCHIVE_NAME = re.compile(r"^([A-Za-z0-9_]+)-(\d+[smhdwM])-\d{4}-\d{2}(?:-\d{2})?\.")


def _check_one_series(files: list[Path], parts: list[list[RawOhlcv]]) -> None:
    """Refuse a multi-file load that mixes instruments or bar sizes.

    Concatenating BTCUSDT 1m archives with ETHUSDT 1h ones gives a frame that loads without a
    conflict but means nothing, so every file must show the same bar spacing, and archives
    named like data.binance.vision's must name the same symbol and interval.
    """
    names = [m for f in files if (m := _ARCHIVE_NAME.match(f.name)) is not None]
    if len(names) == len(files):
        first = names[0].group(1, 2)
        for f, match in zip(files, names, strict=True):
            if match.group(1, 2) != first:
                raise DataError(
                    f"{f}: {match.group(1)} {match.group(2)} next to {first[0]} {first[1]} "
                    f"({files[0].name}); a folder or pattern must hold one symbol and interval"
                )
    spacing: tuple[Path, str] | None = None
    for f, file_parts in zip(files, parts, strict=True):
        index = pd.DatetimeIndex([]).append([p.index for p in file_parts])
        if len(index.unique()) < 2:
            continue
        tf = infer_timeframe(index.sort_values())
        if spacing is None:
            spacing = (f, tf)
        elif tf != spacing[1]:
            raise DataError(
                f"{f}: bars are {tf} apart but {spacing[0].name} has {spacing[1]} bars; a folder "
                f"or pattern must hold one symbol and one timeframe"
            )


def _concat(parts: list[RawOhlcv]) -> RawOhlcv:
    if len(parts) == 1:
        return parts[0]
    has_volume = all("volume" in p.columns for p in parts)
    names = [c for c in parts[0].columns if has_volume or c != "volume"]
    index = parts[0].index.append([p.index for p in parts[1:]])
    columns = {name: np.concatenate([p.columns[name] for p in parts]) for name in names}
    return RawOhlcv(
        pd.DatetimeIndex(index),
        columns,
        volume_column=parts[0].volume_column if has_volume else None,
        time_column=parts[0].time_column,
    )


def load_with_report(
    path: str | Path,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, LoadInfo]:
    """Load OHLCV bars like :func:`load_ohlcv` and also describe how they were loaded.

    Parameters
    ----------
    path : str or pathlib.Path
        A data file, a directory (every supported file in it is loaded and concatenated, e.g.
        daily Binance archives) or a glob such as ``"data/BTCUSDT-1m-2022-09-*.zip"``.
    start, end : str or pandas.Timestamp, optional
        Inclusive bounds; naive values are UTC, aware values are converted to UTC.

    Returns
    -------
    tuple of (pandas.DataFrame, LoadInfo)
        The canonical frame and the load details.

    Raises
    ------
    DataError
        For a missing path, an unknown layout (the message lists the supported ones),
        unparsable timestamps or numbers, missing OHLC columns, same-timestamp rows with
        different values, or no bars within ``start``/``end``.
    """
    path_text = str(path)
    lower, upper = parse_bound(start, name="start"), parse_bound(end, name="end")
    files, multi = _expand(path_text)
    kinds = [detect_format(f) for f in files]
    per_file = [_read_file(f, kind) for f, kind in zip(files, kinds, strict=True)]
    check_one_instrument(files, per_file, path_text)
    if multi:
        _check_one_series(files, per_file)
        check_joins(files, per_file, path_text)
    parts = [part for file_parts in per_file for part in file_parts]
    raw = drop_empty_volume(_concat(parts))
    if len(raw.index) == 0:
        raise DataError(
            f"{path_text}: no rows; expected OHLCV bars. Supported: {supported_layouts()}"
        )
    frame, dropped = finalize(raw, source=path_text)
    frame = slice_range(frame, lower, upper, source=path_text)
    order, against = source_order(raw.index)
    info = LoadInfo(
        path=path_text,
        format="directory" if multi else kinds[0],
        rows=len(frame),
        source_rows=len(raw.index),
        duplicates_dropped=dropped,
        source_order=order,
        out_of_order=against,
        time_column=raw.time_column,
        volume_column=raw.volume_column,
        volume_filled="volume" not in raw.columns,
        files=tuple(str(f) for f in files),
        member_formats=tuple(kinds),
    )
    return frame, info


def load_ohlcv(
    path: str | Path,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Load OHLCV bars from any supported layout into the canonical frame.

    Parameters
    ----------
    path : str or pathlib.Path
        A data file, a directory of data files, or a glob pattern. The layout is detected from
        the content: freqtrade Feather, Feather, Parquet, Binance kline ZIP/CSV (with or without
        header; ms or us timestamps), CryptoDataDownload CSV, or generic OHLCV CSV.
    start, end : str or pandas.Timestamp, optional
        Inclusive bounds; naive values are UTC, aware values are converted to UTC.

    Returns
    -------
    pandas.DataFrame
        float64 columns ``open, high, low, close, volume`` (volume 0 when the source has none),
        indexed by an ascending, unique, tz-naive UTC ``DatetimeIndex`` named ``datetime``
        (``datetime64[ns]``). Exact duplicate rows are dropped. Use
        ``df[col].to_numpy(copy=True)`` for a writable array: under pandas copy-on-write a plain
        ``to_numpy()`` is a read-only view.

    Raises
    ------
    DataError
        See :func:`load_with_report`.
    """
    frame, _ = load_with_report(path, start=start, end=end)
    return frame
