"""Datasets shipped inside the package, so examples and smoke tests run without downloads.

See ``backtrader_engine/resources/data/SOURCES.md`` for provenance and the rebuild command.
"""

from __future__ import annotations

import filecmp
from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.errors import DataError

RESOURCE_DIR = Path(__file__).resolve().parent.parent / "resources" / "data"

#: Symbols of the bundled Bybit perpetual hourly candles. All cover the same 1000 hours
#: (2025-09-11 08:00 to 2025-10-22 23:00 UTC), so a multi-symbol run lines them up bar for
#: bar without dropping any.
BYBIT_PERP_1H: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT")

#: Dataset name -> file name in :data:`RESOURCE_DIR`.
BUNDLED_FILES: dict[str, str] = {
    "BTCUSD-1h-coinbase": "BTCUSD-1h-coinbase.parquet",
    "XRPUSDT-5m-binance-perp": "XRPUSDT-5m-binance-perp.parquet",
    "XRPUSDT-funding-8h": "XRPUSDT-funding-8h.parquet",
    **{f"{symbol}-1h-bybit-perp": f"{symbol}-1h-bybit-perp.parquet" for symbol in BYBIT_PERP_1H},
}
DEFAULT_DATASET = "BTCUSD-1h-coinbase"


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled candle file holds, from its provenance in SOURCES.md."""

    symbol: str  # as the venue writes it
    venue: str  # exchange and market
    quote: str  # currency of the prices, hence of cash and every amount of a backtest on them

    @property
    def label(self) -> str:
        """E.g. ``BTC-USD (Coinbase spot, USD)``."""
        return f"{self.symbol} ({self.venue}, {self.quote})"


#: Dataset name -> what its candles are (the funding series is not candles, so not here).
BUNDLED_INFO: dict[str, DatasetInfo] = {
    "BTCUSD-1h-coinbase": DatasetInfo("BTC-USD", "Coinbase spot", "USD"),
    "XRPUSDT-5m-binance-perp": DatasetInfo("XRPUSDT", "Binance USDT-M perpetual", "USDT"),
    **{f"{symbol}-1h-bybit-perp": DatasetInfo(symbol, "Bybit USDT perpetual", "USDT")
       for symbol in BYBIT_PERP_1H},
}


def _resolve(name: str) -> Path:
    path = RESOURCE_DIR / BUNDLED_FILES[name]
    if not path.is_file():
        raise DataError(f"{path}: bundled dataset '{name}' is missing; reinstall backtrader-engine")
    return path


def default_dataset() -> Path:
    """Path of the default dataset: Coinbase BTC-USD hourly candles, 2017-07 to 2019-10.

    Returns
    -------
    pathlib.Path
        A Parquet file readable with :func:`backtrader_engine.data.load_ohlcv`.

    Raises
    ------
    DataError
        If the package was installed without its data files.
    """
    return _resolve(DEFAULT_DATASET)


def bundled_datasets() -> dict[str, Path]:
    """All bundled datasets by name.

    Returns
    -------
    dict of str to pathlib.Path
        ``BTCUSD-1h-coinbase`` (spot candles), ``XRPUSDT-5m-binance-perp`` (Binance USDT-M
        perpetual candles), ``XRPUSDT-funding-8h`` (its funding rates, for
        :func:`backtrader_engine.data.load_funding`) and ``<SYMBOL>-1h-bybit-perp`` for each
        of :data:`BYBIT_PERP_1H` (Bybit USDT perpetual hourly candles, all over the same
        1000 hours from 2025-09-11 08:00 to 2025-10-22 23:00 UTC).
    """
    return {name: _resolve(name) for name in BUNDLED_FILES}


def bundled_perp_1h() -> dict[str, Path]:
    """The bundled Bybit USDT perpetual hourly candles, by symbol.

    Returns
    -------
    dict of str to pathlib.Path
        One Parquet file per symbol of :data:`BYBIT_PERP_1H`, all over the same 1000 hours,
        readable with :func:`backtrader_engine.data.load_ohlcv`.
    """
    return {symbol: _resolve(f"{symbol}-1h-bybit-perp") for symbol in BYBIT_PERP_1H}


def bundled_info(path: str | Path) -> DatasetInfo | None:
    """What *path* holds when it is a bundled candle file, else ``None``.

    A copy counts too (same file name, same bytes): a checkout run through another checkout's
    installed package has its resource files somewhere else than :data:`RESOURCE_DIR`.
    """
    path = Path(path)
    for name, info in BUNDLED_INFO.items():
        bundled = RESOURCE_DIR / BUNDLED_FILES[name]
        if path.name != bundled.name or not path.is_file() or not bundled.is_file():
            continue
        if path.resolve() == bundled.resolve() or filecmp.cmp(path, bundled, shallow=False):
            return info
    return None
