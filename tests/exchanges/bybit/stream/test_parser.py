"""Frames → events, with the wire shapes of Bybit's V5 docs; bad frames counted, not fatal."""

from __future__ import annotations

import json
import logging

import pytest

from backtrader_engine.exchanges.bybit.stream.events import (
    BarUpdate,
    BookUpdate,
    ClosedBar,
    TickerUpdate,
    Trade,
)
from backtrader_engine.exchanges.bybit.stream.parser import Ack, Resync, StreamParser

TOPICS = {"kline.5.BTCUSDT", "publicTrade.BTCUSDT", "orderbook.50.BTCUSDT", "tickers.BTCUSDT"}
KLINE = {"topic": "kline.5.BTCUSDT", "data": [{
    "start": 1672324800000, "end": 1672325099999, "interval": "5", "open": "16649.5",
    "close": "16677", "high": "16677", "low": "16608", "volume": "2.081",
    "turnover": "34666.4005", "confirm": False, "timestamp": 1672324988882}],
    "ts": 1672324988882, "type": "snapshot"}
TRADE = {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1672304486868, "data": [
    {"T": 1672304486865, "s": "BTCUSDT", "S": "Buy", "v": "0.001", "p": "16578.50",
     "L": "PlusTick", "i": "20f43950-d8dd-5b31-9112-a178eb6023af", "BT": False,
     "seq": 1783284617}]}
TICKER = {"topic": "tickers.BTCUSDT", "type": "snapshot", "data": {
    "symbol": "BTCUSDT", "lastPrice": "17216.00", "markPrice": "17217.33",
    "indexPrice": "17227.36", "nextFundingTime": "1673280000000", "fundingRate": "-0.000212",
    "bid1Price": "17215.50", "bid1Size": "84.489", "ask1Price": "17216.00",
    "ask1Size": "83.020"}, "cs": 24987956059, "ts": 1673272861686}


def book(kind: str, u: int, bids: list[list[str]], asks: list[list[str]]) -> str:
    return json.dumps({"topic": "orderbook.50.BTCUSDT", "type": kind, "ts": 1687940967466,
                       "data": {"s": "BTCUSDT", "b": bids, "a": asks, "u": u,
                                "seq": 66544703342}, "cts": 1687940967464})


@pytest.fixture
def parser() -> StreamParser:
    return StreamParser(set(TOPICS), book_levels=2)


def test_kline_update_and_close(parser: StreamParser) -> None:
    [update] = parser.parse(json.dumps(KLINE))
    assert update == BarUpdate("BTCUSDT", 1672324988882, "5", 1672324800000, 1672325099999,
                               16649.5, 16677.0, 16608.0, 16677.0, 2.081, 34666.4005)
    closing = json.loads(json.dumps(KLINE))
    closing["data"][0]["confirm"] = True
    [bar] = parser.parse(json.dumps(closing))
    assert isinstance(bar, ClosedBar) and bar.close == 16677.0 and bar.source == "stream"


def test_trades(parser: StreamParser) -> None:
    assert parser.parse(json.dumps(TRADE)) == [
        Trade("BTCUSDT", 1672304486865, 16578.5, 0.001, "Buy",
              "20f43950-d8dd-5b31-9112-a178eb6023af")]


def test_ticker_deltas_merge_into_the_snapshot(parser: StreamParser) -> None:
    [snap] = parser.parse(json.dumps(TICKER))
    assert snap == TickerUpdate("BTCUSDT", 1673272861686, 17216.0, 17217.33, 17227.36,
                                -0.000212, 1673280000000, 17215.5, 17216.0)
    delta = {"topic": "tickers.BTCUSDT", "type": "delta", "cs": 1, "ts": 1673272861786,
             "data": {"symbol": "BTCUSDT", "markPrice": "17220.00", "fundingRate": "0.0001"}}
    [merged] = parser.parse(json.dumps(delta))
    assert (merged.mark_price, merged.funding_rate, merged.last_price) == (
        17220.0, 0.0001, 17216.0)
    assert merged.next_funding_time == 1673280000000


