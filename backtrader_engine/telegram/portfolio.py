"""Portfolio-level alerts: drawdown thresholds and the daily summary.

Both are small state machines fed with the portfolio value (the sum of the sub-accounts'
latest values in ``account_state``) and the market time of the newest bar.

The daily summary follows **market time**: when the first bar of a new UTC day is recorded,
the day before is summarised. Live, market time is wall time (bars close as the clock
ticks); in a replay the summary follows the replayed days, which is what a replay is about,
and a test can make it happen deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from backtrader_engine.telegram import events as ev
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.trading import money, signed_money

DAY_MS = 86_400_000


class DrawdownTracker:
    """Warns once when the drawdown from the peak crosses each level.

    After an alert, the level is armed again only once the drawdown has come back below
    half the warning level, so a value hovering at a threshold does not repeat it.

    Parameters
    ----------
    warning_pct, critical_pct : float
        ``alerts.drawdown_warning_pct`` and ``alerts.drawdown_critical_pct``.
    peak : float
        The starting peak (the session's initial cash, or its value when watching began);
        the session's recorded peak raises it (see :meth:`update`).
    """

    def __init__(self, warning_pct: float, critical_pct: float, peak: float) -> None:
        self.warning_pct = warning_pct
        self.critical_pct = critical_pct
        self.peak = peak
        self.level: str | None = None  # the last level alerted

    def update(self, value: float, ts_ms: int | None,
               peak: float | None = None) -> Notification | None:
        """Account a new portfolio *value* (and the session's own running *peak*, which
        covers the time before watching began); an alert when a level is crossed."""
        self.peak = max(self.peak, value, peak if peak is not None else value)
        drawdown = 0.0 if self.peak <= 0 else (self.peak - value) / self.peak * 100
        if drawdown < self.warning_pct / 2:
            self.level = None
            return None
        if drawdown >= self.critical_pct and self.level != ev.CRITICAL:
            self.level = ev.CRITICAL
        elif drawdown >= self.warning_pct and self.level is None:
            self.level = ev.WARNING
        else:
            return None
        limit = self.critical_pct if self.level == ev.CRITICAL else self.warning_pct
        return Notification(ev.DRAWDOWN, self.level,
                            f"Drawdown {drawdown:.2f}% (limit {limit:g}%)",
                            (("portfolio value", money(value)), ("peak", money(self.peak)),
                             ("warning at", f"{self.warning_pct:g}%"),
                             ("critical at", f"{self.critical_pct:g}%")), ts_ms)


class DayTracker:
    """Notices the first bar of a new UTC day (market time) and summarises the day before."""

    def __init__(self) -> None:
        self.day: int | None = None  # day number (ts_ms // DAY_MS) being accumulated
        self.first_ms: int | None = None  # first bar time seen in that day
        self.start_value: float | None = None

    def update(self, ts_ms: int, value: float) -> tuple[int, int, float] | None:
        """Account the newest bar time; ``(day_start_ms, first_seen_ms, start_value)`` of
        the day that just ended, when this bar begins a later day."""
        day = ts_ms // DAY_MS
        if self.day is None:
            self.day, self.first_ms, self.start_value = day, ts_ms, value
            return None
        if day <= self.day:
            return None
        ended = (self.day * DAY_MS, self.first_ms or self.day * DAY_MS,
                 self.start_value if self.start_value is not None else value)
        self.day, self.first_ms, self.start_value = day, ts_ms, value
        return ended


@dataclass(frozen=True)
class DayFigures:
    """What happened in one market day, read from the ledger."""

    fills: int
    closed: int  # round trips whose closing fill fell in the day
    realised_pnl: float  # their net PnL (fees and funding included), as /daily counts it
    fees: float
    funding: float  # paid (positive) or received (negative)
    executed: int
    rejected: dict[str, int]  # reason -> count


def daily_summary(day_start_ms: int, first_ms: int, start_value: float, end_value: float,
                  figures: DayFigures) -> Notification:
    """The summary of the market day starting at *day_start_ms*."""
    date = datetime.fromtimestamp(day_start_ms / 1000, tz=UTC).strftime("%Y-%m-%d")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(figures.rejected.items())) or "none"
    fields = [("portfolio value", money(end_value)),
              ("change", signed_money(end_value - start_value)),
              ("realised PnL", f"{signed_money(figures.realised_pnl)} (net, closed round "
                               f"trips)"),
              ("fees", money(figures.fees)), ("funding paid", money(figures.funding)),
              ("fills", str(figures.fills)), ("round trips closed", str(figures.closed)),
              ("signals executed", str(figures.executed)),
              ("signals rejected", f"{sum(figures.rejected.values())} ({reasons})")]
    if first_ms > day_start_ms:
        since = datetime.fromtimestamp(first_ms / 1000, tz=UTC).strftime("%H:%M")
        fields.append(("covers", f"from {since} UTC (when watching began)"))
    return Notification(ev.DAILY_SUMMARY, ev.INFO, f"Daily summary {date} (UTC, market time)",
                        tuple(fields), None)
