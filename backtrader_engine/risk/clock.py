"""Market time: the only clock the risk gate knows.

Every time-based rule (spacing, hourly caps, volatility windows, the UTC trading day, breaker
cool-downs) is measured on the timestamps of the market data, never on the wall clock. A backtest,
a replay at any speed and a paper session over the same bars therefore take the same decisions.

Times are held as float seconds since the Unix epoch (UTC), rounded to the millisecond: candle and
funding timestamps are whole milliseconds, and rounding keeps comparisons such as "exactly 30 s
later" exact after the round trip through backtrader's float date numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: A market timestamp: epoch seconds (UTC), or a datetime (naive means UTC).
MarketTime = float | int | datetime

# date(1970, 1, 1).toordinal(): backtrader date numbers are proleptic ordinals plus day fraction.
_EPOCH_ORDINAL = 719163
_SECONDS_PER_DAY = 86_400.0
_EPOCH = datetime(1970, 1, 1)


def bt_num_to_seconds(num: float) -> float:
    """Convert a backtrader date number (naive UTC) to epoch seconds, rounded to the ms."""
    return round((num - _EPOCH_ORDINAL) * _SECONDS_PER_DAY, 3)


def to_seconds(when: MarketTime) -> float:
    """Epoch seconds of *when*; a naive datetime is taken as UTC, as everywhere in the package."""
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        return round((when - _EPOCH).total_seconds(), 3)
    return round(float(when), 3)


def to_datetime(seconds: float) -> datetime:
    """Naive-UTC datetime of epoch *seconds* (the package's convention for bar times)."""
    return _EPOCH + timedelta(milliseconds=round(seconds * 1000.0))


def utc_day(seconds: float) -> int:
    """Days since the epoch of the UTC calendar day that contains *seconds*."""
    return int(seconds // _SECONDS_PER_DAY)
