"""The replay server's public linear stream, driven by a raw ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay.faults import parse_faults

DAY_END = 1662336000000 + 86_400_000
START = DAY_END - 200 * 60_000  # the last 200 one-minute candles
FAST = {"hold_when_idle": True, "start_ms": START}


async def _read(ws: Any, count: int, timeout: float = 10.0) -> list[Any]:
    """*count* frames, JSON-decoded where possible (raw text otherwise)."""
    out = []
    for _ in range(count):
        raw = await asyncio.wait_for(ws.recv(), timeout)
        try:
            out.append(json.loads(raw))
        except ValueError:
            out.append(raw)
    return out


def _run(server: Any, topics: list[str], count: int, **kw: Any) -> list[Any]:
    async def main() -> list[Any]:
        async with connect(server.stream_url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "req_id": "r1", "args": topics}))
            return await _read(ws, count, **kw)
    return asyncio.run(main())


def test_acks_pong_and_unknown_topic(replay_server) -> None:
    server = replay_server(stream=FAST)

    async def main() -> list[Any]:
        async with connect(server.stream_url) as ws:
            await ws.send(json.dumps({"op": "ping", "req_id": "p1"}))
            await ws.send(json.dumps({"op": "subscribe", "req_id": "bad",
                                      "args": ["kline.7.BTCUSDT"]}))
            await ws.send(json.dumps({"op": "subscribe", "req_id": "ok",
                                      "args": ["kline.1.BTCUSDT"]}))
            return await _read(ws, 3)
    pong, bad, ok = asyncio.run(main())
    assert pong["ret_msg"] == "pong" and pong["op"] == "ping" and pong["req_id"] == "p1"
    assert bad == {"success": False, "ret_msg": "Invalid topic: kline.7.BTCUSDT",
                   "conn_id": bad["conn_id"], "req_id": "bad", "op": "subscribe"}
    assert list(ok) == ["success", "ret_msg", "conn_id", "req_id", "op"]
    assert (ok["success"], ok["ret_msg"], ok["req_id"]) == (True, "", "ok")


def test_klines_update_then_confirm_once_per_candle(replay_server, source_candles) -> None:
    server = replay_server(stream=FAST)
    frames = _run(server, ["kline.1.BTCUSDT"], 1 + 5 * 50)[1:]
    confirmed = [f["data"][0] for f in frames if f["data"][0]["confirm"]]
    starts = [k["start"] for k in confirmed]
    assert starts == [START + i * 60_000 for i in range(50)]
    frame = source_candles["BTCUSDT"]
    for k in confirmed:
        row = frame.iloc[int((frame.index.asi8 // 1_000_000).searchsorted(k["start"]))]
        assert [float(k[f]) for f in ("open", "high", "low", "close")] == pytest.approx(
            list(row[["open", "high", "low", "close"]]))
        assert float(k["volume"]) == pytest.approx(row["volume"])
        assert k["end"] == k["start"] + 59_999 and isinstance(k["timestamp"], int)
    first = frames[0]
    assert first["type"] == "snapshot" and first["data"][0]["confirm"] is False
    assert sum(1 for f in frames[:5] if not f["data"][0]["confirm"]) == 4


def test_orderbook_trades_and_tickers(replay_server) -> None:
    server = replay_server(stream=FAST)
    frames = _run(server, ["orderbook.50.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT"],
                  200)
    books = [f for f in frames[1:] if f.get("topic") == "orderbook.50.BTCUSDT"]
    assert books[0]["type"] == "snapshot" and len(books[0]["data"]["b"]) == 50
    assert {b["type"] for b in books[1:]} == {"delta"}
    ids = [b["data"]["u"] for b in books]
    assert ids == sorted(set(ids)) and len(ids) > 10
    seqs = [b["data"]["seq"] for b in books]
    assert seqs == sorted(set(seqs))
    tickers = [f for f in frames if f.get("topic") == "tickers.BTCUSDT"]
    assert tickers[0]["type"] == "snapshot"
    for field in ("lastPrice", "markPrice", "indexPrice", "fundingRate", "nextFundingTime",
                  "bid1Price", "ask1Price"):
        assert isinstance(tickers[0]["data"][field], str)
    assert float(tickers[0]["data"]["bid1Price"]) < float(tickers[0]["data"]["ask1Price"])
    assert all(t["type"] == "delta" for t in tickers[1:])
    trades = [f["data"][0] for f in frames if f.get("topic") == "publicTrade.BTCUSDT"]
    assert trades and set(trades[0]) >= {"T", "s", "S", "v", "p", "L", "i", "BT", "seq"}


def test_unsubscribe_stops_topic_and_hold_skips_nothing(replay_server) -> None:
    server = replay_server(stream=FAST)

    async def main() -> tuple[list[Any], list[Any]]:
        async with connect(server.stream_url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["kline.1.BTCUSDT"]}))
            first = await _read(ws, 40)
            await ws.send(json.dumps({"op": "unsubscribe", "req_id": "u",
                                      "args": ["kline.1.BTCUSDT"]}))
            while (frame := json.loads(await ws.recv())).get("op") != "unsubscribe":
                first.append(frame)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.3)
        async with connect(server.stream_url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["kline.1.BTCUSDT"]}))
            second = await _read(ws, 30)
        return first, second
    first, second = asyncio.run(main())
    starts = [f["data"][0]["start"] for f in first[1:] + second[1:]
              if "data" in f and f["data"][0]["confirm"]]
    assert starts == [START + i * 60_000 for i in range(len(starts))] and len(starts) > 8


def test_rest_and_stream_share_port_and_clock(replay_server) -> None:
    server = replay_server(stream=FAST)
    frames = _run(server, ["kline.1.BTCUSDT"], 21)
    now = requests.get(server.base_url + "/v5/market/time", timeout=5).json()["result"]
    assert server.stream_url.startswith(server.base_url.replace("http", "ws"))
    # The clock may run ahead of what the client has read (frames queue up), never behind.
    assert frames[-1]["data"][0]["timestamp"] <= int(now["timeNano"]) // 1_000_000 <= DAY_END


@pytest.mark.parametrize("spec", ["malformed_every=10", "skip_seq_every=3",
                                  "snapshot_every=4"])
def test_stream_faults(replay_server, spec) -> None:
    server = replay_server(stream={**FAST, "faults": spec})
    frames = _run(server, ["orderbook.50.BTCUSDT"], 40)
    if spec.startswith("malformed"):
        assert any(isinstance(f, str) for f in frames)
        with pytest.raises(ValueError):
            json.loads(next(f for f in frames if isinstance(f, str)))
        return
    books = [f for f in frames[1:] if isinstance(f, dict)]
    ids = [b["data"]["u"] for b in books]
    if spec.startswith("skip"):
        assert any(b - a > 1 for a, b in zip(ids, ids[1:], strict=False))
    else:
        assert [b["type"] for b in books[1:]].count("snapshot") >= 2


def test_drop_fault_closes_connection(replay_server) -> None:
    server = replay_server(stream={**FAST, "faults": "drop_every=0.3"})

    async def main() -> None:
        async with connect(server.stream_url) as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["kline.1.BTCUSDT"]}))
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
    asyncio.run(main())


@pytest.mark.parametrize("spec,message", [
    ("bogus=1", "unknown fault 'bogus'"), ("stall=3", "EVERY:SECONDS"),
    ("drop_every=-1", "must be positive"), ("snapshot_every=x", "whole number")])
def test_fault_grammar_errors(spec, message) -> None:
    with pytest.raises(UserError, match=message):
        parse_faults(spec)
    assert parse_faults("stall=10:3, drop_every=5").stall_seconds == 3.0
