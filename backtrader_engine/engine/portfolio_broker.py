"""The brokers of a portfolio backtest: one shared account, or one sub-account per symbol.

Several symbols trade in one Cerebro, each through its own instance of the strategy. Two
account models are offered (``--accounts``):

* **shared** — :class:`SharedAccountBroker`, a :class:`~.broker.PerpBroker` every symbol trades
  against, as stock backtrader's one broker with several strategies. On top of the
  single-symbol broker it settles each symbol's own funding, fits each symbol's orders to its
  own lot rules, and attributes cash to the symbol that moved it, so each symbol's PnL can be
  followed bar by bar.
* **per-symbol** — :class:`SubAccountBroker`, a front over one plain
  :class:`~.broker.PerpBroker` per symbol, each holding its own cash. Each strategy instance is
  bound to its symbol's broker (:class:`BindSubAccount`), so ``getvalue()``, ``getcash()`` and
  ``order_target_percent`` see only that sub-account: the run equals one single-symbol backtest
  per symbol with its share of the cash.

Both record the portfolio's bars on :class:`PortfolioClock`: the latest bar time of any symbol,
so a symbol missing a bar does not repeat an earlier time in the record.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import backtrader as bt
import numpy as np

from backtrader_engine.engine.broker import PerpBroker, _FundingClock
from backtrader_engine.engine.funding import FundingSchedule
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.engine.rejections import RejectionCounter
from backtrader_engine.risk.orders import screen_submitted


class PortfolioClock:
    """``clock[0]``: the time of the portfolio's current bar (the latest of its symbols').

    Stands in for the broker's clock line, which a single-symbol run takes from its one feed.
    """

    def __init__(self, feeds: Sequence[bt.feeds.DataBase]) -> None:
        self._lines = [feed.lines.datetime for feed in feeds]
        self._now = 0.0

    def tick(self) -> float:
        """Read the current bar's time (once a bar: every reader of the bar gets it from here)."""
        # A feed that has not delivered a bar yet has nothing at [0] (its buffer would wrap).
        self._now = max(line[0] for line in self._lines if len(line))
        return self._now

    def __getitem__(self, ago: int) -> float:
        return self._now


class SymbolBook:
    """One symbol's account history in a shared account, written only when it changes.

    Each fill or funding settlement of the symbol appends the bar it happened at, the
    position after it (size, entry price) and the cash the symbol has moved so far. Nothing is
    written on the other bars: :meth:`columns` spreads the rows over every bar after the run,
    so following each symbol costs the bar loop nothing.
    """

    def __init__(self) -> None:
        self.bar = array("q")
        self.size = array("d")
        self.entry = array("d")
        self.flow = array("d")

    def note(self, bar: int, size: float, entry: float, flow: float) -> None:
        self.bar.append(bar)
        self.size.append(size)
        self.entry.append(entry)
        self.flow.append(flow)

    def columns(self, bars: int, close: np.ndarray, mult: float, leverage: float
                ) -> tuple[np.ndarray, np.ndarray]:
        """(position size, PnL) at each of *bars* bars, marked at *close* (one per bar).

        PnL is the cash the symbol moved plus its open position's margin and unrealised
        profit: :meth:`PerpCommInfo.position_figures`'s equity, with its arithmetic.
        """
        rows = np.frombuffer(self.bar, dtype=np.int64)
        # The last row at or before each bar (-1: none yet).
        at = np.searchsorted(rows, np.arange(bars), side="right") - 1
        have = at >= 0
        pick = np.where(have, at, 0)

        def spread(values: array) -> np.ndarray:
            column = np.frombuffer(values, dtype=np.float64)
            return np.where(have, column[pick], 0.0) if len(column) else np.zeros(bars)

        size, entry, flow = spread(self.size), spread(self.entry), spread(self.flow)
        with np.errstate(invalid="ignore"):
            unrealized = size * (close - entry) * mult
            equity = np.abs(size) * (entry * mult / leverage) + unrealized
        return size, np.where(size != 0.0, flow + equity, flow)


