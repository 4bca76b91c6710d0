"""The paper broker: a backtrader broker that fills against live market context.

It is :class:`~backtrader_engine.engine.broker.PerpBroker` — the backtest broker, so the
same commission, margin and leverage model (:class:`~..engine.commission.PerpCommInfo`) and
the same order machinery (market, limit, stop, stop-limit, close, cancel, OCO, brackets,
``notify_order``/``notify_trade``) — with what differs in live trading:

* **market orders** (``fill_model="book"``) fill on the bar the strategy acted on, against
  the order book as it stood when that bar closed, walking the levels so slippage grows
  with size (:func:`~.fills.book_fill_price`), at the taker fee. They are screened and
  filled once the strategy's ``next()`` (or ``notify_*``) has returned, not inside
  ``buy()``/``sell()``, so what the strategy adds with ``order.addinfo`` afterwards (its
  ``confidence``) reaches the risk gate, as with the bar model. With ``fill_model="bar"``
  they fill at the next bar's open exactly as in a backtest, which is what a parity check
  with matching fill assumptions uses;
* **limit, stop and stop-limit orders** are checked against each later closed bar, as in
  the backtest: a limit fills at its price (maker fee) when the market trades through it;
* **funding** is charged or paid at each settlement time on the funding schedule, at the
  live ``fundingRate`` published before it and the mark price;
* **liquidation** of an isolated position happens when the **mark price** reaches its
  liquidation price;
* orders placed on warm-up history are **rejected** (reason ``warmup``): history primes
  indicators, it is never traded.

Every decision is a function of the bar contexts the feed delivered (:mod:`.context`), so
replaying the logged contexts reproduces the same orders and fills (see :mod:`.session`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import backtrader as bt

from backtrader_engine.engine.broker import PerpBroker, fills_as_maker
from backtrader_engine.engine.funding import funding_payment
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.fills import book_fill_price
from backtrader_engine.risk import RiskGateMixin
from backtrader_engine.risk.orders import opens_or_increases
from backtrader_engine.risk.reasons import ENTRIES_PAUSED, TRADING_PAUSED

FILL_MODELS = ("book", "bar")
EIGHT_HOURS_MS = 8 * 3_600_000
_MS_PER_DAY = 86_400_000.0
_EPOCH_NUM = 719163.0  # backtrader's date number of 1970-01-01


def ms_to_num(ms: int) -> float:
    """Epoch milliseconds as a backtrader date number."""
    return _EPOCH_NUM + ms / _MS_PER_DAY


class BrokerRecorder(Protocol):
    """Where the paper broker reports its state changes (the session writes the ledger)."""

    def on_order(self, order: bt.Order, seq: int, bar: int, ts: int) -> None: ...

    def on_fill(self, order: bt.Order, seq: int, fill_seq: int, bar: int, ts: int,
                bit: Any, maker: bool) -> None: ...

    def on_funding(self, funding_time: int, rate: float, mark: float, position: float,
                   payment: float) -> None: ...

    def on_bar(self, broker: PaperBroker, bar: int, ts: int) -> None: ...


#: What BackBroker._get_value caches; saved and restored by PaperBroker.value_now.
_VALUE_CACHE = ("_value", "_fundval", "_valuemkt", "_valuelever", "_valuemktlever",
                "_leverage", "_unrealized")


class PaperBroker(RiskGateMixin, PerpBroker):
    """PerpBroker driven by live bar contexts, optionally behind the risk gate.

    Attach the gate with :meth:`attach_risk_hook` (see :mod:`backtrader_engine.risk`): entry
    orders are then screened where margin is checked, before anything can fill.

    Parameters
    ----------
    fill_model : str
        ``"book"`` (market orders against the visible book) or ``"bar"`` (next bar's open,
        as in a backtest).
    extra_slippage_bps : float
        Added to every market-order fill, on top of the book walk.
    funding_interval_ms : int
        Spacing of funding settlements (Bybit: 8 h for most linear perpetuals).
    recorder : BrokerRecorder or None
        Receives orders, fills, funding and per-bar account states.
    """

    params = (
        ("fill_model", "book"),
        ("extra_slippage_bps", 0.0),
        ("funding_interval_ms", EIGHT_HOURS_MS),
        ("recorder", None),
        ("funding", None),  # funding comes from the live contexts, not a schedule
        # The backtest's per-bar value/cash/size lists feed its report; a session stores
        # those in the ledger, and the lists would only grow for as long as it runs.
        ("record", False),
    )

    def __init__(self) -> None:
        super().__init__()
        if self.p.fill_model not in FILL_MODELS:
            raise ValueError(f"fill_model {self.p.fill_model!r}; expected one of "
                             f"{', '.join(FILL_MODELS)}")
        self.order_seq: dict[int, int] = {}  # order.ref -> per-account sequence number
        self._fills_seen: dict[int, int] = {}
        self._next_seq = 0
        self._last_bar = 0
        self._prev_context: BarContext | None = None
        #: Set by the session when the operator pauses new entries. With a risk gate the
        #: gate refuses them (and counts the signals); without one the broker does.
        self.entries_paused = False
        #: Set by the session while the operator pauses trading: every order is refused
        #: (entries and exits alike), except the operator's own force exit.
        self.trading_paused = False
        #: True while the operator's force exit places its orders (they pass a pause).
        self.operator_exit = False
        #: Value after the fills of the step in progress (refreshed whenever the broker is
        #: stepped with settled lines); what the ledger and the portfolio figures report.
        self.current_value = float(self.p.cash)
        #: Operator actions for the cerebro thread, run once the lines are settled.
        self.deferred: list[Callable[[], None]] = []
        #: A market order was transmitted with ``fill_model="book"`` and waits for its book
        #: fill, which :meth:`next` makes once the strategy's callback has returned (the live
        #: feed hands control back to cerebro while this is set; see :meth:`has_work`).
        self.book_due = False
        # Per data: its context and bar count when the due orders were submitted, so a
        # fill made only once a new bar has arrived still uses the signal bar's book.
        self._due_steps: dict[Any, tuple[BarContext | None, int]] = {}
        self._filling: dict[Any, tuple[BarContext | None, int]] | None = None

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def context(data: Any) -> BarContext | None:
        """The context of *data*'s latest bar (set by the live feed)."""
        return getattr(data, "context", None)

    def _step(self, data: Any) -> tuple[BarContext | None, int]:
        """The context and bar count of *data* for what the broker does now: those of the
        submission while due book fills are made, else the latest."""
        if self._filling is not None:
            step = self._filling.get(data)
            if step is not None:
                return step
        return self.context(data), len(data)

    def _ts(self, data: Any) -> int:
        ctx = self.context(data)
        return ctx.close_time if ctx is not None else 0

    def has_work(self) -> bool:
        """Whether the broker must run again before the next bar: notifications the strategy
        has not seen yet, or a book fill due (the live feed's ``idle_check``)."""
        return bool(self.notifs) or self.book_due

    # --- submission ---------------------------------------------------------------------------
    def submit(self, order: bt.Order, check: bool = True) -> bt.Order:
        self.order_seq[order.ref] = self._next_seq
        self._next_seq += 1
        ctx = self.context(order.data)
        if ctx is not None and not ctx.tradable:
            order.addinfo(reject_reason="warmup",
                          reject_message="orders on warm-up history are never executed")
            order.reject(self)
            self.notify(order)
            return order
        if self.trading_paused and not self.operator_exit:
            order.addinfo(reject_reason=TRADING_PAUSED,
                          reject_message="trading is paused by the operator; open positions "
                                         "stay until /start or a force exit")
            order.reject(self)
            self.notify(order)
            return order
        if self.entries_paused and self.risk_hook is None and opens_or_increases(
                self.getposition(order.data).size, order.size):
            order.addinfo(reject_reason=ENTRIES_PAUSED,
                          reject_message="new entries are paused by the operator")
            order.reject(self)
            self.notify(order)
            return order
        result = super().submit(order, check)
        if self.p.fill_model == "book" and order.transmit:
            # Not filled here: the strategy is still inside buy()/sell() and may complete
            # order.info after it returns. next() makes the fill once its callback is done.
            self.book_due = True
            self._due_steps.setdefault(order.data, (ctx, len(order.data)))
        return result

    def fill_due(self) -> None:
        """Make the book fills due now, within the bar the broker last stepped (called once
        the strategy's callback has returned; see :mod:`.fill_hook`)."""
        if self.book_due and len(self._clock_line) == self._last_bar:
            self._fill_market_now()

    def _fill_market_now(self) -> None:
        """Accept what was transmitted (risk gate, lot rules, margin) and fill market orders
        against the book of the bar they were placed on."""
        self.book_due = False
        self._filling, self._due_steps = self._due_steps, {}
        try:
            self.check_submitted()
            for order in [o for o in self.pending if o is not None]:
                if order.exectype != bt.Order.Market or not order.active():
                    continue
                # Out of the pending queue while it executes, as in BackBroker.next: the OCO
                # check cancels every pending member of the order's group.
                self.pending.remove(order)
                self._try_exec_market(order, None, None, None)
                if order.alive():
                    self.pending.append(order)
                elif order.status == bt.Order.Completed:
                    self._bracketize(order)
        finally:
            self._filling = None

    def _try_exec_market(self, order: bt.Order, popen: Any, phigh: Any, plow: Any) -> None:
        ctx = self._step(order.data)[0]
        if self.p.fill_model == "book" and ctx is not None:
            price = book_fill_price(order.isbuy(), abs(order.executed.remsize), ctx.bids,
                                    ctx.asks, extra_slippage_bps=self.p.extra_slippage_bps)
            if price is not None:
                self._execute(order, ago=0, price=price, dtcoc=ms_to_num(ctx.close_time))
                return
        if popen is None:
            return  # no book yet: the next bar's open fills it
        super()._try_exec_market(order, popen, phigh, plow)

    # --- the bar step -----------------------------------------------------------------------
    def next(self) -> None:
        clock = self._clock_line
        bar = len(clock)
        if self.book_due and bar != self._last_bar:
            # A new bar arrived before the broker ran again (a feed that does not hand control
            # back while a fill is due): the orders belong to the previous bar, fill them first.
            self._fill_market_now()
        while self.deferred:
            self.deferred.pop(0)()
        if bar == self._last_bar:
            # Called again within a bar (a live loop idling, once the strategy's callback has
            # returned): make the book fills due, then activate bracket children.
            if self.book_due:
                self._fill_market_now()
            while self._toactivate:
                self._toactivate.popleft().activate()
            self.current_value = self.value_now()
            return
        self._last_bar = bar
        self._settle_live_funding()
        observe = getattr(self.risk_hook, "observe_context", None)
        if observe is not None:
            observe(self.context(self.cerebro.datas[0]))
        super().next()
        self.current_value = self._value
        recorder = self.p.recorder
        if recorder is not None:
            recorder.on_bar(self, bar, self._ts(self.cerebro.datas[0]))

    def setcash(self, cash: float) -> None:
        super().setcash(cash)
        self.current_value = float(cash)

    def value_now(self) -> float:
        """Value at the latest close with this bar's fills, leaving backtrader's per-bar
        value untouched, so ``getvalue()`` answers a strategy as it would in a backtest."""
        if self._cash_addition:
            return self._value
        saved = [getattr(self, name) for name in _VALUE_CACHE]
        try:
            return self._get_value()
        finally:
            for name, value in zip(_VALUE_CACHE, saved, strict=True):
                setattr(self, name, value)

    def _settle_live_funding(self) -> None:
        data = self.cerebro.datas[0]
        ctx, prev = self.context(data), self._prev_context
        self._prev_context = ctx
        if ctx is None or prev is None or not ctx.tradable:
            return
        step = int(self.p.funding_interval_ms)
        first = (prev.close_time // step + 1) * step
        for funding_time in range(first, ctx.close_time + 1, step):
            rate = prev.funding_rate
            if rate is None:
                continue  # no ticker seen yet: nothing known to charge
            for pdata, position in self.positions.items():
                if not position.size:
                    continue
                pctx = self.context(pdata) or ctx
                mark = pctx.mark_price or pctx.close
                payment = funding_payment(position.size, mark, rate)
                self.cash -= payment
                self.funding_paid += payment
                self.ledger.on_funding(pdata, payment)
                if self.p.recorder is not None:
                    self.p.recorder.on_funding(funding_time, rate, mark, position.size,
                                               payment)

    def _liquidation_reached(self, data: Any, size: float, price: float) -> bool:
        ctx = self.context(data)
        if ctx is None:
            return False
        mark = ctx.mark_price or ctx.close
        return (size > 0 and mark <= price) or (size < 0 and mark >= price)

    # --- recording ----------------------------------------------------------------------------
    def _seq_of(self, order: bt.Order) -> int | None:
        seq = self.order_seq.get(order.ref)
        if seq is None and order.info.get("liquidation", False):
            # Liquidation orders are made by the broker itself, not submitted.
            seq = self.order_seq[order.ref] = self._next_seq
            self._next_seq += 1
        return seq

    def notify(self, order: bt.Order) -> None:
        super().notify(order)
        recorder = self.p.recorder
        seq = self._seq_of(order)
        if recorder is not None and seq is not None:
            ctx, bar = self._step(order.data)
            recorder.on_order(order, seq, bar, ctx.close_time if ctx is not None else 0)

    def _record_fill(self, order: bt.Order, bit: Any) -> None:
        super()._record_fill(order, bit)
        recorder = self.p.recorder
        seq = self._seq_of(order)
        fill_seq = self._fills_seen.get(order.ref, 0)
        self._fills_seen[order.ref] = fill_seq + 1
        if recorder is not None and seq is not None:
            ctx, bar = self._step(order.data)
            recorder.on_fill(order, seq, fill_seq, bar, ctx.close_time if ctx is not None else 0,
                             bit, fills_as_maker(order, bit.price))
