"""What the gate needs to know about one signal, independent of any broker or order class."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignalRequest:
    """One entry order, described in plain values.

    The broker hook builds it from a backtrader order and the broker's state; tests and other
    callers can build it directly, which keeps the rules free of backtrader.

    Attributes
    ----------
    time
        Market time of the decision (epoch seconds): the bar the strategy saw.
    strategy
        Strategy name; spacing and the per-strategy cap are counted per name.
    symbol
        Instrument the order trades.
    size
        Signed order size (+ buy, - sell).
    price
        Current price of the symbol at the decision (the close of the bar the strategy saw).
    confidence
        Strategy confidence in [0, 1]; 1.0 when the strategy gave none.
    resulting_size
        Signed position of the symbol if this order and the symbol's other pending entries
        fill, on top of the current position and its pending market orders.
    open_positions
        Symbols that have a position or a pending entry, across all strategies.
    symbol_is_open
        Whether *symbol* is one of them (adding to it opens no new position).
    """

    time: float
    strategy: str
    symbol: str
    size: float
    price: float
    confidence: float = 1.0
    resulting_size: float | None = None
    open_positions: int = 0
    symbol_is_open: bool = False

    @property
    def side(self) -> str:
        """``buy`` or ``sell``."""
        return "buy" if self.size > 0 else "sell"

    @property
    def resulting_notional(self) -> float:
        """``|resulting position| * price`` in quote currency (USDT)."""
        size = self.size if self.resulting_size is None else self.resulting_size
        return abs(size) * self.price
