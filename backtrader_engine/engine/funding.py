"""Funding-rate schedules for perpetual futures.

A schedule is a sorted list of funding times with the rate settled at each. It comes either from
a historical series (Bybit's ``get_funding_rate_history``, freqtrade's funding feather) or from a
constant rate settled every ``interval_hours`` on the UTC clock (00:00, 08:00, 16:00 for 8 h).
Positive rates mean longs pay shorts: ``payment = position_size * mark_price * rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtrader_engine.engine.dates import datetimes_to_bt_num


@dataclass(frozen=True)
class FundingSchedule:
    """Funding times (naive UTC) and the rate settled at each, ascending."""

    times: pd.DatetimeIndex
    rates: np.ndarray
    description: str

    @classmethod
    def constant(
        cls,
        rate: float,
        start: pd.Timestamp,
        end: pd.Timestamp,
        interval_hours: float = 8.0,
    ) -> FundingSchedule:
        """Settle *rate* every *interval_hours* on the UTC clock, within [start, end]."""
        step = pd.Timedelta(hours=interval_hours)
        first = pd.Timestamp(start).ceil(step)
        stamps: pd.DatetimeIndex | list[pd.Timestamp] = (
            pd.date_range(first, pd.Timestamp(end), freq=step) if first <= end else [])
        times = pd.DatetimeIndex(stamps, name="datetime")
        return cls(times, np.full(len(times), float(rate)),
                   f"constant {rate:g} every {interval_hours:g}h")

    @classmethod
    def from_series(cls, series: pd.Series, description: str = "series") -> FundingSchedule:
        """Use a historical funding-rate series (index: naive UTC settlement times)."""
        clean = series.dropna().sort_index()
        index = pd.DatetimeIndex(clean.index, name="datetime")
        return cls(index, clean.to_numpy(dtype=np.float64).copy(), description)

    def as_bt_nums(self) -> np.ndarray:
        """Settlement times as backtrader date numbers, comparable with ``data.datetime[0]``."""
        if len(self.times) == 0:
            return np.empty(0, dtype=np.float64)
        return datetimes_to_bt_num(self.times)


def funding_payment(size: float, mark_price: float, rate: float) -> float:
    """Cash a position pays at one settlement (negative: it receives)."""
    return size * mark_price * rate
