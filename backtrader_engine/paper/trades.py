"""Round trips from a sub-account's fills: a trade ends when its position returns to zero."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class TradeCounter:
    """Counts closed round trips as won or lost, by PnL net of fees, one fill at a time.

    A fill that takes the position to or through zero closes a trade; fees paid since the
    previous close (the entry's included) count against it. A trade at exactly zero is lost.
    """

    def __init__(self) -> None:
        self.won = 0
        self.lost = 0
        self.pnl = 0.0  # realised PnL of every fill, before fees
        self._net = 0.0

    def add(self, size: float, position_after: float, pnl: float, fee: float) -> None:
        """Account one fill of signed *size* leaving the position at *position_after*."""
        self.pnl += pnl
        self._net += pnl - fee
        before = position_after - size
        if before != 0.0 and (position_after == 0.0 or (position_after > 0) != (before > 0)):
            if self._net > 0:
                self.won += 1
            else:
                self.lost += 1
            self._net = 0.0


def closed_trades(fills: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(won, lost) round trips in *fills* (ledger rows, in time order)."""
    counter = TradeCounter()
    for fill in fills:
        counter.add(float(fill["size"]), float(fill["position_after"]), float(fill["pnl"]),
                    float(fill["fee"]))
    return counter.won, counter.lost
