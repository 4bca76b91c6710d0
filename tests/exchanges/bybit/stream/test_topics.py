"""Topic lists and the stream URL derived from a REST base URL."""

from __future__ import annotations

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.stream.topics import public_stream_url, stream_topics


def test_topics_per_symbol() -> None:
    assert stream_topics(["BTCUSDT", "ETHUSDT"], intervals=["1", "60"], book_depth=50) == [
        "kline.1.BTCUSDT", "kline.60.BTCUSDT", "orderbook.50.BTCUSDT", "publicTrade.BTCUSDT",
        "tickers.BTCUSDT", "kline.1.ETHUSDT", "kline.60.ETHUSDT", "orderbook.50.ETHUSDT",
        "publicTrade.ETHUSDT", "tickers.ETHUSDT"]
    assert stream_topics(["BTCUSDT"], book_depth=None, trades=False, tickers=False) == [
        "kline.1.BTCUSDT"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"intervals": ["1m"]}, "kline interval '1m' is not a Bybit interval"),
    ({"book_depth": 25}, "order book depth 25 is not served on linear"),
])
def test_bad_topics_are_one_clear_error(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        stream_topics(["BTCUSDT"], **kwargs)


@pytest.mark.parametrize(("base", "testnet", "url"), [
    (None, False, "wss://stream.bybit.com/v5/public/linear"),
    (None, True, "wss://stream-testnet.bybit.com/v5/public/linear"),
    ("https://api.bybit.com", False, "wss://stream.bybit.com/v5/public/linear"),
    ("https://api-testnet.bybit.com/", False, "wss://stream-testnet.bybit.com/v5/public/linear"),
    ("http://127.0.0.1:8765", False, "ws://127.0.0.1:8765/v5/public/linear"),
    ("https://replay.example:9443", False, "wss://replay.example:9443/v5/public/linear"),
    ("ws://127.0.0.1:9/v5/public/linear", False, "ws://127.0.0.1:9/v5/public/linear"),
])
def test_stream_url_follows_the_base_url(base: str | None, testnet: bool, url: str) -> None:
    assert public_stream_url(base, testnet=testnet) == url


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(UserError, match="is not http"):
        public_stream_url("127.0.0.1:8765")
