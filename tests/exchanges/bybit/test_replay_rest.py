from __future__ import annotations

import time

import pandas as pd
import pytest
import requests

from backtrader_engine.data import resample_ohlcv
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer

DAY_START = 1662336000000  # 2022-09-05 00:00 UTC, first source candle
DAY_END = DAY_START + 86_400_000


def _get(server, path: str, **params) -> requests.Response:
    return requests.get(server.base_url + path, params=params, timeout=5)


def test_envelope_and_kline_rows_newest_first(replay_server, source_candles) -> None:
    server = replay_server()
    reply = _get(server, "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="1")
    body = reply.json()
    assert reply.status_code == 200
    assert set(body) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert (body["retCode"], body["retMsg"], body["retExtInfo"]) == (0, "OK", {})
    assert body["time"] == DAY_END
    rows = body["result"]["list"]
    assert len(rows) == 200  # Bybit's default limit
    assert all(isinstance(v, str) for row in rows for v in row) and len(rows[0]) == 7
    stamps = [int(r[0]) for r in rows]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] == DAY_END - 60_000
    last = source_candles["BTCUSDT"].iloc[-1]
    assert [float(v) for v in rows[0][1:6]] == list(last[["open", "high", "low", "close",
                                                         "volume"]])


def test_kline_window_limit_and_backward_pages(replay_server) -> None:
    server = replay_server()
    params = {"category": "linear", "symbol": "ETHUSDT", "interval": "1", "limit": 1000,
              "start": DAY_START, "end": DAY_END}
    first = _get(server, "/v5/market/kline", **params).json()["result"]["list"]
    assert len(first) == 1000 and int(first[-1][0]) == DAY_END - 1000 * 60_000
    params["end"] = int(first[-1][0]) - 1
    second = _get(server, "/v5/market/kline", **params).json()["result"]["list"]
    assert len(second) == 440 and int(second[-1][0]) == DAY_START
    window = _get(server, "/v5/market/kline", symbol="ETHUSDT", interval="1",
                  start=DAY_START + 60_000, end=DAY_START + 180_000).json()["result"]["list"]
    assert [int(r[0]) for r in window] == [DAY_START + 180_000, DAY_START + 120_000,
                                           DAY_START + 60_000]


@pytest.mark.parametrize("interval,tf,rows", [("5", "5m", 288), ("60", "1h", 24),
                                              ("240", "4h", 6), ("D", "1d", 1)])
def test_higher_intervals_are_resampled(replay_server, source_candles, interval, tf,
                                        rows) -> None:
    server = replay_server()
    got = _get(server, "/v5/market/kline", symbol="BTCUSDT", interval=interval,
               limit=1000).json()["result"]["list"]
    assert len(got) == rows
    expected = resample_ohlcv(source_candles["BTCUSDT"], tf).iloc[-1]
    assert float(got[0][4]) == expected["close"] and float(got[0][5]) == expected["volume"]


@pytest.mark.parametrize("params,message", [
    ({"symbol": "BTCUSDT", "interval": "2"}, "Invalid period!"),
    ({"symbol": "NOPEUSDT", "interval": "1"}, "Not supported symbols"),
    ({"interval": "1"}, "symbol is required"),
    ({"symbol": "BTCUSDT", "interval": "1", "limit": "1001"}, "limit must be between"),
    ({"symbol": "BTCUSDT", "interval": "1", "limit": "0"}, "limit must be between"),
    ({"symbol": "BTCUSDT", "interval": "1", "start": "yesterday"}, "start invalid"),
    ({"symbol": "BTCUSDT", "interval": "1", "category": "spot"}, "only linear"),
])
def test_bad_kline_params_answer_10001(replay_server, params, message) -> None:
    reply = _get(replay_server(), "/v5/market/kline", **params)
    body = reply.json()
    assert reply.status_code == 200
    assert body["retCode"] == 10001 and message in body["retMsg"] and body["result"] == {}


def test_an_interval_finer_than_the_candles_answers_10001(source_candles) -> None:
    # A replay of 5m candles has 5m and longer, as its stream does; 1m is a clear
    # parameter error (before: an HTTP 500 from a failed resample, retried by clients).
    five = resample_ohlcv(source_candles["BTCUSDT"], "5m")
    server = ReplayServer(ReplayMarket({"BTCUSDT": {"5m": five}})).start()
    try:
        fine = _get(server, "/v5/market/kline", symbol="BTCUSDT", interval="1")
        served = _get(server, "/v5/market/kline", symbol="BTCUSDT", interval="5", limit=1)
    finally:
        server.stop()
    assert fine.status_code == 200 and fine.json()["retCode"] == 10001
    assert fine.json()["retMsg"] == ("params error: interval 1 is finer than the 5m candles "
                                     "replayed for BTCUSDT")
    assert served.json()["retCode"] == 0 and len(served.json()["result"]["list"]) == 1


