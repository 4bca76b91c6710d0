"""The bar context: a candle with the market around it."""

from dataclasses import fields

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
