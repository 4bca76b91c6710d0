"""Incremental, atomic download of Bybit linear candles and funding into a DataStore.

Candles are paged backwards from the server's clock (``get_kline`` returns at most 1000 rows,
newest first). The newest candle is dropped while it is still open, because its values keep
changing until it closes. Each symbol/timeframe is collected completely in memory and then
written with one :meth:`DataStore.merge`, which replaces the file atomically: a download
killed at any moment leaves every stored series valid and gap-free, and the next run resumes
from :meth:`DataStore.last_timestamp`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
from pybit.unified_trading import HTTP

from backtrader_engine.data import DataStore, load_funding
from backtrader_engine.data.frame import OHLCV_COLUMNS
from backtrader_engine.data.timeframes import (
    BYBIT_INTERVALS,
    canonical_timeframe,
    parse_timeframe,
)
from backtrader_engine.errors import DataError, UserError
from backtrader_engine.exchanges.bybit.progress import Progress
from backtrader_engine.exchanges.bybit.retry import BybitError, Retry
from backtrader_engine.exchanges.bybit.venue import (
    CATEGORY,
    Instrument,
    load_instruments,
    parse_instrument,
    save_instruments,
)

#: Our timeframe names mapped to Bybit kline intervals.
TIMEFRAME_INTERVALS: dict[str, str] = {tf: iv for iv, tf in BYBIT_INTERVALS.items()}
KLINE_PAGE = 1000
FUNDING_PAGE = 200
_MINUTE_MS = 60_000
_DAY_MS = 86_400_000


def make_session(*, testnet: bool = False, base_url: str | None = None) -> HTTP:
    """A pybit ``HTTP`` session for public endpoints, optionally pointed at *base_url*.

    pybit formats its REST base URL once into ``endpoint`` and builds every request from it,
    so assigning ``endpoint`` redirects the session (e.g. to a local replay server).
    Rate-limit retries are left to :class:`Retry` (with jitter), so pybit's own retry of
    retCode 10006 is disabled; it only keeps retrying 10002 (recv-window, signed calls).
    """
    session = HTTP(testnet=testnet, retry_codes={10002}, logging_level=logging.WARNING)
    if base_url:
        session.endpoint = base_url.rstrip("/")
    return session


def interval_for(timeframe: str) -> tuple[str, str]:
    """``(canonical timeframe, Bybit interval)``; a one-line UserError for unknown names.

    Every canonical timeframe has a Bybit interval, so name validation is the timeframe
    parser's.
    """
    tf = canonical_timeframe(timeframe)
    return tf, TIMEFRAME_INTERVALS[tf]


def rows_to_frame(rows: Sequence[Sequence[str]], source: str) -> pd.DataFrame:
    """Kline rows ``[start, open, high, low, close, volume, ...]`` to a canonical frame."""
    if not rows:
        return pd.DataFrame(columns=list(OHLCV_COLUMNS), dtype=float,
                            index=pd.DatetimeIndex([], name="datetime"))
    try:
        table = pd.DataFrame([r[:6] for r in rows], columns=["start", *OHLCV_COLUMNS])
        index = pd.to_datetime(table.pop("start").astype("int64"), unit="ms")
        frame = table.astype(float).set_axis(pd.DatetimeIndex(index, name="datetime"))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{source}: malformed kline rows ({exc})") from None
    return frame.sort_index()


@dataclass(frozen=True)
class SeriesResult:
    """What one symbol/timeframe (or funding) download added to the store."""

    symbol: str
    timeframe: str
    added: int
    rows: int


class HistoryDownloader:
    """Fetch missing candles and funding for symbols into a :class:`DataStore`.

    Parameters
    ----------
    session : pybit HTTP
        Public-data session (see :func:`make_session`).
    store : DataStore
        Destination; series are stored under *exchange*.
    exchange : str
        Store key, ``"bybit"`` (``"bybit-testnet"`` keeps testnet data apart).
    retry : Retry, optional
        Retry policy for rate limits and server errors.
    out : text stream, optional
        Where the result line of each series goes (stdout by default).
    progress : text stream, optional
        Where the progress bar of each symbol/timeframe goes (stderr by default; see
        :class:`~.progress.Progress`).
    progress_every : float
        Seconds between progress lines when *progress* is not a terminal.
    """

    def __init__(self, session: Any, store: DataStore, *, exchange: str = "bybit",
                 retry: Retry | None = None, out: IO[str] | None = None,
                 progress: IO[str] | None = None, progress_every: float = 5.0) -> None:
        self.session = session
        self.store = store
        self.exchange = exchange
        self.retry = retry or Retry()
        self.out = out or sys.stdout
        self.progress = progress
        self.progress_every = progress_every

    def _call(self, what: str, method: str, **kwargs: Any) -> dict[str, Any]:
        reply = self.retry.call(what, getattr(self.session, method), **kwargs)
        return reply.get("result") or {}

    def _say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def server_now_ms(self) -> int:
        """The exchange clock in ms (decides which candle is still open)."""
        result = self._call("server time", "get_server_time")
        return int(result["timeNano"]) // 1_000_000

    def instrument(self, symbol: str) -> Instrument:
        """Look *symbol* up on the venue; an unknown symbol is a one-line BybitError."""
        result = self._call(f"instruments-info {symbol}", "get_instruments_info",
                            category=CATEGORY, symbol=symbol)
        items = result.get("list") or []
        if not items:
            raise BybitError(f"unknown symbol '{symbol}' on Bybit {CATEGORY} "
                             "(check the spelling, e.g. BTCUSDT)")
        return parse_instrument(items[0])

    def fetch_klines(self, symbol: str, interval: str, start_ms: int, now_ms: int,
                     step_ms: int) -> pd.DataFrame:
        """Closed candles with open time in ``[start_ms, now_ms)``, paging backwards."""
        label = f"{symbol} {BYBIT_INTERVALS[interval]}"
        rows: list[list[str]] = []
        end = now_ms
        progress = Progress(label, max(0, now_ms - start_ms) // step_ms, out=self.progress,
                            every=self.progress_every)
        while end >= start_ms:
            page = self._call(f"kline {label}", "get_kline", category=CATEGORY, symbol=symbol,
                              interval=interval, start=start_ms, end=end,
                              limit=KLINE_PAGE).get("list") or []
            rows.extend(page)
            oldest = int(page[-1][0]) if page else start_ms
            if len(page) < KLINE_PAGE or oldest <= start_ms or oldest > end:
                break
            progress.update(len(rows))
            end = oldest - 1
        progress.finish(len(rows))
        frame = rows_to_frame(rows, f"kline {label}")
        frame = frame.loc[~frame.index.duplicated(keep="first")]
        open_from = pd.Timestamp(now_ms - step_ms, unit="ms")
        return frame.loc[frame.index <= open_from]

    def download_candles(self, symbol: str, timeframe: str, days: float,
                         now_ms: int) -> SeriesResult:
        """Fetch what is missing of one series and merge it into the store."""
        tf, interval = interval_for(timeframe)
        step = int(parse_timeframe(tf).total_seconds() * 1000)
        start = now_ms - int(days * _DAY_MS)
        last = self.store.last_timestamp(self.exchange, symbol, tf)
        if last is not None:
            start = max(start, int(last.value // 1_000_000) + step)
        if start > now_ms - step:
            self._say(f"{symbol} {tf}: up to date (last bar {last}), nothing new to fetch")
            return SeriesResult(symbol, tf, 0, self._rows(symbol, tf))
        frame = self.fetch_klines(symbol, interval, start, now_ms, step)
        if frame.empty:
            self._say(f"{symbol} {tf}: no closed bars since {pd.Timestamp(start, unit='ms')}")
            return SeriesResult(symbol, tf, 0, self._rows(symbol, tf))
        merged = self.store.merge(self.exchange, symbol, tf, frame)
        self._say(f"{symbol} {tf}: +{merged.added} bars ({frame.index[0]} .. "
                  f"{frame.index[-1]}), {merged.rows} stored")
        return SeriesResult(symbol, tf, merged.added, merged.rows)

    def _rows(self, symbol: str, tf: str) -> int:
        path = self.store.path_for(self.exchange, symbol, tf)
        return len(self.store.read(self.exchange, symbol, tf)) if path.exists() else 0

    def download_funding(self, symbol: str, days: float, now_ms: int,
                         interval_minutes: int) -> SeriesResult:
        """Fetch funding records missing since the last stored one."""
        path = self.store.funding_path(self.exchange, symbol)
        start = now_ms - int(days * _DAY_MS)
        if path.exists():
            stored = load_funding(path)
            if len(stored):
                start = max(start, int(stored.index[-1].value // 1_000_000) + 1)
        if start + interval_minutes * _MINUTE_MS > now_ms + 1:
            self._say(f"{symbol} funding: up to date, nothing new to fetch")
            return SeriesResult(symbol, "funding", 0, 0)
        items: list[dict[str, str]] = []
        end = now_ms
        while end >= start:
            page = self._call(f"funding history {symbol}", "get_funding_rate_history",
                              category=CATEGORY, symbol=symbol, startTime=start, endTime=end,
                              limit=FUNDING_PAGE).get("list") or []
            items.extend(page)
            if len(page) < FUNDING_PAGE:
                break
            end = int(page[-1]["fundingRateTimestamp"]) - 1
        if not items:
            self._say(f"{symbol} funding: no records since {pd.Timestamp(start, unit='ms')}")
            return SeriesResult(symbol, "funding", 0, 0)
        rates = pd.Series(
            [float(i["fundingRate"]) for i in items],
            index=pd.to_datetime([int(i["fundingRateTimestamp"]) for i in items], unit="ms"),
        ).sort_index()
        rates = rates.loc[~rates.index.duplicated()]
        merged = self.store.merge_funding(self.exchange, symbol, rates)
        self._say(f"{symbol} funding: +{merged.added} records, {merged.rows} stored")
        return SeriesResult(symbol, "funding", merged.added, merged.rows)

    def run(self, symbols: Sequence[str], timeframes: Sequence[str], days: float, *,
            funding: bool = True) -> list[SeriesResult]:
        """Download every symbol × timeframe (and funding); return what each added."""
        if days <= 0:
            raise UserError(f"--days {days}; expected a positive number of days")
        for tf in timeframes:
            interval_for(tf)  # reject a bad timeframe before any network call
        now_ms = self.server_now_ms()
        instruments = {s: self.instrument(s) for s in symbols}
        self._cache_instruments(instruments)
        results: list[SeriesResult] = []
        for symbol in symbols:
            for tf in timeframes:
                results.append(self.download_candles(symbol, tf, days, now_ms))
            if funding:
                minutes = instruments[symbol].funding_interval_minutes
                results.append(self.download_funding(symbol, days, now_ms, minutes))
        added = sum(r.added for r in results)
        self._say(f"done: {added} new rows" if added else "done: nothing new; store up to date")
        return results

    def _cache_instruments(self, fetched: dict[str, Instrument]) -> Path:
        cache = self.store.root / self.exchange / "instruments.json"
        known = load_instruments(cache) if cache.exists() else {}
        known.update(fetched)
        return save_instruments(known.values(), cache)
