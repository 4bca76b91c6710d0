"""Bybit V5 public market REST routes answered from a :class:`ReplayMarket`.

Each route validates its query the way Bybit does and returns ``(http_status, body)`` where
*body* is the standard envelope ``{retCode, retMsg, result, retExtInfo, time}``. Parameter
problems answer HTTP 200 with ``retCode`` 10001, as Bybit does, so clients see the same
``InvalidRequestError`` they would see in production.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from backtrader_engine.data.timeframes import BYBIT_INTERVALS, parse_timeframe
from backtrader_engine.exchanges.bybit.replay.market import INTERVALS, ReplayMarket
from backtrader_engine.exchanges.bybit.venue import to_item

PARAM_ERROR = 10001
RATE_LIMIT_ERROR = 10006
Reply = tuple[int, dict[str, Any]]


class ParamError(Exception):
    """A query parameter Bybit would reject with retCode 10001."""


def envelope(result: Any, now_ms: int, code: int = 0, msg: str = "OK") -> dict[str, Any]:
    """Bybit's response wrapper."""
    return {"retCode": code, "retMsg": msg, "result": result if result is not None else {},
            "retExtInfo": {}, "time": now_ms}


def _int(query: Mapping[str, str], name: str, default: int | None = None,
         lo: int | None = None, hi: int | None = None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(f"params error: {name} invalid") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ParamError(f"params error: {name} must be between {lo} and {hi}")
    return value


def _category(query: Mapping[str, str], *, required: bool) -> str:
    category = query.get("category", "" if required else "linear")
    if category == "":
        raise ParamError("params error: category is required")
    if category != "linear":
        raise ParamError(f"params error: category '{category}' is not served (only linear)")
    return category


def _symbol(market: ReplayMarket, query: Mapping[str, str]) -> str:
    symbol = query.get("symbol", "")
    if not symbol:
        raise ParamError("params error: symbol is required")
    if symbol not in market.instruments:
        raise ParamError("Not supported symbols")
    return symbol


def kline(market: ReplayMarket, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v5/market/kline``."""
    category = _category(query, required=False)
    symbol = _symbol(market, query)
    interval = query.get("interval", "")
    if interval not in INTERVALS:
        raise ParamError("Invalid period!")
    base = market.base_timeframe(symbol)
    if interval != "M" and parse_timeframe(BYBIT_INTERVALS[interval]) < parse_timeframe(base):
        # Bybit has every interval; a replay has its candles' timeframe and longer ones.
        raise ParamError(f"params error: interval {interval} is finer than the {base} "
                         f"candles replayed for {symbol}")
    limit = _int(query, "limit", 200, 1, 1000)
    start, end = _int(query, "start", lo=0), _int(query, "end", lo=0)
    rows = market.klines(symbol, interval, start, end, int(limit or 200))
    return {"category": category, "symbol": symbol, "list": rows}


def instruments_info(market: ReplayMarket, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v5/market/instruments-info`` with ``nextPageCursor`` paging."""
    category = _category(query, required=True)
    limit = int(_int(query, "limit", 500, 1, 1000) or 500)
    offset = int(_int(query, "cursor", 0, lo=0) or 0)
    symbol = query.get("symbol")
    # An unknown symbol is not an error on Bybit: the list is simply empty.
    names = [symbol] if symbol else sorted(market.instruments)
    items = [to_item(market.instruments[s]) for s in names if s in market.instruments]
    page = items[offset:offset + limit]
    cursor = str(offset + limit) if offset + limit < len(items) else ""
    return {"category": category, "list": page, "nextPageCursor": cursor}


def funding_history(market: ReplayMarket, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v5/market/funding/history``; ``startTime`` alone is rejected as on Bybit."""
    category = _category(query, required=True)
    symbol = _symbol(market, query)
    start, end = _int(query, "startTime", lo=0), _int(query, "endTime", lo=0)
    if start is not None and end is None:
        raise ParamError("params error: startTime without endTime is not supported")
    limit = int(_int(query, "limit", 200, 1, 200) or 200)
    return {"category": category, "list": market.funding_history(symbol, start, end, limit)}


def tickers(market: ReplayMarket, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v5/market/tickers`` for one symbol or all."""
    category = _category(query, required=True)
    symbols = [_symbol(market, query)] if query.get("symbol") else market.symbols
    return {"category": category, "list": [market.ticker(s) for s in symbols]}


def server_time(market: ReplayMarket, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v5/market/time``: the market clock."""
    return {"timeSecond": str(market.now_ms // 1000), "timeNano": str(market.now_ms * 1_000_000)}


ROUTES: dict[str, Callable[[ReplayMarket, Mapping[str, str]], dict[str, Any]]] = {
    "/v5/market/kline": kline,
    "/v5/market/instruments-info": instruments_info,
    "/v5/market/funding/history": funding_history,
    "/v5/market/tickers": tickers,
    "/v5/market/time": server_time,
}


def answer(market: ReplayMarket, path: str, query: Mapping[str, str]) -> Reply | None:
    """Answer a REST request, or ``None`` when *path* is not a served route."""
    route = ROUTES.get(path)
    if route is None:
        return None
    try:
        return 200, envelope(route(market, query), market.now_ms)
    except ParamError as exc:
        return 200, envelope({}, market.now_ms, PARAM_ERROR, str(exc))
