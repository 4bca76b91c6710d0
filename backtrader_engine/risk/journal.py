"""The signal journal: one append-only record per gate decision and per later outcome.

Each signal yields a ``gate`` record (``passed`` or ``rejected``) and, if it passed, later one
``broker`` record (``executed``, ``rejected``, ``cancelled`` or ``expired``) sharing its
``signal_id``. Records are immutable and flat, so a crash-safe ledger can persist each one as it
arrives: it subscribes as a :class:`SignalObserver` and receives ``on_signal(record)`` in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Protocol, runtime_checkable

# Outcomes.
PASSED = "passed"
REJECTED = "rejected"
EXECUTED = "executed"
CANCELLED = "cancelled"
EXPIRED = "expired"

# Stages: who produced the record.
GATE = "gate"
BROKER = "broker"


@dataclass(frozen=True)
class SignalRecord:
    """One journal entry.

    Attributes
    ----------
    time
        Market time (naive UTC): the decision's bar for gate records, the fill or cancel bar
        for broker records.
    strategy, symbol
        Who signalled, on what.
    side
        ``buy`` or ``sell``.
    size
        Absolute order size (for ``executed``: the filled size).
    price
        Price at the decision (the signal bar's close); for ``executed``: the fill price.
    confidence
        The strategy's confidence (1.0 when it gave none).
    outcome
        ``passed``, ``rejected``, ``executed``, ``cancelled`` or ``expired``.
    reason
        Reason code of a rejection (``low_confidence``, ``broker:margin``...), else None.
    message
        Human-readable explanation of a rejection.
    stage
        ``gate`` for the decision, ``broker`` for what happened to a passed signal.
    signal_id
        Identifies the signal across its records (the order's ``ref``).
    """

    time: datetime
    strategy: str
    symbol: str
    side: str
    size: float
    price: float
    confidence: float
    outcome: str
    reason: str | None
    message: str
    stage: str
    signal_id: int

    def as_dict(self) -> dict[str, object]:
        """Flat, JSON-ready form (time as an ISO string)."""
        row = asdict(self)
        row["time"] = self.time.isoformat()
        return row


#: Column order of :meth:`SignalJournal.rows` and of ``signals.csv``.
RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SignalRecord))


@runtime_checkable
class SignalObserver(Protocol):
    """Anything that wants every journal record as it is written (ledger, metrics, alerts)."""

    def on_signal(self, record: SignalRecord) -> None:
        """Receive one record; called synchronously, in journal order."""


class SignalJournal:
    """Ordered list of :class:`SignalRecord` that forwards each record to its observers.

    Parameters
    ----------
    observers : iterable of SignalObserver
        Subscribed at once; more can be added with :meth:`subscribe`.
    keep : bool
        Keep the records in memory (``records``); a long paper session whose ledger persists
        everything may turn this off.
    """

    def __init__(self, observers: Iterable[SignalObserver] = (), *, keep: bool = True) -> None:
        self.records: list[SignalRecord] = []
        self.keep = keep
        self._observers: list[SignalObserver] = list(observers)

    def subscribe(self, observer: SignalObserver) -> None:
        """Send every later record to *observer* too."""
        self._observers.append(observer)

    def append(self, record: SignalRecord) -> None:
        """Store *record* and hand it to each observer; an observer's error propagates, because
        a ledger that cannot persist must not be silently skipped."""
        if self.keep:
            self.records.append(record)
        for observer in self._observers:
            observer.on_signal(record)

    def rows(self) -> list[dict[str, object]]:
        """The kept records as flat dicts, for CSV or JSON."""
        return [record.as_dict() for record in self.records]
