"""Backtest broker for perpetual futures: backtrader's BackBroker plus fees, funding, liquidation.

Fills, slippage and order types are backtrader's own (``BackBroker``). On top of them this broker

- prices each fill as maker or taker (:class:`~.commission.PerpCommInfo`),
- settles funding at each funding time on the position held at that moment,
- liquidates isolated positions whose bar range crosses their liquidation price,
- records one row per bar (value, cash, position size) so metrics are computed after the run
  with numpy instead of by per-bar analyzers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import backtrader as bt
import numpy as np

from backtrader_engine.engine.accounting import MarginAccounting
from backtrader_engine.engine.bar_record import BarRecord
from backtrader_engine.engine.commission import PerpCommInfo
from backtrader_engine.engine.funding import FundingSchedule, funding_payment
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.engine.rejections import RejectionCounter
from backtrader_engine.engine.trades import Fill, RoundTripLedger
from backtrader_engine.risk.orders import screen_submitted


@dataclass(frozen=True)
class Liquidation:
    """One forced close."""

    dt: float  # backtrader date number of the bar
    data_name: str
    size: float  # position size that was closed (signed)
    price: float


def fills_as_maker(order: bt.Order, price: float) -> bool:
    """A limit order that rests and fills at its own limit price adds liquidity (maker).

    A limit that is already marketable (it fills at a better open price because the market
    gapped through it) takes liquidity and pays the taker rate, as on the exchange.
    """
    if order.exectype == bt.Order.Limit:
        return price == order.created.price
    if order.exectype in (bt.Order.StopLimit, bt.Order.StopTrailLimit) and order.triggered:
        return price == order.created.pricelimit
    return False


class _FundingClock:
    """Walks one funding schedule forward as bars arrive."""

    def __init__(self, schedule: FundingSchedule) -> None:
        self.schedule = schedule
        self.nums = schedule.as_bt_nums()
        self.rates = schedule.rates
        self.cursor = 0

    def due(self, now: float) -> list[float]:
        """Rates of every settlement at or before *now* not yet settled."""
        start = self.cursor
        end = int(np.searchsorted(self.nums, now, side="right"))
        self.cursor = max(end, start)
        return [float(r) for r in self.rates[start:end]]

    def skip_to(self, now: float) -> None:
        """Drop settlements before the first bar: no position existed then."""
        self.cursor = int(np.searchsorted(self.nums, now, side="left"))


def clone_order(order: bt.Order) -> bt.Order:
    """What ``order.clone()`` returns — a shallow copy whose ``executed`` is a shallow copy
    marking the fills seen so far — built directly.

    backtrader clones every order it notifies (submitted, accepted, each fill) with
    ``copy.copy``, whose probe for ``__setstate__`` falls through to ``Order.__getattr__``
    and raises inside: several times per order on the path from a closed bar to a fill.
    """
    executed = order.executed
    executed.markpending()
    executed_copy = object.__new__(type(executed))
    executed_copy.__dict__.update(executed.__dict__)
    copy = object.__new__(type(order))
    copy.__dict__.update(order.__dict__)
    copy.executed = executed_copy
    return copy


class PerpBroker(MarginAccounting, bt.brokers.BackBroker):
    """BackBroker with margin accounting, funding, liquidation and per-bar recording.

    Accounting is :class:`~.accounting.MarginAccounting`: at 1x without slippage or funding a
    plain strategy sees stock backtrader's numbers (see docs/backtesting.md for the intended
    differences).

    Parameters
    ----------
    funding : FundingSchedule or None
        Funding settlements applied to every open position (None: no funding).
    record : bool
        Record value, cash and absolute position size once per bar.
    lot_rules : LotRules or None
        The venue's quantity step and minimums: orders are rounded toward zero to the step,
        and refused when left below a minimum (see :mod:`.lot_rules`). None: any quantity.
    """

    # Typed as any (name, default) pairs: the brokers built on this one add their own.
    params: tuple[tuple[str, Any], ...] = (
        ("funding", None),
        ("record", True),
        ("lot_rules", None),
    )

    def __init__(self) -> None:
        super().__init__()
        self.fees_paid = 0.0
        self.funding_paid = 0.0
        self.liquidations: list[Liquidation] = []
        self.ledger: RoundTripLedger[bt.AbstractDataBase] = RoundTripLedger()
        #: Orders refused or expired, by reason (see :mod:`.rejections`).
        self.rejections = RejectionCounter()
        #: One row per bar: time, value, cash, absolute position size (``record=True``).
        self.bar_record = BarRecord()
        self._range_lines: dict[object, tuple] = {}
        self._clock: _FundingClock | None = None
        self._liq_cache: dict[object, tuple[float, float, float, float | None]] = {}
        self._lot_checked: set[int] = set()  # refs of orders fitted to the lot rules
        # The strategy that trades each data: its liquidations are notified to it (with
        # several strategies, backtrader would hand an ownerless order to the first one).
        self._owners: dict[object, bt.Strategy] = {}

    def start(self) -> None:
        super().start()
        schedule = self.p.funding
        self._clock = _FundingClock(schedule) if schedule is not None and len(
            schedule.times) else None
        self._first_bar = True
        self._clock_line = self.cerebro.datas[0].lines.datetime
        self._plain: bool | None = None  # decided at the first bar, see _is_plain

    def notify(self, order: bt.Order) -> None:
        self.rejections.observe(order)
        if order.owner is not None and order.data not in self._owners:
            self._owners[order.data] = order.owner
        self.notifs.append(clone_order(order))

    # -- the venue's lot rules -----------------------------------------------------------------
    def check_submitted(self) -> None:
        # Where BackBroker checks margin, so a refused order takes the path of a Margin
        # rejection (its OCO group and bracket are cancelled) and a rounded one is checked
        # for margin at its rounded size.
        rules: LotRules | None = self.p.lot_rules
        if rules is not None:
            screen_submitted(self, lambda order: self._fit_lot(order, rules))
        super().check_submitted()

    def _fit_lot(self, order: bt.Order, rules: LotRules) -> bool:
        """Round *order* to the lot step; ``False`` (order rejected) when it cannot trade."""
        if order.ref in self._lot_checked:
            return True  # re-checked (a broker re-running its queue): fitted already
        self._lot_checked.add(order.ref)
        position = self.getposition(order.data).size
        size, reason, message = rules.fit(order.size, order.created.price or 0.0, position)
        if reason is not None:
            order.addinfo(reject_reason=reason, reject_message=message)
            order.reject(self)
            return False
        if size != order.size:
            order.addinfo(requested_size=order.size)
            self.rejections.resized += 1
            order.size = order.created.size = size
            order.executed.remsize = size
        return True

    # -- fees ----------------------------------------------------------------------------------
    def _execute(self, order, ago=None, price=None, cash=None, position=None, dtcoc=None):
        comminfo = self.getcommissioninfo(order.data)
        is_perp = isinstance(comminfo, PerpCommInfo)
        real_fill = ago is not None and price is not None
        if is_perp and real_fill:
            comminfo.maker_fill = fills_as_maker(order, price)
        bits_before = len(order.executed.exbits)
        try:
            result = super()._execute(order, ago=ago, price=price, cash=cash,
                                      position=position, dtcoc=dtcoc)
        finally:
            if is_perp:
                comminfo.maker_fill = False
        if real_fill and len(order.executed.exbits) > bits_before:
            self._record_fill(order, order.executed.exbits[-1])
        return result

    def _record_fill(self, order: bt.Order, bit) -> None:
        data = order.data
        self.fees_paid += bit.closedcomm + bit.openedcomm
        fill = Fill.from_bit(bit, len(data), bool(order.info.get("liquidation", False)))
        self.ledger.on_fill(data, data._name or "", fill)

    # -- the bar loop --------------------------------------------------------------------------
    def next(self) -> None:
        if self._clock is not None:
            self._settle_funding()
        if self._plain is None:
            self._plain = self._is_plain()
            if self.p.record:
                # Preloaded feeds know their length: the record is sized once for the run.
                self.bar_record.reserve(self.cerebro.datas[0].buflen())
        if self._plain:
            self._next_plain()
        else:
            super().next()
        self._check_liquidations()
        if self.p.record:
            self._record_bar()

    def _is_plain(self) -> bool:
        """Whether every data trades under a :class:`PerpCommInfo` without credit interest and
        no order history is replayed: then :meth:`_next_plain` is ``BackBroker.next``.

        Decided at the first bar, once the strategy's ``__init__`` has set its commissions.
        """
        infos = [self.getcommissioninfo(data) for data in self.cerebro.datas]
        return (all(isinstance(info, PerpCommInfo) and not info.p.interest for info in infos)
                and not self._userhist)

    def _next_plain(self) -> None:
        """``BackBroker.next`` without the steps that do nothing for perpetual positions.

        Left out: the credit-interest loop (a :class:`PerpCommInfo` charges none: funding
        takes its place) with its per-bar ``position.datetime`` stamp, and the end-of-bar cash
        adjustment (its ``cashadjust`` is always 0: cash is never marked to market). Both cost
        a date conversion or a call per open position and bar; neither changes a number. The
        submitted and pending queues are only walked when they hold orders.
        """
        while self._toactivate:
            self._toactivate.popleft().activate()
        if self.p.checksubmit and self.submitted:
            self.check_submitted()
        if self.pending:
            pending = self.pending
            pending.append(None)
            while True:
                order = pending.popleft()
                if order is None:
                    break
                if order.expire():
                    self.notify(order)
                    self._ococheck(order)
                    self._bracketize(order, cancel=True)
                elif not order.active():
                    pending.append(order)  # cannot yet be processed
                else:
                    self._try_exec(order)
                    if order.alive():
                        pending.append(order)
                    elif order.status == bt.Order.Completed:
                        self._bracketize(order)  # a bracket parent may have filled
        self._get_value()

    def _settle_funding(self) -> None:
        clock = self._clock
        if clock is None:  # next() settles only with a funding schedule
            return
        now = self._clock_line[0]
        if self._first_bar:
            clock.skip_to(now)
            self._first_bar = False
        rates = clock.due(now)
        if not rates:
            return
        # The position held at the settlement is the one before this bar's fills.
        for data, position in list(self.positions.items()):
            if not position.size:
                continue
            mark = data.open[0]
            self._pay_funding(data, position, mark, rates)
            self._liquidate_if_funding_broke(data, position, mark)

    def _pay_funding(self, data, position: bt.Position, mark: float, rates: list[float]) -> None:
        """Settle *rates* on *position*, marked at *mark*, out of the account's cash."""
        for rate in rates:
            payment = funding_payment(position.size, mark, rate)
            if payment > 0.0:
                # An isolated position cannot pay more than the account holds for it: what
                # the exchange cannot collect is its insurance fund's loss, not a negative
                # balance.
                payment = min(payment, self._funding_capacity(data, position, mark))
            self.cash -= payment
            self.funding_paid += payment
            self.ledger.on_funding(data, payment)

    def _funding_capacity(self, data, position: bt.Position, mark: float) -> float:
        """Most a funding payment can take: free cash plus the position's margin and its
        unrealised profit at *mark*, less the fee of closing it there."""
        comminfo = self.getcommissioninfo(data)
        size, entry = position.size, position.price
        equity = (comminfo.getoperationcost(size, entry)
                  + comminfo.profitandloss(size, entry, mark))
        closing_fee = comminfo.getcommission(size, mark)
        return max(0.0, self.cash + equity - closing_fee)

    def _liquidate_if_funding_broke(self, data, position: bt.Position, mark: float) -> None:
        """Liquidate at *mark* a position whose funding left its liquidation price at or past
        the mark: the settlement itself crossed it, so no later price in the bar is reached
        first, and a fill at the (now unreachable) liquidation price would be a gain."""
        size = position.size
        if not size:
            return
        price = self._liq_price(data, size, position.price)
        if price is None:
            return
        if (size > 0 and mark <= price) or (size < 0 and mark >= price):
            self._liquidate(data, size, mark)
            self._get_value()

    def _check_liquidations(self) -> None:
        liquidated = False
        for data, position in self.positions.items():
            size = position.size
            if not size:
                continue
            price = self._liq_price(data, size, position.price)
            if price is None:
                continue
            if self._liquidation_reached(data, size, price):
                self._liquidate(data, size, price)
                liquidated = True
        if liquidated:
            self._get_value()

    def _liquidation_reached(self, data, size: float, price: float) -> bool:
        """Whether the bar's range crossed the liquidation *price* (paper uses the mark)."""
        low_line, high_line = self._range_lines[data]
        return (size > 0 and low_line[0] <= price) or (size < 0 and high_line[0] >= price)

    def _liq_price(self, data, size: float, entry: float) -> float | None:
        # Runs every bar for every open position: cache the price per (size, entry, shortfall)
        # and the bar-range lines per data, so the common case is two dict lookups.
        shortfall = min(self.cash, 0.0)
        cached = self._liq_cache.get(data)
        if (cached is not None and cached[0] == size and cached[1] == entry
                and cached[2] == shortfall):
            return cached[3]
        comminfo = self.getcommissioninfo(data)
        price = None
        if isinstance(comminfo, PerpCommInfo):
            # Free cash below zero (funding paid with nothing left) is drawn from the
            # position's isolated margin, which brings its liquidation price closer: equity
            # can never fall below zero without the liquidation that caused it.
            margin = comminfo.getoperationcost(size, entry) + shortfall
            price = comminfo.liquidation_price(size, entry, margin)
        if price is not None and size > 0 and price <= 0.0:
            price = None  # a long whose margin covers its entry price cannot be liquidated
        self._liq_cache[data] = (size, entry, shortfall, price)
        if data not in self._range_lines:
            self._range_lines[data] = (data.lines.low, data.lines.high)
        return price

    def _liquidate(self, data, size: float, price: float) -> None:
        # Cancel the position's resting orders first (stops, take-profits): the exchange drops
        # them when it takes the position over, and they must not reopen it afterwards.
        for order in list(self.pending):
            if order is not None and order.data is data and order.alive():
                self.cancel(order)
        order_cls = bt.SellOrder if size > 0 else bt.BuyOrder
        order = order_cls(owner=self._owners.get(data), data=data, size=abs(size), price=price,
                          exectype=bt.Order.Market)
        order.addinfo(liquidation=True)
        comminfo = self.getcommissioninfo(data)
        order.addcomminfo(comminfo)
        order.submit(self)
        order.accept(self)
        self._ocoize(order, None)  # BackBroker's bookkeeping expects every order in a group
        capped = isinstance(comminfo, PerpCommInfo)
        if capped:
            # The liquidation fee comes out of what the position has left (with no
            # maintenance margin that is nothing), never out of a negative balance.
            position = self.getposition(data)
            left = (self.cash + comminfo.getoperationcost(size, position.price)
                    + comminfo.profitandloss(size, position.price, price))
            comminfo.fee_cap = max(0.0, left)
        try:
            self._execute(order, ago=0, price=price)
        finally:
            if capped:
                comminfo.fee_cap = None
        self.liquidations.append(Liquidation(data.datetime[0], data._name, size, price))

    def _record_bar(self) -> None:
        # One base bar per call. Only sizes are recorded here; notional is |size| x close,
        # computed after the run in numpy (every feed of a backtest is the same instrument).
        exposure = 0.0
        for position in self.positions.values():
            exposure += abs(position.size)
        self.bar_record.append(self._clock_line[0], self._value, self.cash, exposure)

    def trades_frame(self):
        """The round-trip ledger; positions still open are marked at their data's last close."""
        marks = {data: (float(data.close[0]), len(data)) for data in self.ledger.open_trips()}
        return self.ledger.frame(marks)