class SharedAccountBroker(PerpBroker):
    """One account for every symbol: each symbol's funding and lot rules, its PnL recorded.

    Parameters
    ----------
    feeds_by_symbol : dict
        Symbol -> its feeds (base first); orders on any of them are that symbol's.
    funding_by_symbol : dict
        Symbol -> its funding schedule (a symbol absent or None pays no funding).
    lot_rules_by_symbol : dict
        Symbol -> its lot rules (absent or None: any quantity).
    """

    params: tuple[tuple[str, Any], ...] = (
        ("feeds_by_symbol", None),
        ("funding_by_symbol", None),
        ("lot_rules_by_symbol", None),
    )

    def __init__(self) -> None:
        super().__init__()
        feeds: Mapping[str, Sequence[Any]] = self.p.feeds_by_symbol or {}
        self.symbols = list(feeds)
        self._symbol_of = {feed: symbol for symbol, group in feeds.items() for feed in group}
        self._base_of = {feed: group[0] for group in feeds.values() for feed in group}
        self._now = 0.0  # the portfolio's current bar time, set each bar
        #: Cash each symbol's fills and funding moved in or out (its realised PnL plus the
        #: margin its open position holds).
        self._flow = dict.fromkeys(self.symbols, 0.0)
        self.books = {symbol: SymbolBook() for symbol in self.symbols}
        self.rejections_by_symbol = {symbol: RejectionCounter() for symbol in self.symbols}
        self._clocks: dict[Any, _FundingClock] = {}

    def start(self) -> None:
        super().start()
        self._clock_line = self._portfolio_clock = PortfolioClock(
            [group[0] for group in (self.p.feeds_by_symbol or {}).values()])
        schedules: Mapping[str, FundingSchedule | None] = self.p.funding_by_symbol or {}
        self._clocks = {}
        for symbol, schedule in schedules.items():
            if schedule is not None and len(schedule.times):
                self._clocks[self.p.feeds_by_symbol[symbol][0]] = _FundingClock(schedule)
        # PerpBroker.next settles funding when it has a clock: any symbol's will do.
        self._clock = next(iter(self._clocks.values()), None)

    def next(self) -> None:
        self._now = self._portfolio_clock.tick()
        super().next()

    def _try_exec(self, order: bt.Order) -> None:
        # A symbol with no bar now (listed later, or a missing bar) cannot fill: its last bar
        # was traded on already. Its orders wait for its next bar, as in a run of it alone.
        if self._base_of[order.data].datetime[0] < self._now:
            return
        super()._try_exec(order)

    def symbol_of(self, data: Any) -> str:
        return self._symbol_of.get(data, data._name or "")

    def notify(self, order: bt.Order) -> None:
        symbol = self.symbol_of(order.data)
        if symbol in self.rejections_by_symbol:
            self.rejections_by_symbol[symbol].observe(order)
        super().notify(order)

    # -- each symbol's lot rules ---------------------------------------------------------------
    def check_submitted(self) -> None:
        rules: Mapping[str, LotRules | None] = self.p.lot_rules_by_symbol or {}
        if any(rule is not None for rule in rules.values()):
            def fit(order: bt.Order) -> bool:
                rule = rules.get(self.symbol_of(order.data))
                return True if rule is None else self._fit_lot(order, rule)
            screen_submitted(self, fit)
        bt.brokers.BackBroker.check_submitted(self)

    # -- cash attributed to symbols ------------------------------------------------------------
    def _execute(self, order, ago=None, price=None, cash=None, position=None, dtcoc=None):
        before = self.cash
        result = super()._execute(order, ago=ago, price=price, cash=cash, position=position,
                                  dtcoc=dtcoc)
        if ago is not None and self.cash != before:  # a fill (a margin check moves nothing)
            self._moved(order.data, self.cash - before)
        return result

    def _moved(self, data: Any, amount: float) -> None:
        """Attribute *amount* of cash to *data*'s symbol and note its position now."""
        symbol = self.symbol_of(data)
        if symbol not in self._flow:
            return
        self._flow[symbol] += amount
        position = self.positions.get(data)
        size, entry = (position.size, position.price) if position is not None else (0.0, 0.0)
        # The bar being processed is the next row of the broker's per-bar record.
        self.books[symbol].note(len(self.bar_record), size, entry, self._flow[symbol])

    def _settle_funding(self) -> None:
        now = self._clock_line[0]
        if self._first_bar:
            for clock in self._clocks.values():
                clock.skip_to(now)
            self._first_bar = False
        for data, clock in self._clocks.items():
            rates = clock.due(now)  # walked every bar, so a flat symbol skips its settlements
            position = self.positions.get(data)
            if not rates or position is None or not position.size:
                continue
            mark = data.open[0]
            before = self.cash
            self._pay_funding(data, position, mark, rates)
            self._moved(data, self.cash - before)
            self._liquidate_if_funding_broke(data, position, mark)


