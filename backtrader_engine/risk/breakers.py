"""Circuit breakers: trip on one bad observation, stay open for a cool-down, then close.

A breaker does not try to judge when conditions are good again; it simply holds new entries off
for ``cooldown`` seconds of market time after the observation that tripped it. If the condition
still holds at the next observation after the cool-down, it trips again. Exits are never held
off (the gate only sees entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .clock import to_datetime

#: Breaker names in the order the gate reports them when several are open.
BREAKER_NAMES: tuple[str, ...] = ("drawdown", "volatility", "latency", "spread", "error_rate")


@dataclass(frozen=True)
class BreakerState:
    """A breaker as a dashboard or metrics exporter sees it at one market time.

    Attributes
    ----------
    name
        ``drawdown``, ``volatility``, ``latency``, ``spread`` or ``error_rate``.
    is_open
        True while new entries are refused.
    opened_at, closes_at
        Market time (naive UTC) of the last trip and the end of its cool-down; None if it
        never tripped.
    reason
        What tripped it last, e.g. ``latency 2500 ms > 2000 ms``; empty if it never tripped.
    trips
        How many times it has tripped so far.
    """

    name: str
    is_open: bool
    opened_at: datetime | None
    closes_at: datetime | None
    reason: str
    trips: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (times as ISO strings)."""
        return {
            "open": self.is_open,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "reason": self.reason,
            "trips": self.trips,
        }


class CircuitBreaker:
    """One breaker: opens when an observation exceeds *limit*, for *cooldown* seconds.

    Parameters
    ----------
    name : str
        Breaker name; the gate's reason code is ``breaker:<name>``.
    limit : float
        Observations strictly above this trip the breaker.
    cooldown : float
        Market-time seconds the breaker stays open after a trip (0: it never blocks).
    unit : str
        Unit shown in the reason text (``" ms"``, ``"%"``).
    """

    def __init__(self, name: str, limit: float, cooldown: float, unit: str = "") -> None:
        self.name = name
        self.limit = float(limit)
        self.cooldown = float(cooldown)
        self.unit = unit
        self.opened_at: float | None = None
        self.reason = ""
        self.trips = 0

    def observe(self, when: float, value: float) -> bool:
        """Feed one observation at market time *when*; return True if it tripped the breaker.

        An observation while the breaker is already open does not extend the cool-down, so a
        breaker always closes ``cooldown`` seconds after it opened.
        """
        if not value > self.limit or self.is_open(when):
            return False
        self.opened_at = when
        self.reason = f"{self.name} {value:.6g}{self.unit} > {self.limit:g}{self.unit}"
        self.trips += 1
        return True

    def is_open(self, when: float) -> bool:
        """Whether the breaker blocks new entries at market time *when*."""
        return self.opened_at is not None and when < self.opened_at + self.cooldown

    def closes_at(self) -> float | None:
        """End of the current or last cool-down (epoch seconds), or None if never tripped."""
        return None if self.opened_at is None else self.opened_at + self.cooldown

    def state(self, when: float) -> BreakerState:
        """The breaker's queryable state at market time *when*."""
        closes = self.closes_at()
        return BreakerState(
            name=self.name,
            is_open=self.is_open(when),
            opened_at=to_datetime(self.opened_at) if self.opened_at is not None else None,
            closes_at=to_datetime(closes) if closes is not None else None,
            reason=self.reason,
            trips=self.trips,
        )
