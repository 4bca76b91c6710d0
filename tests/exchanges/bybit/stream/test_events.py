"""Stream events: a bar is a candle with the exchange time, turnover and source."""

from dataclasses import fields

from backtrader_engine.data.candle import Candle
from backtrader_engine.exchanges.bybit.stream.events import ClosedBar, Trade


def test_a_bar_is_a_candle_with_its_time_turnover_and_source() -> None:
    bar = ClosedBar("BTCUSDT", 60_000, "1", 0, 59_999, 1.0, 2.0, 0.5, 1.5, 10.0, 15.0)
    assert isinstance(bar, Candle)
    candle = [f.name for f in fields(Candle)]
    # Positional construction (parser, REST backfill) relies on this order.
    assert [f.name for f in fields(bar)] == [
        "symbol", "ts", *candle[1:], "turnover", "source"]
    assert (bar.ts, bar.open, bar.close, bar.turnover, bar.source) == (
        60_000, 1.0, 1.5, 15.0, "stream")


def test_events_stay_slotted() -> None:
    # Bars and trades are the most frequent objects of a session: no per-instance dict.
    bar = ClosedBar("BTCUSDT", 60_000, "1", 0, 59_999, 1.0, 2.0, 0.5, 1.5, 10.0, 15.0)
    assert not hasattr(bar, "__dict__")
    assert not hasattr(Trade("BTCUSDT", 1, 100.0, 0.1, "Buy", "t1"), "__dict__")