def test_instruments_info_paging_and_unknown_symbol(replay_server) -> None:
    server = replay_server()
    page = _get(server, "/v5/market/instruments-info", category="linear", limit=1).json()
    assert [i["symbol"] for i in page["result"]["list"]] == ["BTCUSDT"]
    cursor = page["result"]["nextPageCursor"]
    page2 = _get(server, "/v5/market/instruments-info", category="linear", limit=1,
                 cursor=cursor).json()["result"]
    assert [i["symbol"] for i in page2["list"]] == ["ETHUSDT"] and page2["nextPageCursor"] == ""
    one = _get(server, "/v5/market/instruments-info", category="linear",
               symbol="BTCUSDT").json()["result"]["list"][0]
    assert one["priceFilter"]["tickSize"] == "0.1" and one["fundingInterval"] == 480
    unknown = _get(server, "/v5/market/instruments-info", category="linear", symbol="NOPE")
    assert unknown.json()["retCode"] == 0 and unknown.json()["result"]["list"] == []
    assert _get(server, "/v5/market/instruments-info").json()["retCode"] == 10001


def test_funding_history_constant_and_rules(replay_server) -> None:
    server = replay_server(funding_rate=0.0002)
    items = _get(server, "/v5/market/funding/history", category="linear", symbol="BTCUSDT",
                 endTime=DAY_END).json()["result"]["list"]
    assert [int(i["fundingRateTimestamp"]) for i in items] == [
        DAY_END, DAY_START + 16 * 3_600_000, DAY_START + 8 * 3_600_000, DAY_START]
    assert {i["fundingRate"] for i in items} == {"0.0002"}
    only_start = _get(server, "/v5/market/funding/history", category="linear",
                      symbol="BTCUSDT", startTime=DAY_START).json()
    assert only_start["retCode"] == 10001


def test_tickers_from_the_last_candle(replay_server, source_candles) -> None:
    server = replay_server()
    body = _get(server, "/v5/market/tickers", category="linear").json()
    tickers = {t["symbol"]: t for t in body["result"]["list"]}
    assert set(tickers) == {"BTCUSDT", "ETHUSDT"}
    btc = source_candles["BTCUSDT"]
    assert float(tickers["BTCUSDT"]["lastPrice"]) == btc["close"].iloc[-1]
    assert float(tickers["BTCUSDT"]["volume24h"]) == pytest.approx(btc["volume"].sum())
    assert tickers["BTCUSDT"]["nextFundingTime"] == str(DAY_END + 8 * 3_600_000)


def test_market_clock_hides_future_candles(source_store) -> None:
    clock = DAY_START + 10 * 60_000 + 30_000  # 00:10:30, the 00:10 candle is still open
    market = ReplayMarket.from_store(source_store, now_ms=clock)
    rows = market.klines("BTCUSDT", "1", None, None, 1000)
    assert len(rows) == 11 and int(rows[0][0]) == DAY_START + 10 * 60_000


def test_rate_limit_retcode_and_http(replay_server) -> None:
    server = replay_server(rate_limit=3)
    replies = [_get(server, "/v5/market/time") for _ in range(5)]
    codes = [r.json()["retCode"] for r in replies]
    assert codes[:3] == [0, 0, 0] and codes[3:] == [10006, 10006]
    limited = replies[-1]
    assert limited.status_code == 200 and limited.json()["retMsg"] == "Too many visits!"
    reset = int(limited.headers["X-Bapi-Limit-Reset-Timestamp"])
    assert time.time() * 1000 < reset <= time.time() * 1000 + 1000
    assert limited.headers["X-Bapi-Limit"] == "3"
    time.sleep(max(0.0, reset / 1000 - time.time()) + 0.05)
    assert _get(server, "/v5/market/time").json()["retCode"] == 0

    ip_limited = replay_server(rate_limit=1, rate_limit_mode="http")
    statuses = [_get(ip_limited, "/v5/market/time").status_code for _ in range(2)]
    assert statuses == [200, 403]


def test_plain_get_on_stream_path_is_426_and_unknown_paths_are_404(replay_server) -> None:
    server = replay_server()
    assert _get(server, "/v5/public/linear").status_code == 426  # Upgrade Required
    assert _get(server, "/v5/market/orderbook").status_code == 404


def test_server_lifecycle_and_argument_checks(source_store) -> None:
    market = ReplayMarket.from_store(source_store)
    with ReplayServer(market) as server:
        assert server.port != 0 and server.base_url.startswith("http://127.0.0.1:")
        assert _get(server, "/v5/market/time").json()["result"]["timeSecond"] == str(
            DAY_END // 1000)
    with pytest.raises(requests.ConnectionError):
        _get(server, "/v5/market/time")
    with pytest.raises(UserError, match="rate_limit_mode"):
        ReplayServer(market, rate_limit_mode="slow")
    with pytest.raises(UserError, match="at least 1"):
        ReplayServer(market, rate_limit=0)


def test_market_from_files(testdata) -> None:
    market = ReplayMarket.from_files({"BTCUSDT": testdata / "BTCUSDT-1h-2022-09-07.zip"},
                                     funding_rate=None)
    rows = market.klines("BTCUSDT", "60", None, None, 5)
    assert len(rows) == 5 and market.funding_history("BTCUSDT", None, None, 10) == []
    assert pd.Timestamp(int(rows[0][0]), unit="ms") == pd.Timestamp("2022-09-07 23:00")
