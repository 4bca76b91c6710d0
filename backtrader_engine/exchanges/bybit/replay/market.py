"""Historical candles and funding shaped as Bybit V5 market-data results.

:class:`ReplayMarket` holds the source series and answers the questions the REST routes ask
(klines in a window, funding records, a ticker), already formatted as Bybit sends them:
numbers as strings, lists newest first. It knows nothing about HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypedDict, Unpack

import pandas as pd

from backtrader_engine.data import (
    DataStore,
    infer_timeframe,
    load_funding,
    load_ohlcv,
    resample_ohlcv,
)
from backtrader_engine.data.frame import datetime_index
from backtrader_engine.data.timeframes import BYBIT_INTERVALS, parse_timeframe
from backtrader_engine.data.validation import validate_candles
from backtrader_engine.errors import DataError
from backtrader_engine.exchanges.bybit.venue import DEFAULT_INSTRUMENTS, Instrument

#: Every kline interval Bybit accepts; ``M`` (calendar month) has no fixed duration.
INTERVALS: tuple[str, ...] = (*BYBIT_INTERVALS, "M")
_MS = 1_000_000  # nanoseconds per millisecond
_GENERIC = DEFAULT_INSTRUMENTS["BTCUSDT"]


def _ms(stamp: pd.Timestamp) -> int:
    return int(stamp.value // _MS)


def _num(value: float) -> str:
    # repr of a float round-trips exactly, so a client parses back the source value.
    number = float(value)
    if not math.isfinite(number):
        # Candles are validated when the market is built, so this is a bug, never data: fail
        # the request rather than send "nan" or "inf", which Bybit never sends.
        raise ValueError(f"replay market: refusing to serve the non-finite number {number}")
    return repr(number)


class MarketOptions(TypedDict, total=False):
    """:class:`ReplayMarket`'s keyword options other than its data."""

    funding_rate: float | None
    instruments: Mapping[str, Instrument] | None
    now_ms: int | None


