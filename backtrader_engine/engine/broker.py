"""Backtest broker for perpetual futures: backtrader's BackBroker plus fees, funding, liquidation.

Fills, slippage and order types are backtrader's own (``BackBroker``). On top of them this broker

- prices each fill as maker or taker (:class:`~.commission.PerpCommInfo`),
- settles funding at each funding time on the position held at that moment,
- liquidates isolated positions whose bar range crosses their liquidation price,
- records one row per bar (value, cash, position notional) so metrics are computed after the
  run with numpy instead of by per-bar analyzers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import backtrader as bt
import numpy as np

from .commission import PerpCommInfo
from .funding import FundingSchedule, funding_payment


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


class PerpBroker(bt.brokers.BackBroker):
    """BackBroker with perpetual-futures funding, liquidation and per-bar recording.

    Parameters
    ----------
    funding : FundingSchedule or None
        Funding settlements applied to every open position (None: no funding).
    record : bool
        Record value, cash and position notional once per bar.
    """

    params = (
        ("funding", None),
        ("record", True),
        # Futures-like accounting: see PerpCommInfo.getvalue for why shortcash must be off.
        ("shortcash", False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.fees_paid = 0.0
        self.funding_paid = 0.0
        self.liquidations: list[Liquidation] = []
        self.funding_by_data: dict[object, float] = defaultdict(float)
        self.record_dt: list[float] = []
        self.record_value: list[float] = []
        self.record_cash: list[float] = []
        self.record_notional: list[float] = []
        self._clock: _FundingClock | None = None
        self._liq_cache: dict[object, tuple[float, float, float]] = {}

    def start(self) -> None:
        super().start()
        schedule = self.p.funding
        self._clock = _FundingClock(schedule) if schedule is not None and len(
            schedule.times) else None
        self._first_bar = True

    # -- fees ----------------------------------------------------------------------------------
    def _execute(self, order, ago=None, price=None, cash=None, position=None, dtcoc=None):
        comminfo = self.getcommissioninfo(order.data)
        is_perp = isinstance(comminfo, PerpCommInfo)
        real_fill = ago is not None and price is not None
        if is_perp and real_fill:
            comminfo.maker_fill = fills_as_maker(order, price)
        comm_before = order.executed.comm
        try:
            result = super()._execute(order, ago=ago, price=price, cash=cash,
                                      position=position, dtcoc=dtcoc)
        finally:
            if is_perp:
                comminfo.maker_fill = False
        if real_fill:
            self.fees_paid += order.executed.comm - comm_before
        return result

    # -- the bar loop --------------------------------------------------------------------------
    def next(self) -> None:
        if self._clock is not None:
            self._settle_funding()
        super().next()
        self._check_liquidations()
        if self.p.record:
            self._record_bar()

    def _settle_funding(self) -> None:
        now = self._now()
        if now is None:
            return
        if self._first_bar:
            self._clock.skip_to(now)
            self._first_bar = False
        rates = self._clock.due(now)
        if not rates:
            return
        # The position held at the settlement is the one before this bar's fills.
        for data, position in self.positions.items():
            if not position.size:
                continue
            mark = data.open[0]
            for rate in rates:
                payment = funding_payment(position.size, mark, rate)
                self.cash -= payment
                self.funding_paid += payment
                self.funding_by_data[data] += payment

    def _now(self) -> float | None:
        datas = self.cerebro.datas
        return datas[0].datetime[0] if datas else None

    def _check_liquidations(self) -> None:
        liquidated = False
        for data, position in self.positions.items():
            size = position.size
            if not size:
                continue
            comminfo = self.getcommissioninfo(data)
            if not isinstance(comminfo, PerpCommInfo):
                continue
            price = self._liq_price(data, comminfo, size, position.price)
            if (size > 0 and data.low[0] <= price) or (size < 0 and data.high[0] >= price):
                self._liquidate(data, size, price)
                liquidated = True
        if liquidated:
            self._get_value()

    def _liq_price(self, data, comminfo: PerpCommInfo, size: float, entry: float) -> float:
        cached = self._liq_cache.get(data)
        if cached is not None and cached[0] == size and cached[1] == entry:
            return cached[2]
        price = comminfo.liquidation_price(size, entry)
        self._liq_cache[data] = (size, entry, price)
        return price

    def _liquidate(self, data, size: float, price: float) -> None:
        # Cancel the position's resting orders first (stops, take-profits): the exchange drops
        # them when it takes the position over, and they must not reopen it afterwards.
        for order in list(self.pending):
            if order is not None and order.data is data and order.alive():
                self.cancel(order)
        order_cls = bt.SellOrder if size > 0 else bt.BuyOrder
        order = order_cls(owner=None, data=data, size=abs(size), price=price,
                          exectype=bt.Order.Market)
        order.addinfo(liquidation=True)
        order.addcomminfo(self.getcommissioninfo(data))
        order.submit(self)
        order.accept(self)
        self._ocoize(order, None)  # BackBroker's bookkeeping expects every order in a group
        self._execute(order, ago=0, price=price)
        self.liquidations.append(Liquidation(data.datetime[0], data._name, size, price))

    def _record_bar(self) -> None:
        notional = 0.0
        for data, position in self.positions.items():
            if position.size:
                notional += abs(position.size) * data.close[0]
        self.record_dt.append(self.cerebro.datas[0].datetime[0])
        self.record_value.append(self._value)
        self.record_cash.append(self.cash)
        self.record_notional.append(notional)

    def pop_trade_funding(self, data) -> float:
        """Funding accrued on *data*'s position since the last call (per-trade attribution)."""
        return self.funding_by_data.pop(data, 0.0)
