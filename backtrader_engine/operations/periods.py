"""Realised PnL per UTC day, week or month: the closed round trips of a session's ledger.

Every sub-account's fills and funding go through the one round-trip rule
(:func:`~backtrader_engine.paper.trades.trips_from_rows`, as the status, the panel and the
metrics read them); a trip counts in the period its closing fill falls in, with its net PnL
(fees and funding included). Periods follow market time: they end at the session's newest
bar, so a replayed session is summarised by its replayed days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backtrader_engine.engine.trades import RoundTrip, is_win
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReader
from backtrader_engine.operations.snapshot import open_ledger
from backtrader_engine.paper.trades import trips_from_rows

#: Period kinds and how a period reads in an answer.
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class PeriodPnl:
    """One period: its first instant (UTC), closed round trips, won, and their net PnL."""

    start: datetime
    trades: int
    won: int
    net_pnl: float

    @property
    def label(self) -> str:
        """``2022-09-05`` (a day or the Monday a week starts on) or ``2022-09`` (a month)."""
        return f"{self.start:%Y-%m-%d}"


def period_start(when: datetime, period: str) -> datetime:
    """The first instant of the *period* (``day``, ``week`` from Monday, ``month``) holding
    *when* (aware UTC)."""
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period {period!r}; expected one of {', '.join(PERIODS)}")


def _previous(start: datetime, period: str) -> datetime:
    if period == "day":
        return start - timedelta(days=1)
    if period == "week":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def closed_trips(reader: LedgerReader) -> list[RoundTrip]:
    """Every sub-account's closed round trips, by the one round-trip rule (net PnL: fees and
    funding included); ``exit_dt`` is the closing fill's time in epoch milliseconds."""
    trips = []
    for account in reader.accounts():
        fills = [f.as_dict() for f in reader.account_fills(account.account)]
        funding = [f.as_dict() for f in reader.funding(account.account)]
        trips += [t for t in trips_from_rows(fills, funding).rows if t.status == "closed"]
    return trips


def realised_between(reader: LedgerReader, start_ms: int, end_ms: int) -> tuple[int, int, float]:
    """Round trips closed in ``[start_ms, end_ms)``: how many, how many won, their net PnL —
    what ``/daily`` counts for a day, so the daily summary and ``/daily`` agree."""
    within = [t for t in closed_trips(reader) if start_ms <= float(t.exit_dt or 0.0) < end_ms]
    return (len(within), sum(is_win(t.net_pnl) for t in within),
            float(sum(t.net_pnl for t in within)))


def realised_by_period(state_dir: Path | str, period: str, count: int) -> list[PeriodPnl]:
    """The last *count* periods of the session under *state_dir*, newest first, each with its
    closed round trips and their net PnL (periods without trips included, as zeros).

    Raises
    ------
    UserError
        When there is no ledger under *state_dir*.
    """
    if period not in PERIODS:
        raise UserError(f"period {period!r}; expected one of {', '.join(PERIODS)}")
    reader = open_ledger(state_dir)
    try:
        last_ms = reader.last_close_ms()
        trips = closed_trips(reader)
    finally:
        reader.close()
    now = (datetime.fromtimestamp(last_ms / 1000, tz=UTC) if last_ms is not None
           else datetime.now(UTC))
    starts = [period_start(now, period)]
    while len(starts) < count:
        starts.append(_previous(starts[-1], period))
    sums = {start: [0, 0, 0.0] for start in starts}
    for trip in trips:
        # Ledger trips carry their closing fill's time in epoch milliseconds.
        closed = datetime.fromtimestamp(float(trip.exit_dt or 0.0) / 1000, tz=UTC)
        start = period_start(closed, period)
        if start in sums:
            sums[start][0] += 1
            sums[start][1] += is_win(trip.net_pnl)
            sums[start][2] += trip.net_pnl
    return [PeriodPnl(start, int(s[0]), int(s[1]), float(s[2]))
            for start, s in sums.items()]
