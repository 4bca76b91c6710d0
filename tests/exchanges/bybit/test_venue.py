from __future__ import annotations

import copy
import json

import pytest

from backtrader_engine.errors import DataError
from backtrader_engine.exchanges.bybit.venue import (
    DEFAULT_INSTRUMENTS,
    Instrument,
    load_instruments,
    parse_instrument,
    save_instruments,
    to_item,
)

# Trimmed from Bybit's instruments-info documentation example (BTCUSDT, linear).
BTC_ITEM = {
    "symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading",
    "baseCoin": "BTC", "quoteCoin": "USDT", "launchTime": "1585526400000",
    "priceFilter": {"minPrice": "0.10", "maxPrice": "199999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "100.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "minNotionalValue": "5"},
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "fundingInterval": 480,
}


def test_parse_instrument_reads_every_field() -> None:
    inst = parse_instrument(BTC_ITEM)
    assert inst == Instrument("BTCUSDT", "linear", 0.1, 0.001, 0.001, 5.0, 100.0, 480,
                              1585526400000)


@pytest.mark.parametrize("path", ["priceFilter.tickSize", "lotSizeFilter.qtyStep",
                                  "lotSizeFilter.minNotionalValue", "fundingInterval"])
def test_missing_field_is_named(path: str) -> None:
    item = copy.deepcopy(BTC_ITEM)
    *parents, leaf = path.split(".")
    target = item
    for key in parents:
        target = target[key]
    del target[leaf]
    with pytest.raises(DataError, match=f"'BTCUSDT': missing field '{path}'"):
        parse_instrument(item)


def test_non_numeric_field_is_named() -> None:
    item = copy.deepcopy(BTC_ITEM)
    item["leverageFilter"]["maxLeverage"] = "lots"
    with pytest.raises(DataError, match="'leverageFilter.maxLeverage' is 'lots'"):
        parse_instrument(item)
    item["leverageFilter"]["maxLeverage"] = "0"
    with pytest.raises(DataError, match="expected a number > 0"):
        parse_instrument(item)


def test_item_without_symbol_or_not_an_object() -> None:
    with pytest.raises(DataError, match="missing field 'symbol'"):
        parse_instrument({"priceFilter": {}})
    with pytest.raises(DataError, match="expected an object"):
        parse_instrument(["BTCUSDT"])  # type: ignore[arg-type]


def test_rounding_to_tick_and_step() -> None:
    btc = parse_instrument(BTC_ITEM)
    assert btc.round_price(20000.04) == 20000.0
    assert btc.round_price(20000.06) == 20000.1
    assert btc.round_price(0.3 * 3) == 0.9  # binary float noise does not leak through
    assert btc.round_qty(0.0019) == 0.001  # down, never more than asked
    assert btc.round_qty(1.2345) == 1.234


def test_validate_order() -> None:
    btc = parse_instrument(BTC_ITEM)
    assert btc.validate_order(0.001, 20000.1) is None
    assert "multiple of the step" in btc.validate_order(0.0015, 20000.0)
    assert "multiple of the tick" in btc.validate_order(0.001, 20000.05)
    assert "below the minimum 5.0" in btc.validate_order(0.001, 100.0)
    assert "must be positive" in btc.validate_order(0.0, 100.0)
    coarse = Instrument("XUSDT", "linear", 0.01, 0.001, 0.01, 5.0, 50.0, 240)
    assert "quantity 0.005 is below the minimum 0.01" in coarse.validate_order(0.005, 1500.0)


def test_round_trip_through_item_and_cache(tmp_path) -> None:
    btc = parse_instrument(BTC_ITEM)
    assert parse_instrument(to_item(btc)) == btc
    cache = tmp_path / "bybit" / "instruments.json"
    save_instruments([btc, DEFAULT_INSTRUMENTS["SOLUSDT"]], cache)
    assert load_instruments(cache) == {"BTCUSDT": btc, "SOLUSDT": DEFAULT_INSTRUMENTS["SOLUSDT"]}
    assert [p.name for p in cache.parent.iterdir()] == ["instruments.json"]  # no temp left


def test_defaults_without_cache_and_bad_cache(tmp_path) -> None:
    assert set(load_instruments(tmp_path / "none.json")) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    bad = tmp_path / "instruments.json"
    bad.write_text(json.dumps({"BTCUSDT": {"symbol": "BTCUSDT"}}))
    with pytest.raises(DataError, match="unreadable instruments cache"):
        load_instruments(bad)


class _PagedClient:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def get_instruments_info(self, **kwargs):
        self.calls.append(kwargs)
        if "cursor" not in kwargs:
            return {"result": {"list": [BTC_ITEM], "nextPageCursor": "p2"}}
        eth = to_item(DEFAULT_INSTRUMENTS["ETHUSDT"])
        return {"result": {"list": [eth], "nextPageCursor": ""}}


def test_load_with_client_follows_cursor_and_writes_cache(tmp_path) -> None:
    client = _PagedClient()
    cache = tmp_path / "instruments.json"
    found = load_instruments(cache, client)
    assert set(found) == {"BTCUSDT", "ETHUSDT"}
    assert [c.get("cursor") for c in client.calls] == [None, "p2"]
    assert load_instruments(cache) == found
