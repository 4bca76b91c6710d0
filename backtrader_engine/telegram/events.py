"""Typed notification events: what the ledger watcher found, before any formatting."""

from __future__ import annotations

from dataclasses import dataclass, field

INFO, WARNING, CRITICAL = "info", "warning", "critical"
LEVELS: tuple[str, ...] = (INFO, WARNING, CRITICAL)

# Kinds, one per thing an operator is told about.
STARTED = "started"
STOPPED = "stopped"
EXECUTED = "executed"
REJECTED = "rejected"
CANCELLED = "cancelled"
CLOSED = "closed"
FUNDING = "funding"
DRAWDOWN = "drawdown"
BREAKER = "breaker"
ERROR = "error"
MARKET_DATA = "market_data"
ENTRIES = "entries"
DAILY_SUMMARY = "daily_summary"
KINDS: tuple[str, ...] = (STARTED, STOPPED, EXECUTED, REJECTED, CANCELLED, CLOSED, FUNDING,
                          DRAWDOWN, BREAKER, ERROR, MARKET_DATA, ENTRIES, DAILY_SUMMARY)


@dataclass(frozen=True)
class Notification:
    """One thing worth telling the operator, with its context.

    Attributes
    ----------
    kind
        One of :data:`KINDS` (``executed``, ``rejected``, ``closed``...).
    level
        ``info``, ``warning`` or ``critical``; ``telegram.alert_levels`` picks which are sent.
    title
        One line, e.g. ``Signal executed: RSIEMAMomentumStrategy BTCUSDT buy``.
    fields
        Ordered ``(label, value)`` context lines (plain text; escaped when rendered).
    ts_ms
        Market time of the event (bar time), when it has one.
    account
        The sub-account concerned, if any.
    """

    kind: str
    level: str
    title: str
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    ts_ms: int | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}; expected one of "
                             f"{', '.join(KINDS)}")
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}; expected info, warning or "
                             "critical")

    def value_of(self, label: str) -> str | None:
        """The value of context line *label*, or ``None``."""
        for name, value in self.fields:
            if name == label:
                return value
        return None