def test_a_bad_ticker_delta_leaves_the_merged_state_intact(parser: StreamParser) -> None:
    parser.parse(json.dumps(TICKER))
    bad = {"topic": "tickers.BTCUSDT", "type": "delta", "cs": 1, "ts": 2,
           "data": {"symbol": "BTCUSDT", "markPrice": "not-a-number"}}
    assert parser.parse(json.dumps(bad)) == []
    good = {"topic": "tickers.BTCUSDT", "type": "delta", "cs": 2, "ts": 3,
            "data": {"symbol": "BTCUSDT", "lastPrice": "17300"}}
    [event] = parser.parse(json.dumps(good))
    assert event.mark_price == 17217.33 and event.last_price == 17300.0
    assert parser.malformed.counts == {"bad_tickers": 1}


def test_book_snapshot_delta_and_gap(parser: StreamParser) -> None:
    [first] = parser.parse(book("snapshot", 5, [["100", "1"], ["99", "2"], ["98", "3"]],
                                [["101", "1"]]))
    assert isinstance(first, BookUpdate)
    assert first.bids == ((100.0, 1.0), (99.0, 2.0)) and first.best_ask == 101.0
    [second] = parser.parse(book("delta", 6, [["100", "0"]], [["100.5", "2"]]))
    assert second.bids == ((99.0, 2.0), (98.0, 3.0)) and second.best_ask == 100.5
    assert parser.parse(book("delta", 8, [], [])) == [Resync("orderbook.50.BTCUSDT")]
    assert parser.parse(book("delta", 9, [], [])) == []  # waiting: no second resync
    [fresh] = parser.parse(book("snapshot", 9, [["97", "1"]], [["98", "1"]]))
    assert fresh.bids == ((97.0, 1.0),) and fresh.update_id == 9


def test_acks_and_pongs(parser: StreamParser) -> None:
    pong = {"success": True, "ret_msg": "pong", "conn_id": "x", "req_id": "7", "op": "ping"}
    assert parser.parse(json.dumps(pong)) == [Ack("ping", True, "7", "pong")]
    failed = {"success": False, "ret_msg": "Invalid topic", "conn_id": "x", "req_id": "s-1",
              "op": "subscribe"}
    assert parser.parse(json.dumps(failed)) == [Ack("subscribe", False, "s-1",
                                                    "Invalid topic")]


@pytest.mark.parametrize(("frame", "kind"), [
    ('{"topic":"publicTrade","type":"snapshot","data":[{"T":', "invalid_json"),
    ("[1, 2]", "not_an_object"),
    ('{"topic":"kline.1.XRPUSDT","data":[]}', "unexpected_topic"),
    ('{"topic":"liquidation.BTCUSDT","data":{}}', "unexpected_topic"),
    ('{"hello":"world"}', "unexpected_message"),
    ('{"topic":"kline.5.BTCUSDT","data":[{"start":1}],"ts":1}', "bad_kline"),
    ('{"topic":"publicTrade.BTCUSDT","data":[{"p":"x","T":1,"s":"B","S":"Buy","v":"1",'
     '"i":"1"}]}', "bad_publicTrade"),
    ('{"topic":"orderbook.50.BTCUSDT","type":"weird","ts":1,"data":{"s":"BTCUSDT","b":[],'
     '"a":[],"u":1}}', "bad_orderbook"),
    ('{"topic":"tickers.BTCUSDT","type":"delta","ts":1,"data":{"symbol":"BTCUSDT"}}',
     "bad_tickers"),
])
def test_bad_frames_are_counted_and_skipped(parser: StreamParser, frame: str,
                                            kind: str) -> None:
    assert parser.parse(frame) == []
    assert parser.malformed.counts == {kind: 1}
    [event] = parser.parse(json.dumps(TRADE))  # the parser keeps working
    assert event.price == 16578.5


def test_each_kind_is_logged_once(parser: StreamParser,
                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            parser.parse("{not json")
            parser.parse("[]")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert "invalid_json" in warnings[0] and "{not json" in warnings[0]
    assert parser.malformed.counts == {"invalid_json": 5, "not_an_object": 5}
    assert parser.malformed.total == 10


def test_reset_forgets_books_and_tickers(parser: StreamParser) -> None:
    parser.parse(book("snapshot", 5, [["100", "1"]], [["101", "1"]]))
    parser.parse(json.dumps(TICKER))
    parser.reset()
    assert parser.parse(book("delta", 6, [], [])) == []
    delta = {"topic": "tickers.BTCUSDT", "type": "delta", "ts": 1,
             "data": {"symbol": "BTCUSDT", "lastPrice": "1"}}
    assert parser.parse(json.dumps(delta)) == []
