"""The bar context: a candle with the market around it."""

from dataclasses import fields, replace

from backtrader_engine.data.candle import Candle
from backtrader_engine.paper.context import WARMUP, BarContext


def test_a_bar_context_is_a_candle_followed_by_its_source_and_market() -> None:
    ctx = BarContext("BTCUSDT", "1", 0, 59_999, 1.0, 2.0, 0.5, 1.5, 10.0, WARMUP)
    assert isinstance(ctx, Candle)
    # The ledger and the parity check rebuild contexts positionally from stored rows.
    assert [f.name for f in fields(ctx)] == [
        *(f.name for f in fields(Candle)), "source", "bids", "asks", "mark_price",
        "funding_rate", "next_funding_time", "latency_ms", "errors"]
    assert (ctx.high, ctx.low, ctx.volume, ctx.tradable, ctx.close_time) == (
        2.0, 0.5, 10.0, False, 60_000)
    assert not hasattr(ctx, "__dict__")


def test_with_health_is_replace_and_keeps_an_unchanged_context() -> None:
    ctx = BarContext("BTCUSDT", "1", 0, 59_999, 1.0, 2.0, 0.5, 1.5, 10.0, "stream",
                     ((1.4, 2.0),), ((1.6, 3.0),), 1.5, 0.0001, 28_800_000)
    slow = ctx.with_health(850.0, 2)
    assert slow == replace(ctx, latency_ms=850.0, errors=2)
    assert (slow.latency_ms, slow.errors, ctx.latency_ms, ctx.errors) == (850.0, 2, None, 0)
    assert ctx.with_health(None, 0) is ctx
    assert slow.with_health(850.0, 2) is slow
