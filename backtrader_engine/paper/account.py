"""One sub-account: a strategy on one symbol, with its own cerebro, broker and thread.

backtrader gives every strategy of a cerebro the same ``self.datas``, so a strategy sees its
own symbol as ``self.data`` — exactly as in its backtest — only in a cerebro of its own.
Each sub-account therefore runs its own cerebro in live mode on its own thread; the session
hands it bars one at a time (:meth:`Account.deliver`) and waits until the strategy, the
broker and the notifications of that bar are done, so accounts never run concurrently.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import backtrader as bt

from backtrader_engine.engine.bars_needed import WarmupCheck
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerWriter
from backtrader_engine.paper.broker import PaperBroker
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.control.manual import InjectedSignal
from backtrader_engine.paper.control.operator import ForceExit
from backtrader_engine.paper.feed import STOP, LiveFeed, make_live_feeds
from backtrader_engine.paper.fill_hook import FillOnReturn
from backtrader_engine.paper.recorder import AccountRecorder
from backtrader_engine.paper.risk import StreamHealth, SubAccountRiskHook
from backtrader_engine.risk import RiskGate
from backtrader_engine.strategies.failure import strategy_failure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountSpec:
    """What one sub-account trades."""

    strategy_spec: str
    strategy: type[bt.Strategy]
    params: Mapping[str, Any]
    symbol: str
    timeframe: str
    interval: str
    confirm_timeframes: Sequence[str] = ()
    cash: float = 10_000.0

    @property
    def name(self) -> str:
        """``Strategy:SYMBOL``, the sub-account's key in the ledger and in metrics."""
        return f"{self.strategy.__name__}:{self.symbol}"


@dataclass
class Account:
    """A running sub-account (see the module docstring)."""

    spec: AccountSpec
    ledger: LedgerWriter
    costs: CostModel
    warmup: Sequence[BarContext]
    fill_model: str = "book"
    gate: RiskGate | None = None
    funding_interval_ms: int = 8 * 3_600_000
    portfolio_value: Callable[[], float] | None = None
    health: StreamHealth | None = None  # shared by the session's sub-accounts
    lot_rules: LotRules | None = None  # the venue's quantity step and minimums
    inbox: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        spec = self.spec
        self.recorder = AccountRecorder(self.ledger, spec.name, spec.symbol,
                                        spec.strategy.__name__)
        self.feeds = make_live_feeds(spec.symbol, spec.timeframe, spec.confirm_timeframes,
                                     self.inbox, self.warmup)
        # backtrader's metaclass takes the params keywords before __init__.
        self.broker = PaperBroker(fill_model=self.fill_model,  # type: ignore[call-arg]
                                  recorder=self.recorder,
                                  funding_interval_ms=self.funding_interval_ms,
                                  lot_rules=self.lot_rules)
        self.recorder.broker = self.broker
        self.broker.setcash(spec.cash)
        self.broker.addcommissioninfo(self.costs.commission_info())
        self.hook: SubAccountRiskHook | None = None
        if self.gate is not None:
            value = self.portfolio_value or self.broker.getvalue
            self.hook = SubAccountRiskHook(self.gate, value, self.health)
            self.hook.journal.subscribe(self.recorder)
            self.broker.attach_risk_hook(self.hook)
        self.feed.p.idle_check = self.broker.has_work
        self.feed.p.on_settle = self.recorder.flush
        self.feed.p.on_force_exit = self._force_exit
        self.cerebro = build_cerebro(spec.strategy, spec.params, self.feeds, self.broker,
                                     live=True)
        # First of the analyzers: it makes the book fills as soon as next() returns.
        self.cerebro.addanalyzer(FillOnReturn)
        self.cerebro.addanalyzer(WarmupCheck, warmup=len(self.warmup), account=spec.name)
        self._sent = 0
        self.thread = threading.Thread(target=self._run, name=f"account-{spec.name}",
                                       daemon=True)

    @property
    def feed(self) -> LiveFeed:
        """The base feed (``self.data`` of the strategy)."""
        return self.feeds[0]

    @property
    def alive(self) -> bool:
        """Whether the account's thread still runs its strategy."""
        return self.thread.is_alive()

    def start(self) -> None:
        """Start the cerebro thread; it first replays the warm-up history."""
        self.thread.start()

    def _run(self) -> None:
        try:
            self.cerebro.run()
        except BaseException as exc:  # a broken strategy stops its account, not the session
            self.error = exc
            failure = strategy_failure(exc, self.spec.strategy, self.cerebro)
            if failure is not None:
                # The strategy's own frames, in the form backtest and optimize use; the
                # engine's frames would only bury them.
                log.error("account %s stopped: %s", self.spec.name, failure)
                self.ledger.record_event("account_error", failure.one_line(), self.spec.name)
            elif isinstance(exc, UserError):  # e.g. an indicator period of 0: one line says it
                log.error("account %s stopped: %s", self.spec.name, exc)
                self.ledger.record_event("account_error", str(exc), self.spec.name)
            else:
                log.exception("account %s stopped: %s", self.spec.name, exc)
                self.ledger.record_event("account_error", f"{type(exc).__name__}: {exc}",
                                         self.spec.name)
        finally:
            try:
                self.recorder.flush()  # what the steps before a failure produced
            except Exception:
                log.exception("account %s: final ledger write failed", self.spec.name)
            self.feed.finish()

    def deliver(self, item: BarContext | ForceExit | InjectedSignal | str, *,
                timeout: float | None = None) -> bool:
        """Hand *item* to the strategy and wait until it has been fully processed.

        Returns ``False`` when the account's thread is no longer running.
        """
        if not self.alive:
            return False
        self._sent += 1
        target = self._sent
        feed = self.feed
        self.inbox.put(item)
        waited = 0.0
        while feed.settled < target and not feed.finished_run:
            try:
                feed.settles.get(timeout=0.5)  # a token per settle; the count decides
            except queue.Empty:
                waited += 0.5
                if timeout is not None and waited >= timeout:
                    log.warning("account %s is slow: bar not processed after %.0f s",
                                self.spec.name, waited)
                    return True
        return not feed.finished_run

    def _force_exit(self, item: ForceExit) -> None:
        # The feed is mid-load when it takes the command; the broker runs it next, once
        # the lines are settled and orders can be created.
        self.broker.deferred.append(lambda: self._close_all(item))

    def _close_all(self, item: ForceExit) -> None:
        """On the cerebro thread: cancel open orders, close the position at market."""
        broker = self.broker
        for order in [o for o in broker.pending if o is not None and o.alive()]:
            broker.cancel(order)
        position = broker.getposition(self.feed)
        if position.size:
            strategy = self.cerebro.runningstrats[0]
            broker.operator_exit = True  # the one order that passes a trading pause
            try:
                order = strategy.close(data=self.feed)
            finally:
                broker.operator_exit = False
            if order is not None:
                order.addinfo(force_exit=item.control_id)
        self.ledger.record_event("force_exit", f"position {position.size:g} closed at market"
                                 if position.size else "no position", self.spec.name)

    def notify_status(self, state: str) -> None:
        """Forward a connection state to the strategy's ``notify_data``."""
        self.deliver(state, timeout=5.0)

    def stop(self, timeout: float = 10.0) -> None:
        """End the cerebro run (the strategy's ``stop()`` runs) and join the thread."""
        if self.thread.is_alive():
            self.inbox.put(STOP)
            self.thread.join(timeout)
