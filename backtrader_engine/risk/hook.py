"""The glue between a backtrader broker and the :class:`~.gate.RiskGate`.

A broker, backtest or paper, makes three calls (:class:`~.mixin.RiskGateMixin` makes them for
``BackBroker`` subclasses):

``screen(order, broker)``
    before it accepts a submitted order. Exits and linked orders pass untouched; an entry is
    judged by the gate. A refused order is already marked ``Rejected`` with
    ``order.info['reject_reason']``/``['reject_message']``; the broker must then notify it, like
    any rejection, and cancel the orders linked to it.
``on_order_status(order)``
    for every order notification, so passed signals get their final outcome.
``on_bar(broker, datas)``
    once per bar after the bar's fills: each feed's bar and the account equity are observed.

Signals are counted in the :class:`~.journal.SignalJournal` (``journal``) and its
:class:`~.tally.SignalTally` (``tally``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import backtrader as bt

from backtrader_engine.risk.clock import bt_num_to_seconds, to_datetime
from backtrader_engine.risk.gate import RiskGate
from backtrader_engine.risk.journal import (
    BROKER,
    CANCELLED,
    EXECUTED,
    EXPIRED,
    GATE,
    PASSED,
    REJECTED,
    SignalJournal,
    SignalRecord,
)
from backtrader_engine.risk.orders import (
    data_symbol,
    is_certain,
    linked_refs,
    opens_or_increases,
    order_confidence,
    order_strategy,
    order_time,
    outcome_time,
)
from backtrader_engine.risk.reasons import (
    ALLOW,
    BROKER_MARGIN,
    BROKER_REJECTED,
    LINKED_REFUSED,
    Decision,
)
from backtrader_engine.risk.request import SignalRequest
from backtrader_engine.risk.tally import SignalTally

_ALIVE = (bt.Order.Created, bt.Order.Submitted, bt.Order.Accepted, bt.Order.Partial)

# Kinds of screened orders still alive.
_SIGNAL, _EXIT, _LINKED = "signal", "exit", "linked"


class Valued(Protocol):
    """What :meth:`BrokerRiskHook.on_bar` needs of a broker: the account's value."""

    def getvalue(self) -> float: ...


@dataclass
class _Tracked:
    order: bt.Order
    kind: str
    certain: bool
    record: SignalRecord | None = None


