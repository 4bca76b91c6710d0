"""The daily loss stop: no new entries for the rest of the UTC day after losing too much.

"Start-of-day equity" is the last equity observed before the first observation stamped in the
new UTC day (the previous day's closing equity); on the very first day it is the first
observation. Days follow market time: a bar stamped 00:00 UTC opens a new day whatever the wall
clock says. Equity includes unrealised profit and loss, as the broker values it.
"""

from __future__ import annotations

from backtrader_engine.risk.clock import to_datetime, utc_day


class DailyLossStop:
    """Latches a halt for the rest of the UTC day once the day's loss reaches a limit.

    Parameters
    ----------
    limit_pct : float
        Loss, in percent of start-of-day equity, at which new entries stop.
    """

    def __init__(self, limit_pct: float) -> None:
        self.limit_pct = float(limit_pct)
        self.day: int | None = None
        self.start_equity: float | None = None
        self.halted_day: int | None = None
        self.reason = ""
        self.halts = 0
        self._last_equity: float | None = None

    def observe(self, when: float, equity: float) -> bool:
        """Feed the account equity at market time *when*; return True if this halts trading."""
        day = utc_day(when)
        if day != self.day:
            self.day = day
            self.start_equity = self._last_equity if self._last_equity is not None else equity
        self._last_equity = equity
        start = self.start_equity
        if self.halted_day == day or start is None or start <= 0.0:
            return False
        loss = start - equity
        # Compared in money, not in a ratio, so that "exactly 3% of 10000" is exactly 300.
        if loss >= start * self.limit_pct / 100.0:
            self.halted_day = day
            self.halts += 1
            self.reason = (f"day's loss {loss:,.2f} is {loss / start * 100.0:.2f}% of "
                           f"start-of-day equity {start:,.2f} (limit {self.limit_pct:g}%), "
                           f"halted since {to_datetime(when):%Y-%m-%d %H:%M}")
            return True
        return False

    def halted(self, when: float) -> bool:
        """Whether new entries are stopped at market time *when* (same UTC day as the halt)."""
        return self.halted_day is not None and utc_day(when) == self.halted_day