class SubAccountBroker(bt.BrokerBase):
    """One :class:`~.broker.PerpBroker` per symbol behind the one broker Cerebro drives.

    Cerebro steps this broker and collects notifications from it; each strategy instance
    trades its own symbol's broker directly (see :class:`BindSubAccount`). Account-wide
    questions (value, cash) are the sum over the sub-accounts.
    """

    def __init__(self, brokers: Mapping[str, PerpBroker],
                 feeds_by_symbol: Mapping[str, Sequence[Any]]) -> None:
        super().__init__()
        self.brokers = dict(brokers)
        self.feeds_by_symbol = {symbol: list(feeds) for symbol, feeds in feeds_by_symbol.items()}
        self._broker_of = {feed: self.brokers[symbol]
                           for symbol, feeds in self.feeds_by_symbol.items() for feed in feeds}
        self.startingcash = sum(broker.startingcash for broker in self.brokers.values())

    def broker_for(self, data: Any) -> PerpBroker:
        """The sub-account that trades *data*."""
        return self._broker_of[data]

    def start(self) -> None:
        super().start()
        self._bases = {symbol: feeds[0] for symbol, feeds in self.feeds_by_symbol.items()}
        clock = self._clock = PortfolioClock(list(self._bases.values()))
        for symbol, broker in self.brokers.items():
            feeds = self.feeds_by_symbol[symbol]
            # Each sub-account sees only its symbol's feeds, as in a single-symbol run.
            broker.cerebro = SimpleNamespace(datas=feeds, runningstrats=[])
            broker.start()
            broker._clock_line = clock

    def stop(self) -> None:
        for broker in self.brokers.values():
            broker.stop()

    def next(self) -> None:
        now = self._clock.tick()
        for symbol, broker in self.brokers.items():
            base = self._bases[symbol]
            if len(base) and base.datetime[0] == now:
                broker.next()
            elif broker.p.record:
                # No bar of this symbol now: its account is left as it was (as in a run of
                # the symbol alone), only its value is recorded for the portfolio's bar.
                broker._record_bar()

    def get_notification(self) -> bt.Order | None:
        for broker in self.brokers.values():
            order = broker.get_notification()
            if order is not None:
                return order
        return None

    def getcash(self) -> float:
        return sum(broker.getcash() for broker in self.brokers.values())

    def getvalue(self, datas: Sequence[Any] | None = None) -> float:
        if datas:
            return sum(self.broker_for(data).getvalue(datas=[data]) for data in datas)
        return sum(broker.getvalue() for broker in self.brokers.values())

    def getposition(self, data: Any) -> bt.Position:
        return self.broker_for(data).getposition(data)

    def getcommissioninfo(self, data: Any) -> bt.CommInfoBase:
        return self.broker_for(data).getcommissioninfo(data)

    def buy(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
            tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
            transmit=True, histnotify=False, _checksubmit=True, **kwargs):
        return self.broker_for(data).buy(
            owner, data, size, price=price, plimit=plimit, exectype=exectype, valid=valid,
            tradeid=tradeid, oco=oco, trailamount=trailamount, trailpercent=trailpercent,
            parent=parent, transmit=transmit, histnotify=histnotify,
            _checksubmit=_checksubmit, **kwargs)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
             tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
             transmit=True, histnotify=False, _checksubmit=True, **kwargs):
        return self.broker_for(data).sell(
            owner, data, size, price=price, plimit=plimit, exectype=exectype, valid=valid,
            tradeid=tradeid, oco=oco, trailamount=trailamount, trailpercent=trailpercent,
            parent=parent, transmit=transmit, histnotify=histnotify,
            _checksubmit=_checksubmit, **kwargs)

    def cancel(self, order: bt.Order, bracket: bool = False) -> Any:
        return self.broker_for(order.data).cancel(order, bracket=bracket)

    def setcommission(self, *args: Any, **kwargs: Any) -> None:
        for broker in self.brokers.values():
            broker.setcommission(*args, **kwargs)

    def addcommissioninfo(self, comminfo: bt.CommInfoBase, name: str | None = None) -> None:
        for broker in self.brokers.values():
            broker.addcommissioninfo(comminfo, name=name)


class BindSubAccount(bt.Analyzer):
    """Points its strategy (and its sizer) at the sub-account of the strategy's symbol.

    Added to every strategy of a per-symbol run; it runs at the strategy's start, before the
    first bar, so every ``self.broker`` call the strategy makes from then on is its symbol's.
    """

    params = (("accounts", None),)

    def start(self) -> None:
        accounts: SubAccountBroker = self.p.accounts
        broker = accounts.broker_for(self.strategy.datas[0])
        self.strategy.broker = broker
        self.strategy._sizer.set(self.strategy, broker)
