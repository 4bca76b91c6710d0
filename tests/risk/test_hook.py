"""The hook works for a broker that is not a ``BackBroker``, the way a paper broker will use it.

``InstantBroker`` is a deliberately small ``bt.BrokerBase``: it queues orders, and on the next
bar screens each one (``hook.screen``), fills accepted ones at the open, reports every status
change (``hook.on_order_status``) and observes the bar (``hook.on_bar``).
"""

from __future__ import annotations

import collections

import backtrader as bt

from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.feed import make_feed
from backtrader_engine.risk import BrokerRiskHook, RiskGate


class InstantBroker(bt.BrokerBase):
    def __init__(self, hook: BrokerRiskHook) -> None:
        super().__init__()
        self.hook = hook
        self.cash = self.startingcash = 10_000.0
        self.positions: dict = collections.defaultdict(bt.Position)
        self.queued: list[bt.Order] = []
        self.notifs: collections.deque = collections.deque()

    def getcash(self) -> float:
        return self.cash

    def getvalue(self, datas=None) -> float:
        return self.cash + sum(p.size * d.close[0] for d, p in self.positions.items())

    def getposition(self, data) -> bt.Position:
        return self.positions[data]

    def get_notification(self):
        return self.notifs.popleft() if self.notifs else None

    def notify(self, order: bt.Order) -> None:
        self.notifs.append(order.clone())
        self.hook.on_order_status(order)

    def _order(self, cls, owner, data, size, **kwargs) -> bt.Order:
        order = cls(owner=owner, data=data, size=size, exectype=bt.Order.Market)
        order.addinfo(**{k: v for k, v in kwargs.items() if k == "confidence"})
        order.addcomminfo(self.getcommissioninfo(data))
        order.submit(self)
        self.queued.append(order)
        self.notify(order)
        return order

    def buy(self, owner, data, size, **kwargs) -> bt.Order:
        return self._order(bt.BuyOrder, owner, data, size, **kwargs)

    def sell(self, owner, data, size, **kwargs) -> bt.Order:
        return self._order(bt.SellOrder, owner, data, size, **kwargs)

    def next(self) -> None:
        queued, self.queued = self.queued, []
        for order in queued:
            if not self.hook.screen(order, self).allowed:
                self.notify(order)  # already marked Rejected by the hook
                continue
            order.accept(self)
            self.notify(order)
            price, position = order.data.open[0], self.positions[order.data]
            size = order.size
            position.update(size, price)
            self.cash -= size * price
            order.execute(order.data.datetime[0], size, price, 0, 0.0, 0.0, size,
                          size * price, 0.0, 0.0, 0.0, position.size, position.price)
            self.notify(order)
        self.hook.on_bar(self, self.cerebro.datas)


class Plan(bt.Strategy):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, object]] = []

    def notify_order(self, order) -> None:
        self.seen.append((order.info.get("tag"), order.getstatusname(),
                          order.info.get("reject_reason")))

    def next(self) -> None:
        bar = len(self.data) - 1
        if bar == 2:
            self.buy(size=1.0, confidence=0.3).addinfo(tag="weak")
        elif bar == 4:
            self.buy(size=1.0).addinfo(tag="plain")
        elif bar == 5:
            self.buy(size=1.0).addinfo(tag="again")  # 60 s after "plain": spaced enough
        elif bar == 6:
            self.sell(size=1.0).addinfo(tag="exit")


def test_hook_gates_a_broker_that_is_not_a_backbroker(make_ohlcv):
    frame = make_ohlcv(12, start="2022-01-03", freq="1min", vol=0.0005)
    hook = BrokerRiskHook(RiskGate())
    broker = InstantBroker(hook)
    cerebro = build_cerebro(Plan, {}, [make_feed(frame, timeframe="1m", name="BTCUSDT")],
                            broker, live=True)
    cerebro.p.quicknotify = False
    strategy = cerebro.run()[0]
    final = {tag: (status, reason) for tag, status, reason in strategy.seen}
    assert final == {"weak": ("Rejected", "low_confidence"), "plain": ("Completed", None),
                     "again": ("Completed", None), "exit": ("Completed", None)}
    assert broker.getposition(strategy.data).size == 1.0
    # The default 30 s spacing holds on market time: one minute apart is fine.
    assert [(r.outcome, r.reason) for r in hook.journal.records] == [
        ("rejected", "low_confidence"), ("passed", None), ("executed", None),
        ("passed", None), ("executed", None)]
    assert hook.gate.daily.start_equity == 10_000.0
