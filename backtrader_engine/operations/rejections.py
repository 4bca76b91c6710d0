"""Refusals over time: rejected signals and refused orders of a session, by reason and period.

The counts use the definitions the snapshot's totals use (:mod:`.snapshot`): a signal whose
outcome is ``rejected`` counts under its reason (``unknown`` without one); an order the ledger
holds as refused or expired counts under
:func:`~backtrader_engine.engine.rejections.rejection_reason`. So the periods of one reason
add up to the snapshot's ``signals_rejected`` and ``orders_rejected`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.engine.rejections import rejection_reason
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReadError, ledger_path
from backtrader_engine.operations.snapshot import REFUSED_STATUSES, StoredOrder, open_ledger

#: The period lengths a history can be counted in.
PERIODS_MS = {"hour": 3_600_000, "day": 86_400_000}
#: What was refused: a strategy's signal (by the risk gate) or an order (by the broker).
SIGNAL = "signal"
ORDER = "order"


@dataclass(frozen=True)
class RejectionCount:
    """How many signals or orders (*kind*) were refused for *reason* in one period.

    Attributes
    ----------
    period_ms
        Start of the period (UTC epoch milliseconds, a multiple of its length).
    kind
        :data:`SIGNAL` (time: the signal's bar) or :data:`ORDER` (time: the order's last
        update, when it was refused or expired).
    reason
        The reason code.
    count
        How many, over every sub-account.
    """

    period_ms: int
    kind: str
    reason: str
    count: int


def rejection_history(state_dir: Path | str, period: str = "hour") -> list[RejectionCount]:
    """Refused signals and orders of the ledger under *state_dir*, per *period* and reason,
    oldest period first.

    Raises
    ------
    UserError
        *period* is not ``hour`` or ``day``; no ledger under *state_dir*, or an unreadable
        one.
    """
    if period not in PERIODS_MS:
        raise UserError(f"period {period!r}: expected one of {', '.join(PERIODS_MS)}")
    length = PERIODS_MS[period]
    counts: dict[tuple[int, str, str], int] = {}
    reader = open_ledger(state_dir)
    try:
        for s in reader.signal_outcome_counts_by_period(length):
            if s.outcome == "rejected":
                key = (s.period_ms, SIGNAL, s.reason or "unknown")
                counts[key] = counts.get(key, 0) + s.count
        for o in reader.order_status_counts_by_period(REFUSED_STATUSES, length):
            reason = rejection_reason(StoredOrder(o.status, o.reject_reason))
            if reason is not None:
                key = (o.period_ms, ORDER, reason)
                counts[key] = counts.get(key, 0) + o.count
    except LedgerReadError as exc:
        raise UserError(f"{ledger_path(state_dir)}: unreadable ledger ({exc})") from None
    finally:
        reader.close()
    return [RejectionCount(start, kind, reason, n)
            for (start, kind, reason), n in sorted(counts.items())]
