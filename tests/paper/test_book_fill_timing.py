"""Book fills wait for the strategy's callback: the risk gate sees ``order.info`` complete.

A strategy that adds ``order.addinfo(confidence=...)`` after ``buy()`` returns must be judged
on that confidence with either fill model; the two models differ only in price and timing.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.paper.broker import PaperBroker, ms_to_num
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.feed import STOP, make_live_feeds
from backtrader_engine.paper.fill_hook import FillOnReturn
from backtrader_engine.risk import BrokerRiskHook, RiskGate

SIGNAL_BAR = 10  # the strategy buys on its 10th bar (contexts[9])
SIZE = 0.01


class LateConfidence(bt.Strategy):
    """Buys once and attaches its confidence after ``buy()`` returns, as the built-in
    strategies do; records what it is told and when."""

    params = (("confidence", 0.2),)

    def __init__(self) -> None:
        self.order: bt.Order | None = None
        self.notes: list[tuple[int, str]] = []  # (data bar, status) of each notification
        self.positions_seen: list[tuple[int, float]] = []

    def next(self) -> None:
        self.positions_seen.append((len(self), self.position.size))
        if len(self) == SIGNAL_BAR:
            self.order = self.buy(size=SIZE)
            self.order.addinfo(confidence=self.p.confidence, strategy="LateConfidence")

    def notify_order(self, order: bt.Order) -> None:
        self.notes.append((len(self.data), order.getstatusname()))


class Calls:
    """A broker recorder that keeps the calls it gets."""

    def __init__(self) -> None:
        self.orders: list[tuple[int, str, dict[str, Any], int, int]] = []
        self.fills: list[tuple[int, int, int, float]] = []

    def on_order(self, order: bt.Order, seq: int, bar: int, ts: int) -> None:
        self.orders.append((seq, order.getstatusname(), dict(order.info), bar, ts))

    def on_fill(self, order: bt.Order, seq: int, fill_seq: int, bar: int, ts: int, bit: Any,
                maker: bool) -> None:
        self.fills.append((seq, bar, ts, float(bit.price)))

    def on_funding(self, *args: Any) -> None:
        pass

    def on_bar(self, *args: Any) -> None:
        pass


def run(contexts: list[BarContext], *, fill_model: str, confidence: float,
        idle_check: str = "broker", fill_on_return: bool = False
        ) -> tuple[PaperBroker, LateConfidence, BrokerRiskHook, Calls]:
    inbox: queue.Queue[object] = queue.Queue()
    for ctx in contexts:
        inbox.put(ctx)
    inbox.put(STOP)
    feeds = make_live_feeds("BTCUSDT", "1m", (), inbox, [], qcheck=0.01)
    calls = Calls()
    broker = PaperBroker(fill_model=fill_model, recorder=calls)
    broker.setcash(10_000.0)
    broker.addcommissioninfo(CostModel(funding=0.0).commission_info())
    hook = BrokerRiskHook(RiskGate(RiskConfig()))
    broker.attach_risk_hook(hook)
    if idle_check == "broker":  # as a paper sub-account sets it
        feeds[0].p.idle_check = broker.has_work
    cerebro = build_cerebro(LateConfidence, {"confidence": confidence}, feeds, broker,
                            live=True)
    if fill_on_return:  # as a paper sub-account adds it
        cerebro.addanalyzer(FillOnReturn)
    strategy = cerebro.run()[0]
    return broker, strategy, hook, calls


@pytest.fixture
def contexts(btc_1m: pd.DataFrame, to_contexts: Callable[..., list[BarContext]]
             ) -> list[BarContext]:
    return to_contexts(btc_1m.iloc[:20], spread=1.0, depth=50.0)


@pytest.mark.parametrize("fill_on_return", [False, True])
@pytest.mark.parametrize("fill_model", ["book", "bar"])
def test_confidence_set_after_buy_reaches_the_gate(fill_model: str, fill_on_return: bool,
                                                   contexts: list[BarContext]) -> None:
    broker, strategy, hook, calls = run(contexts, fill_model=fill_model, confidence=0.2,
                                        fill_on_return=fill_on_return)
    order = strategy.order
    assert order is not None and order.status == bt.Order.Rejected
    assert order.info["reject_reason"] == "low_confidence"
    assert "confidence 0.2 is below 0.6" in order.info["reject_message"]
    [record] = list(hook.journal.records)
    assert (record.outcome, record.reason, record.confidence) == (
        "rejected", "low_confidence", 0.2)
    assert not calls.fills and broker.getposition(strategy.data).size == 0
    assert broker.rejections.as_dict() == {"low_confidence": 1}
    # The order row carries the confidence and the gate's reason.
    seq, status, info, _, _ = calls.orders[-1]
    assert (seq, status, info["confidence"], info["reject_reason"]) == (
        0, "Rejected", 0.2, "low_confidence")


@pytest.mark.parametrize("fill_on_return", [False, True])
def test_a_confident_book_order_fills_on_the_bar_it_acted_on(
        contexts: list[BarContext], fill_on_return: bool) -> None:
    broker, strategy, hook, calls = run(contexts, fill_model="book", confidence=0.9,
                                        fill_on_return=fill_on_return)
    order = strategy.order
    signal = contexts[SIGNAL_BAR - 1]
    assert order is not None and order.status == bt.Order.Completed
    # At the signal bar's quote (its close plus half the spread), stamped with its close.
    assert order.executed.price == pytest.approx(signal.asks[0][0])
    assert order.executed.dt == pytest.approx(ms_to_num(signal.close_time))
    [record] = [r for r in hook.journal.records if r.stage == "gate"]
    assert (record.outcome, record.confidence) == ("passed", 0.9)
    # The strategy hears of the fill on the bar it acted on and holds the position on the
    # next one, as before the fill waited for its callback.
    assert (SIGNAL_BAR, "Completed") in strategy.notes
    assert all(bar == SIGNAL_BAR for bar, _ in strategy.notes)
    assert (SIGNAL_BAR + 1, SIZE) in strategy.positions_seen
    assert calls.fills == [(0, SIGNAL_BAR, signal.close_time, order.executed.price)]
    assert calls.orders[-1][1] == "Completed" and calls.orders[-1][2]["confidence"] == 0.9


def test_the_bar_model_fills_the_same_order_at_the_next_open(
        contexts: list[BarContext]) -> None:
    broker, strategy, hook, calls = run(contexts, fill_model="bar", confidence=0.9)
    order = strategy.order
    assert order is not None and order.status == bt.Order.Completed
    assert order.executed.price == pytest.approx(contexts[SIGNAL_BAR].open)
    assert (SIGNAL_BAR + 1, "Completed") in strategy.notes
    assert calls.fills == [(0, SIGNAL_BAR + 1, contexts[SIGNAL_BAR].close_time,
                            order.executed.price)]


def test_a_book_fill_still_due_when_the_next_bar_arrives_uses_the_signal_bar(
        contexts: list[BarContext]) -> None:
    # A feed that never hands control back within a bar: the fill is made when the next
    # bar arrives, before that bar is processed, against the signal bar's book and stamped
    # with the signal bar.
    broker, strategy, hook, calls = run(contexts, fill_model="book", confidence=0.9,
                                        idle_check="none")
    order = strategy.order
    signal = contexts[SIGNAL_BAR - 1]
    assert order is not None and order.status == bt.Order.Completed
    assert order.executed.price == pytest.approx(signal.asks[0][0])
    assert signal.asks[0][0] != pytest.approx(contexts[SIGNAL_BAR].asks[0][0])
    assert order.executed.dt == pytest.approx(ms_to_num(signal.close_time))
    assert calls.fills == [(0, SIGNAL_BAR, signal.close_time, order.executed.price)]
    assert (SIGNAL_BAR + 1, SIZE) in strategy.positions_seen

    low = run(contexts, fill_model="book", confidence=0.2, idle_check="none")[1].order
    assert low is not None and low.info["reject_reason"] == "low_confidence"


class BracketOnCross(bt.Strategy):
    """A market entry with a take-profit and a stop (OCO); the entry's confidence is attached
    after the bracket is placed."""

    def __init__(self) -> None:
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))
        self.brackets: list[list[bt.Order]] = []

    def next(self) -> None:
        if self.position or any(o.alive() for o in self.broker.get_orders_open()):
            return
        price = self.data.close[0]
        if self.cross > 0:
            orders = self.buy_bracket(size=0.05, limitprice=price * 1.004,
                                      stopprice=price * 0.996, exectype=bt.Order.Market)
        elif self.cross < 0:
            orders = self.sell_bracket(size=0.05, limitprice=price * 0.996,
                                       stopprice=price * 1.004, exectype=bt.Order.Market)
        else:
            return
        orders[0].addinfo(confidence=0.9)
        self.brackets.append(orders)


def test_book_brackets_fill_at_the_quote_and_their_legs_cancel_each_other(
        btc_1m: pd.DataFrame, to_contexts: Callable[..., list[BarContext]]) -> None:
    contexts = to_contexts(btc_1m, spread=1.0, depth=50.0)
    inbox: queue.Queue[object] = queue.Queue()
    for ctx in contexts:
        inbox.put(ctx)
    inbox.put(STOP)
    feeds = make_live_feeds("BTCUSDT", "1m", (), inbox, [], qcheck=0.01)
    broker = PaperBroker(fill_model="book")
    broker.setcash(10_000.0)
    broker.addcommissioninfo(CostModel(funding=0.0).commission_info())
    hook = BrokerRiskHook(RiskGate(RiskConfig(min_seconds_between_signals=0,
                                              max_signals_per_hour=60,
                                              max_signals_per_hour_per_strategy=60)))
    broker.attach_risk_hook(hook)
    feeds[0].p.idle_check = broker.has_work
    strategy = build_cerebro(BracketOnCross, {}, feeds, broker, live=True).run()[0]
    by_close = {ms_to_num(c.close_time): c for c in contexts}
    assert len(strategy.brackets) > 5
    for parent, stop, limit in strategy.brackets[:-1]:
        # Filled at the quote of the bar it was placed on, stamped with that bar's close.
        assert parent.status == bt.Order.Completed
        ctx = by_close[parent.executed.dt]
        assert ms_to_num(ctx.start) == parent.created.dt
        quote = ctx.asks[0][0] if parent.isbuy() else ctx.bids[0][0]
        assert parent.executed.price == pytest.approx(quote)
        # One leg closed the position, the other was cancelled with it.
        statuses = sorted(o.getstatusname() for o in (stop, limit))
        assert statuses == ["Canceled", "Completed"], statuses
    passed = [r for r in hook.journal.records if r.stage == "gate"]
    assert len(passed) == len(strategy.brackets)
    assert all((r.outcome, r.confidence) == ("passed", 0.9) for r in passed)


class LoadCounter(Calls):
    """A recorder that notes, at each fill, how often the feed has been asked for a bar."""

    def __init__(self, loads: list[int]) -> None:
        super().__init__()
        self.loads = loads
        self.loads_at_fill: list[int] = []

    def on_fill(self, *args: Any) -> None:
        self.loads_at_fill.append(self.loads[0])
        super().on_fill(*args)


@pytest.mark.parametrize("fill_on_return", [False, True])
def test_fill_on_return_fills_before_cerebro_turns_again(
        contexts: list[BarContext], fill_on_return: bool) -> None:
    # Without the analyzer the book fill waits for cerebro's next loop turn (the feed is
    # asked again, finds the broker busy, and the broker runs); with it the fill is made as
    # soon as next() returns, while the feed still stands at the signal bar.
    inbox: queue.Queue[object] = queue.Queue()
    for ctx in contexts:
        inbox.put(ctx)
    inbox.put(STOP)
    feeds = make_live_feeds("BTCUSDT", "1m", (), inbox, [], qcheck=0.01)
    loads = [0]
    load = feeds[0]._load

    def counted() -> bool | None:
        loads[0] += 1
        return load()

    feeds[0]._load = counted
    calls = LoadCounter(loads)
    broker = PaperBroker(fill_model="book", recorder=calls)
    broker.setcash(10_000.0)
    broker.addcommissioninfo(CostModel(funding=0.0).commission_info())
    feeds[0].p.idle_check = broker.has_work
    cerebro = build_cerebro(LateConfidence, {"confidence": 0.9}, feeds, broker, live=True)
    if fill_on_return:
        cerebro.addanalyzer(FillOnReturn)
    strategy = cerebro.run()[0]
    assert strategy.order is not None and strategy.order.status == bt.Order.Completed
    assert calls.loads_at_fill == [SIGNAL_BAR + (0 if fill_on_return else 1)]
    assert (SIGNAL_BAR + 1, SIZE) in strategy.positions_seen
