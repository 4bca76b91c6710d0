"""The market hub's release order: simultaneous bars of several streams in a fixed order."""

from __future__ import annotations

from backtrader_engine.exchanges.bybit.stream.klines import bar_end
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.hub import ReleaseOrder

MINUTE = 60_000
T0 = 1_662_336_000_000  # 2022-09-05 00:00 UTC, a Monday


def bar(symbol: str, interval: str, start: int) -> BarContext:
    return BarContext(symbol, interval, start, bar_end(start, interval), 1.0, 1.0, 1.0, 1.0,
                      1.0, "stream")


def names(ready: list[BarContext]) -> list[tuple[str, str, int]]:
    return [(ctx.symbol, ctx.interval, ctx.start) for ctx in ready]


def test_a_bar_waits_for_the_other_streams_bar_closing_at_the_same_time() -> None:
    order = ReleaseOrder([("BTCUSDT", "1"), ("ETHUSDT", "1")], wait_s=1e9)
    order.add(bar("ETHUSDT", "1", T0))
    assert order.ready() == []  # BTCUSDT may still have a bar closing then
    order.add(bar("BTCUSDT", "1", T0))
    # Released together, in the configured order of streams, not in arrival order.
    assert names(order.ready()) == [("BTCUSDT", "1", T0), ("ETHUSDT", "1", T0)]


def test_a_longer_stream_holds_back_only_the_bars_closing_with_its_own() -> None:
    order = ReleaseOrder([("BTCUSDT", "1"), ("BTCUSDT", "5")], wait_s=1e9)
    order.resume(("BTCUSDT", "5"), T0)  # its last bar closed at T0: the next closes at T0+5'
    for k in range(4):  # minutes closing before T0+5': the 5m stream cannot have a bar then
        order.add(bar("BTCUSDT", "1", T0 + k * MINUTE))
        assert names(order.ready()) == [("BTCUSDT", "1", T0 + k * MINUTE)]
    order.add(bar("BTCUSDT", "1", T0 + 4 * MINUTE))  # closes at T0+5', with the 5m bar
    assert order.ready() == []
    order.add(bar("BTCUSDT", "5", T0))
    assert names(order.ready()) == [("BTCUSDT", "1", T0 + 4 * MINUTE), ("BTCUSDT", "5", T0)]


def test_a_monthly_stream_is_passed_by_its_calendar_month() -> None:
    # September 2022 has 30 days: a bar closing on 2022-10-01 00:00 waits for the monthly
    # bar, one closing a day earlier does not.
    september = 1_661_990_400_000  # 2022-09-01 00:00 UTC
    day = 24 * 60 * MINUTE
    order = ReleaseOrder([("BTCUSDT", "D"), ("BTCUSDT", "M")], wait_s=1e9)
    order.resume(("BTCUSDT", "M"), september)
    order.add(bar("BTCUSDT", "D", september + 28 * day))  # closes 2022-09-30 00:00
    assert names(order.ready()) == [("BTCUSDT", "D", september + 28 * day)]
    order.add(bar("BTCUSDT", "D", september + 29 * day))  # closes 2022-10-01 00:00
    assert order.ready() == []
    order.add(bar("BTCUSDT", "M", september))
    assert names(order.ready()) == [("BTCUSDT", "D", september + 29 * day),
                                    ("BTCUSDT", "M", september)]


def test_everything_releases_what_is_held() -> None:
    order = ReleaseOrder([("BTCUSDT", "1"), ("ETHUSDT", "1")], wait_s=1e9)
    order.add(bar("ETHUSDT", "1", T0))
    assert names(order.ready(everything=True)) == [("ETHUSDT", "1", T0)]
    assert order.ready() == []
