"""Circuit breakers: trip on one bad observation, hold new entries off, re-arm by their mode.

A breaker does not try to judge when conditions are good again. It trips on one observation
strictly above its limit and then stays **open** (new entries refused) until its mode says it
re-arms:

``cooldown``
    ``cooldown`` seconds of market time after the trip;
``daily``
    the next UTC midnight of market time after the trip;
``halt``
    an operator resumes trading (``RiskGate.resume_halted``: Telegram ``/start_trading``,
    ``bte bot resume-entries``, the panel's *Resume entries*). A backtest has no operator, so
    there a halted breaker stays open to the end.

Re-arming is measured against a **fresh baseline**: the gate resets what the breaker compares
(the drawdown breaker's peak becomes the equity at re-arm, the error-rate breaker forgets the
errors before it), so a condition that simply persists does not trip it again at once. Exits
are never held off (the gate only sees entries). Observations while a breaker is open neither
extend it nor count as trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backtrader_engine.risk.clock import to_datetime, utc_day

#: Breaker names in the order the gate reports them when several are open.
BREAKER_NAMES: tuple[str, ...] = ("drawdown", "volatility", "latency", "spread", "error_rate")

#: Re-arm semantics (``breakers.<name>.mode`` in risk_config.json).
COOLDOWN = "cooldown"
DAILY = "daily"
HALT = "halt"
MODES: tuple[str, ...] = (COOLDOWN, DAILY, HALT)

#: How an operator resumes trading after a ``halt`` breaker, as messages say it.
OPERATOR_RESUME = ("when an operator runs /start_trading or bte bot resume-entries (or Resume "
                   "entries in the panel)")

#: What a re-armed breaker is measured against, for messages; breakers not listed compare each
#: observation on its own, so there is nothing to reset.
FRESH_BASELINE: dict[str, str] = {
    "drawdown": "against a fresh peak",
    "error_rate": "with a fresh error count",
}

_DAY = 86_400.0


def format_time(seconds: float) -> str:
    """``2018-06-01 11:15 UTC`` (seconds shown only when not zero)."""
    when = to_datetime(seconds)
    return f"{when:%Y-%m-%d %H:%M:%S} UTC" if when.second or when.microsecond else (
        f"{when:%Y-%m-%d %H:%M} UTC")


@dataclass(frozen=True)
class BreakerState:
    """A breaker as a dashboard or metrics exporter sees it at one market time.

    Attributes
    ----------
    name
        ``drawdown``, ``volatility``, ``latency``, ``spread`` or ``error_rate``.
    mode
        ``cooldown``, ``daily`` or ``halt``.
    is_open
        True while new entries are refused.
    opened_at, closes_at
        Market time (naive UTC) of the last trip and the end of its open period; None if it
        never tripped, and ``closes_at`` None while a ``halt`` waits for an operator.
    reason
        What tripped it last, e.g. ``latency 2500 ms > 2000 ms``; empty if it never tripped.
    trips
        How many times it has tripped so far.
    halted_seconds
        Market-time seconds it has held new entries off so far, all trips together.
    resumes
        While open, when entries resume (``entries resume 2018-06-01 11:15 UTC against a
        fresh peak``, ``entries resume when an operator runs /start_trading ...``); else empty.
    cooldown_seconds
        The cool-down of a ``cooldown`` breaker; None for the other modes.
    """

    name: str
    is_open: bool
    opened_at: datetime | None
    closes_at: datetime | None
    reason: str
    trips: int
    mode: str = COOLDOWN
    halted_seconds: float = 0.0
    resumes: str = ""
    cooldown_seconds: float | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (times as ISO strings)."""
        return {
            "open": self.is_open,
            "mode": self.mode,
            "cooldown_seconds": self.cooldown_seconds,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "reason": self.reason,
            "trips": self.trips,
            "halted_seconds": self.halted_seconds,
            "resumes": self.resumes,
        }


