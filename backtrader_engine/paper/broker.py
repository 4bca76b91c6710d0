"""The paper broker: a backtrader broker that fills against live market context.

It is :class:`~backtrader_engine.engine.broker.PerpBroker` — the backtest broker, so the
same commission, margin and leverage model (:class:`~..engine.commission.PerpCommInfo`) and
the same order machinery (market, limit, stop, stop-limit, close, cancel, OCO, brackets,
``notify_order``/``notify_trade``) — with what differs in live trading:

* **market orders** (``fill_model="book"``) fill the moment they are submitted, against
  the order book as it stood when the bar the strategy acted on closed, walking the levels
  so slippage grows with size (:func:`~.fills.book_fill_price`), at the taker fee. With
  ``fill_model="bar"`` they fill at the next bar's open exactly as in a backtest, which
  is what a parity check with matching fill assumptions uses;
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
from backtrader_engine.risk.reasons import ENTRIES_PAUSED

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
        #: Operator actions for the cerebro thread, run once the lines are settled.
        self.deferred: list[Callable[[], None]] = []

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def context(data: Any) -> BarContext | None:
        """The context of *data*'s latest bar (set by the live feed)."""
        return getattr(data, "context", None)

    def _ts(self, data: Any) -> int:
        ctx = self.context(data)
        return ctx.close_time if ctx is not None else 0

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
        if self.entries_paused and self.risk_hook is None and opens_or_increases(
                self.getposition(order.data).size, order.size):
            order.addinfo(reject_reason=ENTRIES_PAUSED,
                          reject_message="new entries are paused by the operator")
            order.reject(self)
            self.notify(order)
            return order
        result = super().submit(order, check)
        if self.p.fill_model == "book" and order.transmit:
            self._fill_market_now()
        return result

    def _fill_market_now(self) -> None:
        """Accept what was just transmitted and fill market orders against the book."""
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

    def _try_exec_market(self, order: bt.Order, popen: Any, phigh: Any, plow: Any) -> None:
        ctx = self.context(order.data)
        price = None
        if self.p.fill_model == "book" and ctx is not None:
            price = book_fill_price(order.isbuy(), abs(order.executed.remsize), ctx.bids,
                                    ctx.asks, extra_slippage_bps=self.p.extra_slippage_bps)
        if price is None:
            if popen is None:
                return  # no book yet: the next bar's open fills it
            super()._try_exec_market(order, popen, phigh, plow)
            return
        self._execute(order, ago=0, price=price, dtcoc=ms_to_num(ctx.close_time))

    # --- the bar step -----------------------------------------------------------------------
    def next(self) -> None:
        while self.deferred:
            self.deferred.pop(0)()
        clock = self._clock_line
        bar = len(clock)
        if bar == self._last_bar:
            # Called again within a bar (a live loop idling): only activate bracket children.
            while self._toactivate:
                self._toactivate.popleft().activate()
            return
        self._last_bar = bar
        self._settle_live_funding()
        observe = getattr(self.risk_hook, "observe_context", None)
        if observe is not None:
            observe(self.context(self.cerebro.datas[0]))
        super().next()
        recorder = self.p.recorder
        if recorder is not None:
            recorder.on_bar(self, bar, self._ts(self.cerebro.datas[0]))

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
            recorder.on_order(order, seq, len(order.data), self._ts(order.data))

    def _record_fill(self, order: bt.Order, bit: Any) -> None:
        super()._record_fill(order, bit)
        recorder = self.p.recorder
        seq = self._seq_of(order)
        fill_seq = self._fills_seen.get(order.ref, 0)
        self._fills_seen[order.ref] = fill_seq + 1
        if recorder is not None and seq is not None:
            recorder.on_fill(order, seq, fill_seq, len(order.data), self._ts(order.data), bit,
                             fills_as_maker(order, bit.price))
