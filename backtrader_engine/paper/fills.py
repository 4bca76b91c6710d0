"""Market-order prices from a visible order book: slippage grows with size against depth.

A market buy walks the asks from the best level, a sell walks the bids; the fill price is
the volume-weighted average of the levels consumed. What the visible book cannot absorb is
priced beyond the last visible level, at a premium that grows linearly with how much larger
the order is than the visible depth: the book behind the visible levels is thinner than
what shows, and a real order that size would move the market further.
"""

from __future__ import annotations

from collections.abc import Sequence

from backtrader_engine.exchanges.bybit.stream.events import Level

#: Extra price impact per visible-depth multiple beyond the book, as a fraction of price.
BEYOND_BOOK_IMPACT = 0.001


def book_fill_price(is_buy: bool, size: float, bids: Sequence[Level], asks: Sequence[Level],
                    *, extra_slippage_bps: float = 0.0) -> float | None:
    """Average fill price of a market order of *size* against the book, or ``None``.

    ``None`` when the side the order takes from is empty (no book known). A configured
    *extra_slippage_bps* worsens the result further (latency, hidden costs).
    """
    levels = asks if is_buy else bids
    if not levels or size <= 0:
        return None
    left, cost = size, 0.0
    for price, available in levels:
        take = min(left, available)
        cost += take * price
        left -= take
        if left <= 0:
            break
    if left > 0:
        depth = size - left
        last = levels[-1][0]
        excess = left / depth if depth > 0 else 1.0
        impact = BEYOND_BOOK_IMPACT * (1.0 + excess)
        cost += left * last * (1.0 + impact if is_buy else 1.0 - impact)
    price = cost / size
    slip = extra_slippage_bps / 10_000.0
    return price * (1.0 + slip) if is_buy else price * (1.0 - slip)
