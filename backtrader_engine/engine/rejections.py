"""Orders that were not accepted or never traded, counted by reason: the one definition.

A strategy that is refused silently gets a silently wrong answer, so every order that ends
without trading for a reason other than the strategy's own ``cancel()`` is counted here, and the
backtest report, the printed summary, paper status and the metrics all read these counts.

Reason codes are stable strings:

* ``margin``: backtrader's ``Margin`` status, not enough free cash for the order's margin and
  fee when it was checked (at submission, or at the fill for the part that opens a position);
* ``expired``: a ``valid=`` order whose time ran out before it filled;
* the ``reject_reason`` the broker attached to a ``Rejected`` order: the risk gate's codes
  (:mod:`backtrader_engine.risk.reasons`), the venue's lot rules (``venue_min_qty``,
  ``venue_min_notional``), ``warmup``, ``entries_paused`` and ``trading_paused`` in paper sessions;
* ``rejected``: a ``Rejected`` order without a reason.

Orders the strategy cancels, and bracket or OCO siblings cancelled because their partner
filled, are the strategy's own doing and are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import backtrader as bt

MARGIN = "margin"
EXPIRED = "expired"
REJECTED = "rejected"

#: Every reason a broker of this package can give: metrics export a zero series for each from
#: the first scrape, so an alert on their rate sees data before the first refusal. Risk-gate
#: refusals are counted under their own codes too, and exported by the gate's signal metrics.
KNOWN_REASONS: tuple[str, ...] = (
    MARGIN, EXPIRED, REJECTED, "venue_min_qty", "venue_min_notional", "warmup",
    "entries_paused", "trading_paused")

#: How a reason reads in one line of a summary ("311 orders rejected: insufficient margin").
_LABELS = {
    MARGIN: "insufficient margin",
    EXPIRED: "expired unfilled (valid=)",
    REJECTED: "rejected by the broker",
    "venue_min_qty": "below the venue's minimum quantity",
    "venue_min_notional": "below the venue's minimum order value",
    "warmup": "placed on warm-up history",
    "entries_paused": "entries paused by the operator",
    "trading_paused": "trading paused by the operator",
    "linked_refused": "bracket/OCO partner refused",
}


def rejection_reason(order: bt.Order) -> str | None:
    """The reason code of an order that ended without being accepted or filled, else None.

    Parameters
    ----------
    order : bt.Order
        An order as notified (any status).

    Returns
    -------
    str or None
        ``margin``, ``expired``, the order's ``reject_reason`` or ``rejected`` for orders in the
        ``Margin``, ``Expired`` or ``Rejected`` status; None for every other status.
    """
    status = order.status
    if status == bt.Order.Margin:
        return MARGIN
    if status == bt.Order.Expired:
        return EXPIRED
    if status == bt.Order.Rejected:
        return str(order.info.get("reject_reason") or REJECTED)
    return None


def reason_label(reason: str) -> str:
    """Human words for a reason code (gate codes read as themselves: ``low confidence``)."""
    if reason in _LABELS:
        return _LABELS[reason]
    if reason.startswith("breaker:"):
        return f"circuit breaker {reason.partition(':')[2]} open"
    return reason.replace("_", " ")


class RejectionCounter:
    """Counts each not-accepted order once, by reason.

    Brokers notify an order several times; only the notification that carries the final
    ``Margin``/``Expired``/``Rejected`` status counts, and an order is counted at most once.
    """

    def __init__(self) -> None:
        self.by_reason: Counter[str] = Counter()
        #: Orders accepted at a smaller size than asked: rounded down to the venue's
        #: quantity step (``order.info['requested_size']`` keeps what was asked).
        self.resized = 0
        self._seen: set[int] = set()

    def observe(self, order: bt.Order) -> str | None:
        """Count *order* if it was just refused; returns the reason it was counted under."""
        reason = rejection_reason(order)
        if reason is None or order.ref in self._seen:
            return None
        self._seen.add(order.ref)
        self.by_reason[reason] += 1
        return reason

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())

    def as_dict(self) -> dict[str, int]:
        """``{reason: count}``, largest first (JSON-friendly)."""
        return dict(self.by_reason.most_common())


def describe_rejections(by_reason: Mapping[str, int]) -> str:
    """One line for a summary: ``311 orders rejected: insufficient margin; 4 orders ...``.

    Empty when nothing was refused.
    """
    parts = []
    for reason, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0])):
        if not count:
            continue
        noun = "order" if count == 1 else "orders"
        if reason == EXPIRED:
            parts.append(f"{count} {noun} expired unfilled (valid=)")
        else:
            parts.append(f"{count} {noun} rejected: {reason_label(reason)}")
    return "; ".join(parts)
