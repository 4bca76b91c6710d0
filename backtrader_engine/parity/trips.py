"""Round trips for the parity check, built the same way from paper and backtest executions.

Both sides are reduced to one event stream per sub-account: executions (one per fill) and
funding settlements, each keyed by the bar being processed when it happened (the count of the
stream's bars the feed had delivered, the ledger's ``bar_seq``). Funding settles in the
broker's bar step, before that bar's fills, so it sorts first; fills made at submission (book
fills) carry the signal bar's count and so come before the next bar's funding.

Round trips are the engine's own: :class:`~backtrader_engine.engine.trades.RoundTripLedger`
builds them by the one rule (flat to flat; a reversal closes one trip and opens the next in
the same fill; per-fill gross PnL and fees, the fee split between the closing and the opening
part in proportion to size; funding to the trip open at the settlement; net = gross − fees −
funding), the same rule as the backtest metrics and the paper counters. :class:`Trip` is a
view over one of them that also keeps *which* fills and settlements made it, so that a
difference can be attributed to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from backtrader_engine.engine.trades import Fill, RoundTrip, RoundTripLedger

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
    """One round trip of the engine's rule, with the fills and funding that made it.

    The figures are those of the shared :class:`~backtrader_engine.engine.trades.RoundTrip`
    (``trip``); this view adds which executions and settlements made it, the mark an open trip
    is valued at, and whether fills are missing from it.
    """

    trip: RoundTrip
    entries: list[tuple[Execution, float]] = field(default_factory=list)
    exits: list[tuple[Execution, float]] = field(default_factory=list)
    funding_events: list[Funding] = field(default_factory=list)
    mark: float | None = None
    complete: bool = True  # False: the fills before a break in the position chain

    @property
    def side(self) -> str:
        return self.trip.side

    @property
    def status(self) -> str:
        return self.trip.status

    @property
    def remaining(self) -> float:
        return self.trip.remaining

    @property
    def peak(self) -> float:
        return self.trip.peak

    @property
    def fees(self) -> float:
        return self.trip.fees

    @property
    def funding(self) -> float:
        return self.trip.funding

    @property
    def gross_pnl(self) -> float:
        """Gross PnL; an open trip's held quantity is valued at the mark."""
        if self.status == "open" and self.mark is not None:
            return self.trip.marked_gross(self.mark)
        return self.trip.gross_pnl

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
        return self.trip.entry_price

    @property
    def exit_price(self) -> float:
        """Average exit price; an open trip is marked at the last processed close."""
        if self.status == "open":
            return float(self.mark if self.mark is not None else self.entry_price)
        return self.trip.exit_price

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


class _TripBuilder:
    """Feeds executions and funding, in processing order, into the engine's round trips."""

    _KEY = "account"

    def __init__(self) -> None:
        self.ledger: RoundTripLedger[str] = RoundTripLedger()
        self.trips: list[Trip] = []
        self.views: dict[int, Trip] = {}  # RoundTrip.trade_id -> its view
        self.position = 0.0

    def _view(self, trip: RoundTrip) -> Trip:
        view = self.views.get(trip.trade_id)
        if view is None:
            view = self.views[trip.trade_id] = Trip(trip)
            self.trips.append(view)
        return view

    def funding(self, item: Funding) -> None:
        trip = self.ledger.on_funding(self._KEY, item.payment)
        if trip is not None:
            self._view(trip).funding_events.append(item)

    def _resync(self, item: Execution, position_after: float) -> None:
        before = position_after - item.size
        if not same(before, self.position):
            trip = self.ledger.abandon(self._KEY)
            if trip is not None:
                self._view(trip).complete = False
            self.position = before

    def fill(self, item: Execution) -> None:
        if item.position_after is not None:
            self._resync(item, item.position_after)
        fill = Fill.from_execution(item.time_ms, item.bar, item.price, item.size,
                                   self.position, item.pnl, item.fee, item.liquidation)
        for trip, role, qty in self.ledger.on_fill(self._KEY, "", fill):
            view = self._view(trip)
            (view.exits if role == "exit" else view.entries).append((item, qty))
        self.position += item.size
        if abs(self.position) <= 1e-12 * max(1.0, abs(item.size)):
            self.position = 0.0

    def finish(self, mark: float | None) -> list[Trip]:
        for trip in self.ledger.open_trips().values():
            self._view(trip).mark = mark
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
    for i, settlement in enumerate(funding):
        events.append((settlement.bar, 0, i, settlement))
    for i, execution in enumerate(executions):
        events.append((execution.bar, 1, i, execution))
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
