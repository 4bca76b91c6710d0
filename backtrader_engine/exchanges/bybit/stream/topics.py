"""Topic names and stream URLs for Bybit's public linear channel."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from backtrader_engine.config.bybit import (
    BYBIT_INTERVALS,
    MAINNET_REST_URL,
    MAINNET_WS_PUBLIC_URL,
    TESTNET_REST_URL,
    TESTNET_WS_PUBLIC_URL,
)
from backtrader_engine.errors import UserError

PUBLIC_LINEAR_PATH = "/v5/public/linear"
BOOK_DEPTHS = (1, 50, 200, 1000)


def stream_topics(symbols: Iterable[str], *, intervals: Iterable[str] = ("1",),
                  book_depth: int | None = 50, trades: bool = True,
                  tickers: bool = True) -> list[str]:
    """The topics for *symbols*: klines per interval, plus book, trades and tickers.

    Raises
    ------
    UserError
        For an interval or book depth Bybit does not serve on linear.
    """
    intervals = list(intervals)
    for interval in intervals:
        if interval not in BYBIT_INTERVALS:
            raise UserError(f"kline interval '{interval}' is not a Bybit interval; expected "
                            f"one of {', '.join(BYBIT_INTERVALS)}")
    if book_depth is not None and book_depth not in BOOK_DEPTHS:
        raise UserError(f"order book depth {book_depth} is not served on linear; expected "
                        f"one of {', '.join(map(str, BOOK_DEPTHS))}")
    topics: list[str] = []
    for symbol in symbols:
        topics += [f"kline.{interval}.{symbol}" for interval in intervals]
        if book_depth is not None:
            topics.append(f"orderbook.{book_depth}.{symbol}")
        if trades:
            topics.append(f"publicTrade.{symbol}")
        if tickers:
            topics.append(f"tickers.{symbol}")
    return topics


def public_stream_url(base_url: str | None = None, *, testnet: bool = False) -> str:
    """The ``/v5/public/linear`` WebSocket URL for a REST *base_url*.

    ``None`` gives Bybit's mainnet or testnet stream; Bybit's own REST hosts map to their
    stream hosts; any other ``http(s)://host:port`` (a replay server) serves both on one
    port, so the stream is ``ws(s)://host:port/v5/public/linear``. A ``ws(s)://`` URL is
    taken as the stream itself.
    """
    if base_url is None:
        return TESTNET_WS_PUBLIC_URL if testnet else MAINNET_WS_PUBLIC_URL
    url = base_url.rstrip("/")
    if url == MAINNET_REST_URL:
        return MAINNET_WS_PUBLIC_URL
    if url == TESTNET_REST_URL:
        return TESTNET_WS_PUBLIC_URL
    parts = urlsplit(url)
    schemes = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
    if parts.scheme not in schemes or not parts.hostname:
        raise UserError(f"base URL '{base_url}' is not http(s)://HOST[:PORT] or "
                        "ws(s)://HOST[:PORT]/v5/public/linear")
    path = parts.path if parts.scheme.startswith("ws") and parts.path else PUBLIC_LINEAR_PATH
    return f"{schemes[parts.scheme]}://{parts.netloc}{path}"
