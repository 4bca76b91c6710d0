"""Round-trip trade ledger built from the broker's fills.

A round trip starts when a position leaves zero and ends when it returns to zero (a reversal
closes one and opens the next in the same fill). Recording at the broker, fill by fill, costs
nothing per bar (an analyzer would be called on every bar) and works the same for the backtest
and the paper broker. Gross PnL and fees are backtrader's own per-fill figures; funding is
attributed to the round trip open at each settlement.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .dates import bt_num_to_datetimes

TRADE_COLUMNS = [
    "trade_id", "symbol", "side", "status", "entry_time", "exit_time", "size", "entry_price",
    "exit_price", "gross_pnl", "fees", "funding", "net_pnl", "return_pct", "bars_held",
    "liquidated",
]


@dataclass
class RoundTrip:
    """One position from flat to flat (``status`` ``open`` if still held at the end)."""

    trade_id: int
    symbol: str
    side: str
    entry_dt: float  # backtrader date number of the first fill
    entry_bar: int
    entry_qty: float = 0.0
    entry_value: float = 0.0
    closed_qty: float = 0.0
    exit_value: float = 0.0
    remaining: float = 0.0
    peak: float = 0.0
    gross_pnl: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    exit_dt: float | None = None
    exit_bar: int | None = None
    liquidated: bool = False
    status: str = "open"

    @property
    def entry_price(self) -> float:
        return self.entry_value / self.entry_qty if self.entry_qty else 0.0

    @property
    def exit_price(self) -> float:
        return self.exit_value / self.closed_qty if self.closed_qty else 0.0


@dataclass
class Fill:
    """One execution as the broker reports it (sizes signed like the order)."""

    dt: float
    bar: int
    price: float
    closed: float
    opened: float
    pnl: float
    closed_fee: float
    opened_fee: float
    liquidation: bool = False


@dataclass
class RoundTripLedger:
    """Turns fills into round trips, per instrument key."""

    rows: list[RoundTrip] = field(default_factory=list)
    _open: dict[Hashable, RoundTrip] = field(default_factory=dict)
    _next_id: int = 1

    def on_fill(self, key: Hashable, symbol: str, fill: Fill) -> None:
        trip = self._open.get(key)
        if fill.closed and trip is not None:
            qty = abs(fill.closed)
            trip.closed_qty += qty
            trip.exit_value += qty * fill.price
            trip.remaining -= qty
            trip.gross_pnl += fill.pnl
            trip.fees += fill.closed_fee
            if trip.remaining <= 1e-12 * max(1.0, trip.peak):
                trip.status = "closed"
                trip.exit_dt, trip.exit_bar = fill.dt, fill.bar
                trip.liquidated = fill.liquidation
                del self._open[key]
                trip = None
        if fill.opened:
            if trip is None:
                trip = RoundTrip(self._next_id, symbol, "long" if fill.opened > 0 else "short",
                                 fill.dt, fill.bar)
                self._next_id += 1
                self._open[key] = trip
                self.rows.append(trip)
            qty = abs(fill.opened)
            trip.entry_qty += qty
            trip.entry_value += qty * fill.price
            trip.remaining += qty
            trip.peak = max(trip.peak, trip.remaining)
            trip.fees += fill.opened_fee

    def on_funding(self, key: Hashable, payment: float) -> None:
        trip = self._open.get(key)
        if trip is not None:
            trip.funding += payment

    def open_trips(self) -> Mapping[Hashable, RoundTrip]:
        return self._open

    def frame(self, marks: Mapping[Hashable, tuple[float, int]] | None = None) -> pd.DataFrame:
        """The ledger as a DataFrame with :data:`TRADE_COLUMNS`.

        ``marks`` gives (last price, last bar) per key for round trips still open, which are
        reported marked to that price.
        """
        marks = marks or {}
        open_by_id = {trip.trade_id: key for key, trip in self._open.items()}
        records = []
        for trip in self.rows:
            gross, exit_price, bars = trip.gross_pnl, trip.exit_price, None
            if trip.status == "open":
                price, last_bar = marks.get(open_by_id.get(trip.trade_id), (trip.entry_price,
                                                                              trip.entry_bar))
                sign = 1.0 if trip.side == "long" else -1.0
                gross += sign * trip.remaining * (price - trip.entry_price)
                exit_price, bars = price, last_bar - trip.entry_bar
            else:
                bars = trip.exit_bar - trip.entry_bar
            net = gross - trip.fees - trip.funding
            notional = trip.peak * trip.entry_price
            records.append({
                "trade_id": trip.trade_id, "symbol": trip.symbol, "side": trip.side,
                "status": trip.status, "entry_time": trip.entry_dt, "exit_time": trip.exit_dt,
                "size": trip.peak, "entry_price": trip.entry_price, "exit_price": exit_price,
                "gross_pnl": gross, "fees": trip.fees, "funding": trip.funding, "net_pnl": net,
                "return_pct": 100.0 * net / notional if notional else 0.0, "bars_held": bars,
                "liquidated": trip.liquidated,
            })
        frame = pd.DataFrame.from_records(records, columns=TRADE_COLUMNS)
        entries = frame["entry_time"].to_numpy(dtype=float)
        exits = frame["exit_time"].to_numpy(dtype=float)  # None (still open) becomes NaN
        closed = ~np.isnan(exits)
        exit_times = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
        exit_times[closed] = bt_num_to_datetimes(exits[closed]).to_numpy()
        frame["entry_time"] = bt_num_to_datetimes(entries).to_numpy()
        frame["exit_time"] = exit_times
        return frame
