"""Signal counters per strategy and per symbol, kept up to date from the journal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TypedDict

from backtrader_engine.risk.journal import (
    BROKER,
    CANCELLED,
    EXECUTED,
    EXPIRED,
    GATE,
    PASSED,
    REJECTED,
    SignalRecord,
)


class SignalCountsDict(TypedDict):
    """JSON-ready counts of a :class:`SignalCounts` (its ``as_dict``)."""

    generated: int
    passed: int
    executed: int
    rejected: int
    cancelled: int
    open: int
    rejection_reasons: dict[str, int]


@dataclass
class SignalCounts:
    """How the signals of one group (all, one strategy, one symbol) ended.

    ``generated = passed + rejected by the gate``; a passed signal later ends as executed,
    rejected by the broker (counted in ``rejected`` with a ``broker:`` reason) or cancelled
    (cancelled or expired), or is still ``open`` when the run ends.
    """

    generated: int = 0
    passed: int = 0
    executed: int = 0
    rejected: int = 0
    cancelled: int = 0
    broker_rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def open(self) -> int:
        """Passed signals with no final outcome yet (resting orders)."""
        return self.passed - self.executed - self.broker_rejected - self.cancelled

    def add(self, record: SignalRecord) -> None:
        """Count one journal record."""
        if record.stage == GATE:
            self.generated += 1
            if record.outcome == PASSED:
                self.passed += 1
        if record.outcome == REJECTED:
            self.rejected += 1
            self.reasons[record.reason or "unknown"] += 1
            if record.stage == BROKER:
                self.broker_rejected += 1
        elif record.outcome == EXECUTED:
            self.executed += 1
        elif record.outcome in (CANCELLED, EXPIRED):
            self.cancelled += 1

    def as_dict(self) -> SignalCountsDict:
        """JSON-ready counts; reasons sorted by count, then name."""
        reasons = dict(sorted(self.reasons.items(), key=lambda item: (-item[1], item[0])))
        return {"generated": self.generated, "passed": self.passed, "executed": self.executed,
                "rejected": self.rejected, "cancelled": self.cancelled, "open": self.open,
                "rejection_reasons": reasons}


class SignalTally:
    """A :class:`~.journal.SignalObserver` that counts in total, per strategy and per symbol."""

    def __init__(self) -> None:
        self.total = SignalCounts()
        self.by_strategy: dict[str, SignalCounts] = {}
        self.by_symbol: dict[str, SignalCounts] = {}

    def on_signal(self, record: SignalRecord) -> None:
        """Count *record* in every group it belongs to."""
        self.total.add(record)
        self.by_strategy.setdefault(record.strategy, SignalCounts()).add(record)
        self.by_symbol.setdefault(record.symbol, SignalCounts()).add(record)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counts: ``total``, ``by_strategy`` and ``by_symbol``."""
        return {
            "total": self.total.as_dict(),
            "by_strategy": {k: v.as_dict() for k, v in sorted(self.by_strategy.items())},
            "by_symbol": {k: v.as_dict() for k, v in sorted(self.by_symbol.items())},
        }