class ReplayMarket:
    """Candles and funding of several symbols.

    Parameters
    ----------
    candles : mapping of symbol to {timeframe: frame}
        Canonical OHLCV frames; other intervals are resampled from the finest one.
    funding : mapping of symbol to series, optional
        Stored funding records; symbols without one use *funding_rate*.
    funding_rate : float or None
        Constant rate settled every funding interval when no series is stored; ``None``
        means no funding records for such symbols.
    instruments : mapping of symbol to Instrument, optional
        Venue facts; a symbol without one gets BTCUSDT's rules under its own name.
    now_ms : int, optional
        The market clock; defaults to the close of the newest candle, so every candle counts
        as closed.
    """

    def __init__(
        self,
        candles: Mapping[str, Mapping[str, pd.DataFrame]],
        *,
        funding: Mapping[str, pd.Series] | None = None,
        funding_rate: float | None = 0.0001,
        instruments: Mapping[str, Instrument] | None = None,
        now_ms: int | None = None,
    ) -> None:
        if not candles:
            raise DataError("replay market: no candles given")
        # The rules every mode applies: no NaN, infinite or absurd number is ever served.
        for symbol, frames in candles.items():
            for tf, frame in frames.items():
                validate_candles(frame, f"{symbol} {tf} candles")
        self._candles = {s: dict(tfs) for s, tfs in candles.items()}
        self._monthly: dict[str, pd.DataFrame] = {}
        self._funding = dict(funding or {})
        self.funding_rate = funding_rate
        known = dict(instruments or DEFAULT_INSTRUMENTS)
        self.instruments = {
            s: known.get(s) or replace(_GENERIC, symbol=s, launch_time=None) for s in self._candles
        }
        self.now_ms = now_ms if now_ms is not None else self._last_close_ms()

    @classmethod
    def from_store(
        cls, root: str | Path, exchange: str = "bybit", **kwargs: Unpack[MarketOptions]
    ) -> ReplayMarket:
        """Load every candle and funding series stored under *exchange* in a DataStore."""
        store = DataStore(root)
        candles: dict[str, dict[str, pd.DataFrame]] = {}
        funding: dict[str, pd.Series] = {}
        for entry in store.available():
            if entry.exchange != exchange.lower():
                continue
            if entry.kind == "funding":
                funding[entry.symbol] = load_funding(entry.path)
            else:
                frame = load_ohlcv(entry.path)
                validate_candles(frame, entry.path)
                candles.setdefault(entry.symbol, {})[entry.timeframe] = frame
        if not candles:
            raise DataError(f"{store.root}: no '{exchange}' candles stored to replay")
        return cls(candles, funding=funding, **kwargs)

    @classmethod
    def from_files(cls, files: Mapping[str, str | Path],
                   **kwargs: Unpack[MarketOptions]) -> ReplayMarket:
        """Load one OHLCV file (any supported layout) per symbol."""
        candles = {}
        for symbol, path in files.items():
            frame = load_ohlcv(path)
            validate_candles(frame, path)
            candles[symbol] = {infer_timeframe(frame): frame}
        return cls(candles, **kwargs)

    @property
    def symbols(self) -> list[str]:
        """Symbols with candles, sorted."""
        return sorted(self._candles)

    def _last_close_ms(self) -> int:
        closes = [
            frame.index[-1] + parse_timeframe(tf)
            for tfs in self._candles.values()
            for tf, frame in tfs.items()
            if len(frame)
        ]
        return _ms(max(closes))

    def _frame(self, symbol: str, interval: str) -> pd.DataFrame:
        stored = self._candles[symbol]
        if interval == "M":
            # Cached apart from the timeframe-keyed frames: "M" is not a fixed-length
            # timeframe, and the finest-timeframe lookups must never see it.
            if symbol not in self._monthly:
                base = stored[min(stored, key=parse_timeframe)]
                monthly = base.resample("MS").agg({"open": "first", "high": "max", "low": "min",
                                                   "close": "last", "volume": "sum"})
                self._monthly[symbol] = monthly.dropna()
            return self._monthly[symbol]
        tf = BYBIT_INTERVALS[interval]
        if tf not in stored:
            finest = min(stored, key=parse_timeframe)
            stored[tf] = resample_ohlcv(stored[finest], tf, base_timeframe=finest)
        return stored[tf]

    def base_timeframe(self, symbol: str) -> str:
        """The finest stored timeframe of *symbol*; the stream replays its candles."""
        return min(self._candles[symbol], key=parse_timeframe)

    def candles(self, symbol: str, interval: str) -> pd.DataFrame:
        """All candles of *symbol* at a Bybit *interval*, resampled when not stored."""
        return self._frame(symbol, interval)

    def klines(self, symbol: str, interval: str, start: int | None, end: int | None,
               limit: int) -> list[list[str]]:
        """Rows ``[startTime, open, high, low, close, volume, turnover]``, newest first.

        Candles open after the market clock do not exist yet. Within ``[start, end]`` the
        newest *limit* rows are returned, as Bybit does, so clients page backwards via ``end``.
        """
        frame = self._frame(symbol, interval)
        stamps = datetime_index(frame).asi8 // _MS
        upper = min(end if end is not None else self.now_ms, self.now_ms)
        mask = stamps <= upper
        if start is not None:
            mask &= stamps >= start
        window = frame.loc[mask].iloc[::-1].iloc[:limit]
        bars = window[["open", "high", "low", "close", "volume"]].to_numpy(dtype=float)
        rows = []
        for stamp, (open_, high, low, close, volume) in zip(datetime_index(window), bars,
                                                            strict=True):
            turnover = volume * close  # quote volume is not in OHLCV sources
            rows.append([str(_ms(stamp)), _num(open_), _num(high), _num(low),
                         _num(close), _num(volume), _num(turnover)])
        return rows

    def funding_series(self, symbol: str) -> pd.Series:
        """Funding records of *symbol* up to the market clock (stored or constant)."""
        now = pd.Timestamp(self.now_ms, unit="ms")
        if symbol in self._funding:
            series = self._funding[symbol]
            return series.loc[series.index <= now]
        if self.funding_rate is None:
            return pd.Series(dtype=float, index=pd.DatetimeIndex([]))
        step = pd.Timedelta(minutes=self.instruments[symbol].funding_interval_minutes)
        first = min(f.index[0] for f in self._candles[symbol].values() if len(f)).ceil(step)
        stamps = pd.date_range(first, now, freq=step)
        return pd.Series(self.funding_rate, index=stamps, dtype=float)

    def funding_history(self, symbol: str, start: int | None, end: int | None,
                        limit: int) -> list[dict[str, str]]:
        """Funding items newest first within ``[start, end]`` (ms), at most *limit*."""
        series = self.funding_series(symbol)
        stamps = datetime_index(series).asi8 // _MS
        mask = stamps <= (end if end is not None else self.now_ms)
        if start is not None:
            mask &= stamps >= start
        window = series.loc[mask].iloc[::-1].iloc[:limit]
        rates = window.to_numpy(dtype=float)
        return [{"symbol": symbol, "fundingRate": _num(rate),
                 "fundingRateTimestamp": str(_ms(stamp))}
                for stamp, rate in zip(datetime_index(window), rates, strict=True)]

    def ticker(self, symbol: str) -> dict[str, str]:
        """A linear ticker built from the candles up to the market clock."""
        frame = self._frame(symbol, min(
            (k for k, v in BYBIT_INTERVALS.items() if v in self._candles[symbol]),
            key=lambda k: parse_timeframe(BYBIT_INTERVALS[k])))
        now = pd.Timestamp(self.now_ms, unit="ms")
        seen = frame.loc[frame.index <= now]
        day = seen.loc[seen.index >= now - pd.Timedelta(days=1)]
        last, prev = float(seen["close"].iloc[-1]), float(day["open"].iloc[0])
        inst = self.instruments[symbol]
        step = pd.Timedelta(minutes=inst.funding_interval_minutes)
        funding = self.funding_series(symbol)
        rate = float(funding.iloc[-1]) if len(funding) else 0.0
        return {
            "symbol": symbol, "lastPrice": _num(last), "markPrice": _num(last),
            "indexPrice": _num(last), "prevPrice24h": _num(prev),
            "price24hPcnt": f"{last / prev - 1:.6f}",
            "highPrice24h": _num(day["high"].max()), "lowPrice24h": _num(day["low"].min()),
            "volume24h": _num(day["volume"].sum()),
            "turnover24h": _num((day["volume"] * day["close"]).sum()),
            "fundingRate": _num(rate), "nextFundingTime": str(_ms(now.floor(step) + step)),
            "fundingIntervalHour": str(inst.funding_interval_minutes // 60),
            "bid1Price": _num(inst.round_price(last - inst.tick_size)), "bid1Size": "1",
            "ask1Price": _num(inst.round_price(last)), "ask1Size": "1",
        }

