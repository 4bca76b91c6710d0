"""Round trips from a sub-account's fills: a trade ends when its position returns to zero."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def closed_trades(fills: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(won, lost) round trips in *fills* (time order), judged by PnL net of fees.

    A fill that takes the position to or through zero closes a trade; fees paid since the
    previous close (the entry's included) count against it. A trade at exactly zero is lost.
    """
    won = lost = 0
    net = 0.0
    for fill in fills:
        net += float(fill["pnl"]) - float(fill["fee"])
        after = float(fill["position_after"])
        before = after - float(fill["size"])
        if before != 0.0 and (after == 0.0 or (after > 0) != (before > 0)):
            won, lost = (won + 1, lost) if net > 0 else (won, lost + 1)
            net = 0.0
    return won, lost
