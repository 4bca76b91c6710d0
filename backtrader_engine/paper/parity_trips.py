"""Round trips for the parity check, built the same way from paper and backtest executions.

Both sides are reduced to one event stream per sub-account: executions (one per fill) and
funding settlements, each keyed by the bar being processed when it happened (the count of the
stream's bars the feed had delivered, the ledger's ``bar_seq``). Funding settles in the
broker's bar step, before that bar's fills, so it sorts first; fills made at submission (book
fills) carry the signal bar's count and so come before the next bar's funding.

Round trips follow the rule of :mod:`backtrader_engine.engine.trades` (flat to flat; a
reversal closes one trip and opens the next in the same fill). They are rebuilt here rather
than taken from :class:`~backtrader_engine.engine.trades.RoundTripLedger` because the parity
check needs to know *which* fills made each trip, to attribute a difference to them. A fill's
fee is split between the part that closes and the part that opens in proportion to size,
which is how backtrader computes the two (the fee is linear in size).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Relative tolerance for "equal": |a - b| <= REL_TOL * max(1, |a|, |b|). Both sides compute
#: the same figures from the same inputs, so a real difference is many orders larger, while
#: float noise (a fee split, a funding rate re-expressed on another mark) is about 1e-16.
REL_TOL = 1e-9


def same(a: float, b: float, rel: float = REL_TOL) -> bool:
    """Whether *a* and *b* are equal within the parity tolerance."""
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


@dataclass
class Execution:
    """One fill, from the ledger or from the backtest, in one shape.

    ``kind`` says what set the price: ``book`` (walked the logged order book at submission),
    ``bar`` (a market order at a bar's open), ``order`` (a limit or stop order's own rule) or
    ``liquidation``. ``problems`` lists what in a paper fill the logged inputs and the broker's
    rules do not explain (always empty for the backtest).
    """

    time_ms: int
    bar: int
    size: float
    price: float
    fee: float
    pnl: float
    maker: bool
    liquidation: bool
    kind: str
    order_type: str
    order_bar: int | None
    ref: str
    problems: list[str] = field(default_factory=list)
    position_after: float | None = None


@dataclass
class Funding:
    """One funding settlement charged to the position (negative: received).

    ``problems``: the row contradicts itself or the fills (unexplained); ``notes``: it is
    consistent but not what the logged tickers give (a funding schedule difference).
    """

    time_ms: int
    bar: int
    payment: float
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Trip:
    """One position from flat to flat, with the fills and funding that made it."""

    side: str
    entries: list[tuple[Execution, float]] = field(default_factory=list)
    exits: list[tuple[Execution, float]] = field(default_factory=list)
    funding_events: list[Funding] = field(default_factory=list)
    remaining: float = 0.0
    peak: float = 0.0
    gross_pnl: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    status: str = "open"
    mark: float | None = None
    complete: bool = True  # False: the fills before a break in the position chain

    @property
    def entry_ms(self) -> int:
        return self.entries[0][0].time_ms

    @property
    def entry_bar(self) -> int:
        return self.entries[0][0].bar

    @property
    def exit_ms(self) -> int | None:
        return self.exits[-1][0].time_ms if self.status == "closed" and self.exits else None

    @property
    def exit_bar(self) -> int | None:
        return self.exits[-1][0].bar if self.status == "closed" and self.exits else None

    @property
    def entry_price(self) -> float:
        qty = sum(q for _, q in self.entries)
        return sum(e.price * q for e, q in self.entries) / qty if qty else 0.0

    @property
    def exit_price(self) -> float:
        """Average exit price; an open trip is marked at the last processed close."""
        if self.status == "open":
            return float(self.mark if self.mark is not None else self.entry_price)
        qty = sum(q for _, q in self.exits)
        return sum(e.price * q for e, q in self.exits) / qty if qty else 0.0

    @property
    def net_pnl(self) -> float:
        return self.gross_pnl - self.fees - self.funding

    @property
    def executions(self) -> list[Execution]:
        return [e for e, _ in self.entries] + [e for e, _ in self.exits]

    def figures(self) -> dict[str, float | int | str | None]:
        """The compared figures (times in epoch ms)."""
        return {"side": self.side, "status": self.status, "entry_time": self.entry_ms,
                "exit_time": self.exit_ms, "size": self.peak, "entry_price": self.entry_price,
                "exit_price": self.exit_price, "fees": self.fees, "funding": self.funding,
                "gross_pnl": self.gross_pnl, "net_pnl": self.net_pnl}


def _split(position: float, size: float) -> tuple[float, float]:
    """(closed, opened) parts of a fill of *size* on *position*, signed like *size*."""
    if position == 0.0 or (position > 0) == (size > 0):
        return 0.0, size
    closed = -position if abs(size) >= abs(position) else size
    return closed, size - closed


class _TripBuilder:
    """Feeds executions and funding, in processing order, into round trips."""

    def __init__(self) -> None:
        self.trips: list[Trip] = []
        self.current: Trip | None = None
        self.position = 0.0

    def funding(self, item: Funding) -> None:
        if self.current is not None:
            self.current.funding += item.payment
            self.current.funding_events.append(item)

    def _resync(self, item: Execution) -> None:
        before = item.position_after - item.size  # type: ignore[operator]
        if not same(before, self.position):
            if self.current is not None:
                self.current.complete, self.current.status = False, "closed"
                self.current = None
            self.position = before

    def fill(self, item: Execution) -> None:
        if item.position_after is not None:
            self._resync(item)
        closed, opened = _split(self.position, item.size)
        share = item.fee / abs(item.size) if item.size else 0.0
        trip = self.current
        if closed and trip is not None:
            qty = abs(closed)
            trip.exits.append((item, qty))
            trip.remaining -= qty
            trip.gross_pnl += item.pnl
            trip.fees += share * qty
            if trip.remaining <= 1e-12 * max(1.0, trip.peak):
                trip.status = "closed"
                trip = self.current = None
        if opened:
            if trip is None:
                trip = self.current = Trip("long" if opened > 0 else "short")
                self.trips.append(trip)
            qty = abs(opened)
            trip.entries.append((item, qty))
            trip.remaining += qty
            trip.peak = max(trip.peak, trip.remaining)
            trip.fees += share * qty
        self.position += item.size
        if abs(self.position) <= 1e-12 * max(1.0, abs(item.size)):
            self.position = 0.0

    def finish(self, mark: float | None) -> list[Trip]:
        trip = self.current
        if trip is not None:
            trip.mark = mark
            if mark is not None:
                sign = 1.0 if trip.side == "long" else -1.0
                trip.gross_pnl += sign * trip.remaining * (mark - trip.entry_price)
        return self.trips


def build_trips(executions: Iterable[Execution], funding: Iterable[Funding],
                mark: float | None) -> list[Trip]:
    """Round trips from *executions* and *funding* (see the module docstring).

    *mark* is the last processed close; a trip still open is valued at it, as the backtest's
    trade frame does. Where an execution's ``position_after`` shows that fills are missing
    before it, the position is re-synchronised there (the trip then open ends incomplete),
    so one lost fill spoils one trip, not every trip after it.
    """
    events: list[tuple[int, int, int, Execution | Funding]] = []
    for i, item in enumerate(funding):
        events.append((item.bar, 0, i, item))
    for i, item in enumerate(executions):
        events.append((item.bar, 1, i, item))
    events.sort(key=lambda e: e[:3])
    builder = _TripBuilder()
    for _, _, _, event in events:
        if isinstance(event, Funding):
            builder.funding(event)
        else:
            builder.fill(event)
    return builder.finish(mark)


def match_trips(backtest: Sequence[Trip], paper: Sequence[Trip], window_ms: int
                ) -> tuple[list[tuple[Trip, Trip]], list[Trip], list[Trip]]:
    """Pair trips: same side and entry time first, then the nearest within *window_ms*.

    Returns (pairs, missing from the paper, extra in the paper), pairs in entry order.
    """
    left_bt = list(range(len(backtest)))
    left_paper = list(range(len(paper)))
    pairs: list[tuple[int, int]] = []
    by_key: dict[tuple[str, int], list[int]] = {}
    for j in left_paper:
        by_key.setdefault((paper[j].side, paper[j].entry_ms), []).append(j)
    for i in list(left_bt):
        bucket = by_key.get((backtest[i].side, backtest[i].entry_ms))
        if bucket:
            j = bucket.pop(0)
            pairs.append((i, j))
            left_bt.remove(i)
            left_paper.remove(j)
    candidates = sorted(
        (abs(backtest[i].entry_ms - paper[j].entry_ms), backtest[i].entry_ms, i, j)
        for i in left_bt for j in left_paper
        if backtest[i].side == paper[j].side
        and abs(backtest[i].entry_ms - paper[j].entry_ms) <= window_ms)
    for _, _, i, j in candidates:
        if i in left_bt and j in left_paper:
            pairs.append((i, j))
            left_bt.remove(i)
            left_paper.remove(j)
    pairs.sort(key=lambda p: (backtest[p[0]].entry_ms, p[0]))
    return ([(backtest[i], paper[j]) for i, j in pairs], [backtest[i] for i in left_bt],
            [paper[j] for j in left_paper])
