"""Round trips: the one definition of a trade, its PnL and a win.

The rule, used by the backtest metrics, the paper counters (and so the metrics exporter,
Telegram and the panel) and the parity check alike:

* a round trip starts when a position leaves zero and ends when it returns to zero; a reversal
  closes one and opens the next in the same fill (:func:`split_fill`);
* gross PnL and fees are taken per fill: the closing part's PnL and fee go to the trip it
  closes, the opening part's fee to the trip it opens (:class:`Fill`);
* funding is attributed to the round trip open at each settlement;
* net PnL = gross PnL − fees − funding; a closed round trip is **won** when its net PnL is
  above zero, otherwise **lost** (break-even counts as lost), see :func:`is_win` and
  :class:`TripTally`.

Recording at the broker, fill by fill, costs nothing per bar (an analyzer would be called on
every bar) and works the same for the backtest and the paper broker.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from backtrader_engine.engine.dates import bt_num_to_datetimes

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

    @property
    def net_pnl(self) -> float:
        """Gross PnL minus fees minus funding (an open trip: of its closed part only)."""
        return self.gross_pnl - self.fees - self.funding

    def marked_gross(self, price: float) -> float:
        """Gross PnL with the quantity still held valued at *price*."""
        sign = 1.0 if self.side == "long" else -1.0
        return self.gross_pnl + sign * self.remaining * (price - self.entry_price)


def is_win(net_pnl: float) -> bool:
    """Whether a closed round trip of this net PnL is won (else lost)."""
    return net_pnl > 0.0


@dataclass(frozen=True)
class TripTally:
    """Closed round trips counted by the rule: how many, won, lost and their net PnL."""

    closed: int = 0
    won: int = 0
    net_pnl: float = 0.0

    @property
    def lost(self) -> int:
        return self.closed - self.won

    @property
    def win_rate(self) -> float | None:
        """Share of closed round trips won, 0 to 1 (None before the first)."""
        return self.won / self.closed if self.closed else None

    @classmethod
    def of(cls, trips: Iterable[RoundTrip]) -> TripTally:
        """The tally of the closed trips among *trips* (open ones are left out)."""
        return cls.of_net(trip.net_pnl for trip in trips if trip.status == "closed")

    @classmethod
    def of_net(cls, net_pnls: Iterable[float]) -> TripTally:
        """The tally of closed round trips given their net PnLs."""
        closed = won = 0
        net = 0.0
        for pnl in net_pnls:
            closed += 1
            won += is_win(float(pnl))
            net += float(pnl)
        return cls(closed, won, net)


def split_fill(position: float, size: float) -> tuple[float, float]:
    """(closed, opened) parts of a fill of signed *size* on *position*, signed like *size*."""
    if position == 0.0 or (position > 0) == (size > 0):
        return 0.0, size
    closed = -position if abs(size) >= abs(position) else size
    return closed, size - closed


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

    @classmethod
    def from_bit(cls, bit: Any, bar: int, liquidation: bool = False,
                 dt: float | None = None) -> Fill:
        """From a backtrader execution bit (``dt``: the time to keep, default the bit's)."""
        return cls(dt=bit.dt if dt is None else dt, bar=bar, price=bit.price,
                   closed=bit.closed, opened=bit.opened, pnl=bit.pnl,
                   closed_fee=bit.closedcomm, opened_fee=bit.openedcomm,
                   liquidation=liquidation)

    @classmethod
    def from_execution(cls, dt: float, bar: int, price: float, size: float,
                       position_before: float, pnl: float, fee: float,
                       liquidation: bool = False) -> Fill:
        """From a recorded execution (signed size, total fee) and the position before it.

        The fee is split between the closing and the opening part in proportion to size,
        which is how backtrader computes the two (the fee is linear in size).
        """
        closed, opened = split_fill(position_before, size)
        share = fee / abs(size) if size else 0.0
        return cls(dt=dt, bar=bar, price=price, closed=closed, opened=opened, pnl=pnl,
                   closed_fee=share * abs(closed), opened_fee=share * abs(opened),
                   liquidation=liquidation)


#: What a ledger tells instruments apart by (a backtrader data feed, a symbol...).
Key = TypeVar("Key", bound=Hashable)


@dataclass
class RoundTripLedger(Generic[Key]):
    """Turns fills into round trips, per instrument key."""

    rows: list[RoundTrip] = field(default_factory=list)
    _open: dict[Key, RoundTrip] = field(default_factory=dict)
    _next_id: int = 1

    def on_fill(self, key: Key, symbol: str, fill: Fill
                ) -> list[tuple[RoundTrip, str, float]]:
        """Account *fill*; the trips it touched as ``(trip, "exit" | "entry", quantity)``."""
        touched: list[tuple[RoundTrip, str, float]] = []
        trip = self._open.get(key)
        if fill.closed and trip is not None:
            qty = abs(fill.closed)
            trip.closed_qty += qty
            trip.exit_value += qty * fill.price
            trip.remaining -= qty
            trip.gross_pnl += fill.pnl
            trip.fees += fill.closed_fee
            touched.append((trip, "exit", qty))
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
            touched.append((trip, "entry", qty))
        return touched

    def on_funding(self, key: Key, payment: float) -> RoundTrip | None:
        """Charge a settlement to the trip open on *key* (the trip, or None when flat)."""
        trip = self._open.get(key)
        if trip is not None:
            trip.funding += payment
        return trip

    def abandon(self, key: Key) -> RoundTrip | None:
        """End the trip open on *key* without a fill (its later fills are missing)."""
        trip = self._open.pop(key, None)
        if trip is not None:
            trip.status = "closed"
        return trip

    def tally(self) -> TripTally:
        """Closed round trips, won, lost and their net PnL."""
        return TripTally.of(self.rows)

    def open_trips(self) -> Mapping[Key, RoundTrip]:
        return self._open

    def frame(self, marks: Mapping[Key, tuple[float, int]] | None = None) -> pd.DataFrame:
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
                # Every open trip is in _open, under its key.
                price, last_bar = marks.get(open_by_id[trip.trade_id], (trip.entry_price,
                                                                         trip.entry_bar))
                gross = trip.marked_gross(price)
                exit_price, bars = price, last_bar - trip.entry_bar
            elif trip.exit_bar is not None:  # an abandoned trip has no exit bar
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
