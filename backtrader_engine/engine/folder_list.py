"""What ``bte data list --data FOLDER`` prints: each candle file of a folder as ``--data FOLDER
--symbols ...`` reads it (the symbol its name gives, its bar size, range, bars and gaps).

A store that ``bte download`` filled is listed by :mod:`backtrader_engine.data.store_list_text`;
a folder of loose files (the bundled data, a freqtrade ``user_data/data`` folder, exchange
downloads) is listed here, so a user sees which ``--symbols`` a folder can serve before a
portfolio backtest asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backtrader_engine.data import infer_timeframe, load_funding, load_ohlcv, parse_timeframe
from backtrader_engine.data.loader import SUPPORTED_SUFFIXES
from backtrader_engine.engine.job import guess_symbol
from backtrader_engine.errors import DataError
from backtrader_engine.texttable import table


@dataclass(frozen=True)
class FolderFile:
    """One file of the folder: the symbol ``--symbols`` finds it under, and what it holds.

    ``problem`` is set (and the figures are not) when the file cannot be read as candles or
    funding; the listing names it rather than stopping at it.
    """

    path: Path
    symbol: str
    kind: str  # "ohlcv" or "funding"
    timeframe: str | None = None
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    rows: int | None = None
    missing: int | None = None  # bars absent between first and last; None for funding
    problem: str | None = None


def candle_files(folder: Path) -> list[Path]:
    """The files of *folder* that ``--data FOLDER`` considers, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in SUPPORTED_SUFFIXES)


def is_funding_file(path: Path) -> bool:
    """A file whose name holds ``funding`` is its symbol's funding history, not candles."""
    return "funding" in path.name.lower()


def _read(path: Path) -> FolderFile:
    symbol = guess_symbol(path)
    if is_funding_file(path):
        index = load_funding(path).index
        first, last = (index[0], index[-1]) if len(index) else (None, None)
        return FolderFile(path, symbol, "funding", None, first, last, len(index))
    frame = load_ohlcv(path)
    index = frame.index
    timeframe = infer_timeframe(index) if len(index) > 1 else None
    missing = None
    if timeframe is not None:
        expected = int((index[-1] - index[0]) / parse_timeframe(timeframe)) + 1
        missing = expected - len(index)
    first, last = (index[0], index[-1]) if len(index) else (None, None)
    return FolderFile(path, symbol, "ohlcv", timeframe, first, last, len(index), missing)


def list_folder(folder: Path) -> list[FolderFile]:
    """Every candle or funding file in *folder*, read as a portfolio backtest would read it."""
    out = []
    for path in candle_files(folder):
        try:
            out.append(_read(path))
        except (DataError, ValueError, OSError) as exc:
            # One unreadable file should not hide what the rest of the folder holds.
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out.append(FolderFile(path, guess_symbol(path), "?", problem=first_line))
    return out


def format_folder_list(files: list[FolderFile]) -> str:
    """A table: file, symbol, timeframe, from, to, bars, missing bars; unreadable files last."""
    def when(moment: pd.Timestamp | None) -> str:
        return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"

    readable = [f for f in files if f.problem is None]
    rows = [[f.path.name, f.symbol, "funding" if f.kind == "funding" else (f.timeframe or "-"),
             when(f.first), when(f.last), str(f.rows),
             "-" if f.missing is None else str(f.missing)] for f in readable]
    lines = table(["FILE", "SYMBOL", "TIMEFRAME", "FROM (UTC)", "TO (UTC)", "BARS", "MISSING"],
                  rows, "<<<<<>>")
    lines += [f"not readable: {f.path.name}: {f.problem}" for f in files if f.problem]
    return "\n".join(lines)
