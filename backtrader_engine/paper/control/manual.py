"""Manual (QA) signals: orders injected from outside into a running paper session.

Injected signals trade a sub-account of their own per symbol, ``Manual:SYMBOL``, run by
:class:`ManualSignalStrategy`, so they never disturb a strategy's own bookkeeping. They take
the same path as a strategy's orders: risk gate → paper broker → ledger. Each one is logged
as an input together with the bar after which it was applied, so a resumed session applies
it again at the same point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import backtrader as bt

SIDES = ("buy", "sell")
MANUAL = "Manual"
#: notify_data status carrying an InjectedSignal (beyond backtrader's own statuses).
INJECTED = 100


@dataclass(frozen=True)
class InjectedSignal:
    """One manual signal. ``qty`` ``None`` sizes it at ``default_notional_pct`` of equity."""

    signal_id: int
    symbol: str
    side: str
    qty: float | None = None
    confidence: float = 1.0


class ManualSignalStrategy(bt.Strategy):
    """Places one market order per injected signal; trades nothing on its own.

    A sell while long (or a buy while short) closes the position first: a QA "SELL" after
    a "BUY" means "get out", as it did in the seed's QA flow. Without ``qty`` a signal
    opens ``default_notional_pct`` of equity at the last close.
    """

    params = (("default_notional_pct", 10.0),)

    def __init__(self) -> None:
        self.orders: dict[int, bt.Order] = {}

    def next(self) -> None:
        """Nothing: signals arrive through :meth:`notify_data`."""

    def notify_data(self, data: bt.AbstractDataBase, status: int, *args: object,
                    **kwargs: object) -> None:
        if status == INJECTED and args and isinstance(args[0], InjectedSignal):
            self.apply(args[0])

    def apply(self, signal: InjectedSignal) -> bt.Order | None:
        """Submit the order for *signal* (called on the cerebro thread)."""
        price = float(self.data.close[0]) if len(self.data) else math.nan
        position = self.position.size
        qty = signal.qty
        if qty is None:
            if not price > 0:
                return None
            qty = self.broker.getvalue() * self.p.default_notional_pct / 100.0 / price
        if signal.side == "sell" and position > 0 and signal.qty is None:
            qty = position  # get out of the long
        elif signal.side == "buy" and position < 0 and signal.qty is None:
            qty = -position
        info = {"strategy": f"{MANUAL}:{signal.symbol}", "confidence": signal.confidence,
                "signal_id": signal.signal_id}
        if signal.side == "buy":
            order = self.buy(size=qty, **info)
        else:
            order = self.sell(size=qty, **info)
        self.orders[signal.signal_id] = order
        return order
