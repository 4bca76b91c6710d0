"""Which instrument a data source holds, so that two instruments are never joined into one.

A folder holding BTCUSDT and ETHUSDT candles of different months concatenates without a
timestamp conflict, and the join looks like a 98% crash. The instrument is read from a
symbol column (CryptoDataDownload, ccxt exports) or from the file name (data.binance.vision
``BTCUSDT-1m-2022-09-05.zip``, freqtrade ``XRP_USDT_USDT-1h-futures.feather``,
``Coinbase_BTCUSD_1h.csv``); when no name says it, a price jump where one file ends and the
next begins gives the join away.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import RawOhlcv
from backtrader_engine.errors import DataError

#: Column names holding the instrument, lower case.
SYMBOL_COLUMNS: tuple[str, ...] = ("symbol", "pair", "ticker", "instrument")

#: Quote currencies a symbol may end with, longest first so USDT wins over USD.
_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH")
#: Quotes that make a pair of two separate name parts (``btc_usdt``, ``eth-btc``); BTC and
#: ETH alone would read ``jan_btc`` as a pair JAN/BTC.
_SPLIT_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR")
_BASE = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{2,12}$")

#: A move larger than this factor from one file's last close to the next file's first open
#: is not a market move but two instruments side by side.
JOIN_JUMP = 3.0


def symbol_from_name(name: str) -> str | None:
    """The instrument a file name gives, e.g. ``"BTCUSDT"``; ``None`` when it names none."""
    stem = name.split(".", 1)[0].upper()
    tokens = [t for t in re.split(r"[^A-Z0-9]+", stem) if t]
    for token in tokens:
        for quote in _QUOTES:
            base = token[: -len(quote)]
            if token.endswith(quote) and _BASE.match(base):
                return token
    for base, quote in zip(tokens, tokens[1:], strict=False):
        if quote in _SPLIT_QUOTES and (_BASE.match(base) and not base.isdigit()):
            return base + quote
        if quote in ("BTC", "ETH") and base in _QUOTES:
            return base + quote
    return None


def normalise(symbol: str) -> str:
    """``"BTC/USD"`` and ``"btc-usd"`` both become ``"BTCUSD"``."""
    return re.sub(r"[^A-Z0-9]", "", str(symbol).upper())


def column_symbols(frame: pd.DataFrame, lowered: Mapping[str, str]) -> dict[str, int]:
    """Rows per value of the frame's symbol column (none: an empty dict)."""
    for name in SYMBOL_COLUMNS:
        if name in lowered:
            values = frame[lowered[name]].dropna().astype(str).str.strip()
            counts = values[values != ""].value_counts(sort=True)
            return {str(k): int(v) for k, v in counts.items()}
    return {}


def _file_symbols(path: Path, parts: Sequence[RawOhlcv]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in parts:
        for symbol, n in part.symbols.items():
            counts[symbol] = counts.get(symbol, 0) + n
    return counts


def check_one_instrument(files: Sequence[Path], per_file: Sequence[Sequence[RawOhlcv]],
                         source: str) -> None:
    """Refuse a source that holds candles of more than one instrument.

    Raises
    ------
    DataError
        Naming the instruments found and where.
    """
    named: dict[str, list[str]] = {}
    for path, parts in zip(files, per_file, strict=True):
        in_column = _file_symbols(path, parts)
        if len({normalise(s) for s in in_column}) > 1:
            found = ", ".join(f"{s} ({n} rows)" for s, n in in_column.items())
            raise DataError(f"{path}: candles of more than one instrument in its symbol column: "
                            f"{found}; expected one instrument per file or folder")
        symbol = next(iter(in_column), None) or symbol_from_name(path.name)
        if symbol is not None:
            named.setdefault(normalise(symbol), []).append(path.name)
    if len(named) > 1:
        found = ", ".join(f"{s} ({', '.join(names[:2])}{', ...' if len(names) > 2 else ''})"
                          for s, names in named.items())
        raise DataError(f"{source}: candles of {len(named)} instruments: {found}; expected one "
                        "instrument per folder or pattern (load each one on its own)")


def check_joins(files: Sequence[Path], per_file: Sequence[Sequence[RawOhlcv]],
                 source: str) -> None:
    """Refuse a price jump beyond :data:`JOIN_JUMP` where one file ends and the next begins."""
    ends = []
    for path, parts in zip(files, per_file, strict=True):
        stamps = np.concatenate([p.index.asi8 for p in parts])
        opens = np.concatenate([p.columns["open"] for p in parts])
        closes = np.concatenate([p.columns["close"] for p in parts])
        if stamps.size == 0:
            continue
        first, last = int(np.argmin(stamps)), int(np.argmax(stamps))
        ends.append((stamps[first], stamps[last], opens[first], closes[last], path))
    ends.sort(key=lambda e: e[0])
    for before, after in zip(ends, ends[1:], strict=False):
        if after[0] <= before[1]:
            continue  # overlapping files: conflicting rows are refused on their own
        close, open_ = float(before[3]), float(after[2])
        if not (np.isfinite(close) and np.isfinite(open_) and close > 0 and open_ > 0):
            continue  # bad values are refused on their own, naming the bar
        if max(open_ / close, close / open_) > JOIN_JUMP:
            raise DataError(
                f"{source}: the price jumps {open_ / close - 1:+.0%} from {close:g} (last close "
                f"of {before[4].name}) to {open_:g} (first open of {after[4].name}); expected "
                "one instrument per folder or pattern, not two joined"
            )