class BrokerRiskHook:
    """Screens a broker's orders through a :class:`RiskGate` and journals every signal.

    Parameters
    ----------
    gate : RiskGate
        The rules and their state.
    journal : SignalJournal, optional
        Where records go; a new one when omitted. ``tally`` is subscribed to it either way.

    Notes
    -----
    *Signal* means an order that opens or grows the position of its feed. Whether it does is
    judged against the current position plus the market orders already in flight on that feed
    (a ``close()`` followed by a new entry on the same bar makes the entry a signal). Resting
    entry orders (limits, stops) that passed earlier are not counted for that classification,
    but they are for the exposure limits: the resulting position is the position plus every
    pending passed entry plus this order.
    """

    def __init__(self, gate: RiskGate, journal: SignalJournal | None = None) -> None:
        self.gate = gate
        self.journal = journal if journal is not None else SignalJournal()
        self.tally = SignalTally()
        self.journal.subscribe(self.tally)
        self._tracked: dict[int, _Tracked] = {}
        self._refused: set[int] = set()
        self._bar_times: dict[str, float] = {}

    # -- the three calls a broker makes --------------------------------------------------------
    def screen(self, order: bt.Order, broker: bt.BrokerBase) -> Decision:
        """Judge one submitted order before the broker accepts it.

        Returns the decision; when refused, *order* is already marked ``Rejected`` and carries
        ``info['reject_reason']`` and ``info['reject_message']``.
        """
        tracked = self._tracked.get(order.ref)
        if tracked is not None:
            return ALLOW  # screened already (a broker re-checking a queue)
        links = linked_refs(order, broker)
        if links:
            return self._screen_linked(order, broker, links)
        data = order.data
        projected = broker.getposition(data).size + self._pending(data, certain=True)
        if not opens_or_increases(projected, order.size):
            self._track(order, _EXIT)
            return ALLOW
        request = self._request(order, broker, projected)
        decision = self.gate.evaluate(request)
        record = _gate_record(order, request, decision)
        if decision.allowed:
            self._track(order, _SIGNAL, record)
        else:
            self._refuse(order, broker, decision)
        self.journal.append(record)
        return decision

    def on_order_status(self, order: bt.Order) -> None:
        """Record the final outcome of a passed signal from a broker notification."""
        if order.status in _ALIVE:
            return
        tracked = self._tracked.pop(order.ref, None)
        if tracked is None or tracked.record is None:
            return
        outcome, reason = _final_outcome(order)
        filled = outcome == EXECUTED
        gate_record = tracked.record
        self.journal.append(SignalRecord(
            time=to_datetime(outcome_time(order)),
            strategy=gate_record.strategy,
            symbol=gate_record.symbol,
            side=gate_record.side,
            size=abs(order.executed.size) if filled else gate_record.size,
            price=order.executed.price if filled else gate_record.price,
            confidence=gate_record.confidence,
            outcome=outcome,
            reason=reason,
            message=f"broker status {order.getstatusname()}" if reason else "",
            stage=BROKER,
            signal_id=order.ref,
        ))

    def on_bar(self, broker: Valued, datas: Iterable[bt.AbstractDataBase]) -> None:
        """Observe each feed's newest bar and then the account equity, in market time."""
        latest: float | None = None
        for data in datas:
            if not len(data):
                continue
            when = bt_num_to_seconds(data.datetime[0])
            symbol = data_symbol(data)
            seen = self._bar_times.get(symbol)
            if seen is None or when > seen:
                # A slower feed repeats its last bar until a new one closes; observe it once.
                self._bar_times[symbol] = when
                self.gate.observe_bar(symbol, when, data.high[0], data.low[0], data.close[0])
            if latest is None or when > latest:
                latest = when
        if latest is not None:
            self.gate.observe_equity(latest, broker.getvalue())

    # -- reports --------------------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        """Counts, rejection reasons, breaker and daily-stop state, and the limits used."""
        daily = self.gate.daily
        return {
            "signals": self.tally.as_dict(),
            "breakers": {name: state.as_dict()
                         for name, state in self.gate.breaker_states().items()},
            "daily_loss_halts": daily.halts,
            "config": self.gate.config.model_dump(),
        }

    # -- internals ------------------------------------------------------------------------------
    def _screen_linked(self, order: bt.Order, broker: bt.BrokerBase,
                       links: tuple[int, ...]) -> Decision:
        if any(ref in self._refused for ref in links):
            decision = Decision.refuse(LINKED_REFUSED, f"order {links[0]} it belongs to was "
                                                       "refused by the risk gate")
            self._refuse(order, broker, decision)
            return decision
        self._track(order, _LINKED)
        return ALLOW

    def _track(self, order: bt.Order, kind: str, record: SignalRecord | None = None) -> None:
        self._tracked[order.ref] = _Tracked(order, kind, is_certain(order), record)

    def _refuse(self, order: bt.Order, broker: bt.BrokerBase, decision: Decision) -> None:
        order.addinfo(reject_reason=decision.reason, reject_message=decision.message)
        order.reject(broker)
        self._refused.add(order.ref)

    def _pending(self, data: bt.AbstractDataBase, *, certain: bool) -> float:
        """Signed remaining size of in-flight orders on *data*.

        ``certain=True``: market/close orders of any kind (they fill next). ``certain=False``:
        resting entries that passed the gate (they may still grow the position).
        """
        total = 0.0
        for tracked in self._tracked.values():
            if tracked.order.data is not data or tracked.kind == _LINKED:
                continue
            if certain and tracked.certain:
                total += tracked.order.executed.remsize
            elif not certain and not tracked.certain and tracked.kind == _SIGNAL:
                total += tracked.order.executed.remsize
        return total

    def _exposed(self, broker: bt.BrokerBase) -> set[bt.AbstractDataBase]:
        """Feeds with a position (after in-flight market orders) or a pending entry."""
        datas = set(getattr(broker, "positions", {}).keys())
        datas.update(t.order.data for t in self._tracked.values())
        exposed = set()
        for data in datas:
            size = broker.getposition(data).size + self._pending(data, certain=True)
            if size != 0.0 or self._pending(data, certain=False) != 0.0:
                exposed.add(data)
        return exposed

    def _request(self, order: bt.Order, broker: bt.BrokerBase,
                 projected: float) -> SignalRequest:
        data = order.data
        exposed = self._exposed(broker)
        return SignalRequest(
            time=order_time(order),
            strategy=order_strategy(order),
            symbol=data_symbol(data),
            size=order.size,
            price=order.created.pclose,
            confidence=order_confidence(order),
            resulting_size=projected + self._pending(data, certain=False) + order.size,
            open_positions=len(exposed),
            symbol_is_open=data in exposed,
        )


def _gate_record(order: bt.Order, request: SignalRequest, decision: Decision) -> SignalRecord:
    return SignalRecord(
        time=to_datetime(request.time),
        strategy=request.strategy,
        symbol=request.symbol,
        side=request.side,
        size=abs(request.size),
        price=request.price,
        confidence=request.confidence,
        outcome=PASSED if decision.allowed else REJECTED,
        reason=decision.reason,
        message=decision.message,
        stage=GATE,
        signal_id=order.ref,
    )


def _final_outcome(order: bt.Order) -> tuple[str, str | None]:
    status = order.status
    if status == bt.Order.Completed or order.executed.size:
        return EXECUTED, None  # a partial fill that was then cancelled still traded
    if status == bt.Order.Margin:
        return REJECTED, BROKER_MARGIN
    if status == bt.Order.Rejected:
        # A broker that says why (e.g. the venue's minimum quantity) is taken at its word.
        return REJECTED, order.info.get("reject_reason") or BROKER_REJECTED
    if status == bt.Order.Expired:
        return EXPIRED, None
    return CANCELLED, None