class CircuitBreaker:
    """One breaker: opens when an observation exceeds *limit*, re-arms as its *mode* says.

    Parameters
    ----------
    name : str
        Breaker name; the gate's reason code is ``breaker:<name>``.
    limit : float
        Observations strictly above this trip the breaker.
    cooldown : float
        Market-time seconds a ``cooldown`` breaker stays open after a trip (0: it records trips
        without ever blocking). Ignored by the other modes.
    unit : str
        Unit shown in the reason text (``" ms"``, ``"%"``).
    mode : str
        ``cooldown``, ``daily`` or ``halt`` (see the module docstring).
    """

    def __init__(self, name: str, limit: float, cooldown: float = 0.0, unit: str = "",
                 mode: str = COOLDOWN) -> None:
        if mode not in MODES:
            raise ValueError(f"breaker {name}: mode {mode!r}; expected one of "
                             f"{', '.join(MODES)}")
        self.name = name
        self.limit = float(limit)
        self.cooldown = float(cooldown)
        self.unit = unit
        self.mode = mode
        self.opened_at: float | None = None
        #: End of the current or last open period (epoch seconds); None while a ``halt``
        #: breaker waits for an operator.
        self.until: float | None = None
        self.armed = True
        self.reason = ""
        self.trips = 0
        #: Times it re-armed (closed and took a fresh baseline).
        self.rearms = 0
        #: Times an operator resumed it while it was halted.
        self.resumes = 0
        self._halted_before = 0.0  # seconds of the open periods before the current one

    # -- market time ----------------------------------------------------------------------------
    def observe(self, when: float, value: float) -> bool:
        """Feed one observation at market time *when*; return True if it tripped the breaker.

        An observation while the breaker is open changes nothing: it neither extends the open
        period nor counts as a trip.
        """
        self.rearm(when)
        if not self.armed or not value > self.limit:
            return False
        if self.opened_at is not None:
            self._halted_before += self._period_seconds(self.until)
        self.opened_at = when
        self.until = self._until(when)
        self.armed = False
        self.reason = f"{self.name} {value:.6g}{self.unit} > {self.limit:g}{self.unit}"
        self.trips += 1
        return True

    def rearm(self, when: float) -> bool:
        """Re-arm the breaker if its open period ended by *when*; True if it re-armed now.

        The gate calls this before it measures a new observation so that it can reset the
        breaker's baseline (the drawdown peak, the error count) exactly once per re-arm.
        """
        if self.armed or self.until is None or when < self.until:
            return False
        self.armed = True
        self.rearms += 1
        return True

    def resume(self, when: float) -> bool:
        """An operator resumes trading at *when*: a halted breaker closes (True); else no-op.

        Only ``halt`` breakers wait for an operator; ``cooldown`` and ``daily`` ones re-arm on
        their own and are left alone. The breaker re-arms, against a fresh baseline, at its
        next observation.
        """
        if self.mode != HALT or not self.is_open(when):
            return False
        self.until = max(when, self.opened_at if self.opened_at is not None else when)
        self.resumes += 1
        return True

    def is_open(self, when: float) -> bool:
        """Whether the breaker blocks new entries at market time *when*."""
        if self.opened_at is None:
            return False
        return self.until is None or when < self.until

    def closes_at(self) -> float | None:
        """End of the current or last open period (epoch seconds).

        None if it never tripped, or while a ``halt`` breaker waits for an operator.
        """
        return None if self.opened_at is None else self.until

    def halted_seconds(self, when: float) -> float:
        """Market-time seconds the breaker has held entries off up to *when*."""
        if self.opened_at is None:
            return 0.0
        end = when if self.until is None else min(self.until, when)
        return self._halted_before + max(0.0, end - self.opened_at)

    # -- messages -------------------------------------------------------------------------------
    def resumes_text(self) -> str:
        """When entries resume after the current trip, as messages and dashboards say it."""
        baseline = FRESH_BASELINE.get(self.name, "")
        if self.mode == HALT or self.until is None:
            text = f"entries resume {OPERATOR_RESUME}"
            return f"{text}, {baseline}" if baseline else text
        text = f"entries resume {format_time(self.until)}"
        if self.mode == DAILY:
            text += " (the next UTC day)"
        return f"{text} {baseline}" if baseline else text

    def open_message(self) -> str:
        """The refusal message while open: what tripped it, its mode and when entries resume.

        ``drawdown 10.9% > 10%; circuit breaker drawdown open (cooldown): entries resume
        2018-06-01 11:15 UTC against a fresh peak``.
        """
        return (f"{self.reason}; circuit breaker {self.name} open ({self.mode}): "
                f"{self.resumes_text()}")

    def state(self, when: float) -> BreakerState:
        """The breaker's queryable state at market time *when*."""
        closes = self.closes_at()
        is_open = self.is_open(when)
        return BreakerState(
            name=self.name,
            is_open=is_open,
            opened_at=to_datetime(self.opened_at) if self.opened_at is not None else None,
            closes_at=to_datetime(closes) if closes is not None else None,
            reason=self.reason,
            trips=self.trips,
            mode=self.mode,
            halted_seconds=round(self.halted_seconds(when), 3),
            resumes=self.resumes_text() if is_open else "",
            cooldown_seconds=self.cooldown if self.mode == COOLDOWN else None,
        )

    # -- internals ------------------------------------------------------------------------------
    def _until(self, when: float) -> float | None:
        if self.mode == COOLDOWN:
            return when + self.cooldown
        if self.mode == DAILY:
            return (utc_day(when) + 1) * _DAY
        return None

    def _period_seconds(self, until: float | None) -> float:
        """Length of the finished open period that started at ``opened_at``."""
        if self.opened_at is None or until is None:
            return 0.0
        return max(0.0, until - self.opened_at)
