"""Reading backtrader orders the way the gate needs them: who, what, when, how confident.

Kept apart from the rules so the gate itself never imports backtrader, and so the paper broker
can reuse exactly the same interpretation of an order.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable

import backtrader as bt

from backtrader_engine.risk.clock import bt_num_to_seconds

#: Execution types that fill at the next price for certain; they count as already "in flight"
#: when judging whether a later order reduces or grows the position.
_CERTAIN_EXECTYPES = (bt.Order.Market, bt.Order.Close)


def order_confidence(order: bt.Order) -> float:
    """The strategy's confidence from ``order.info['confidence']``; 1.0 when absent.

    backtrader stores extra keyword arguments of ``buy``/``sell`` in ``order.info`` (so
    ``self.buy(confidence=0.7)`` works), as does ``order.addinfo(confidence=0.7)``. Orders of
    plain strategies carry none and must pass, hence 1.0. ``order.info`` is an
    ``AutoOrderedDict``: merely reading ``order.info.confidence`` inserts an empty one, which is
    treated as absent. Anything not a finite number counts as 0 (it cannot be trusted).
    """
    value = order.info.get("confidence")
    if value is None or (isinstance(value, dict) and not value):
        return 1.0
    try:
        confidence = float(value)
    except (TypeError, ValueError):
        return 0.0
    return confidence if math.isfinite(confidence) else 0.0


def order_strategy(order: bt.Order) -> str:
    """``order.info['strategy']`` if the strategy named itself, else its class name."""
    named = order.info.get("strategy")
    if isinstance(named, str) and named:
        return named
    owner = order.owner
    return type(owner).__name__ if owner is not None else "unknown"


def data_symbol(data: bt.AbstractDataBase) -> str:
    """Symbol of a feed: its name, or ``data<N>`` for an unnamed feed."""
    return getattr(data, "_name", "") or f"data{getattr(data, '_id', 0)}"


def order_time(order: bt.Order) -> float:
    """Market time of the decision: the bar of the order's data when the order was created."""
    return bt_num_to_seconds(order.created.dt)


def outcome_time(order: bt.Order) -> float:
    """Market time of a fill, cancellation or rejection (the broker's bar at that moment)."""
    dt = order.executed.dt or order.data.datetime[0]
    return bt_num_to_seconds(dt)


def linked_refs(order: bt.Order, broker: bt.BrokerBase | None = None) -> tuple[int, ...]:
    """Refs of the orders *order* depends on: its bracket parent and its OCO group's leader.

    A bracket child only ever closes its parent's position, and an OCO member is one
    alternative of a group whose leader already carried the decision; both are never gated.
    ``BackBroker`` keeps OCO groups in its ``_ocos`` map (``buy(oco=...)`` does not store the
    link on the order), so that map is consulted when the broker has one.
    """
    refs: list[int] = []
    parent = order.parent
    if parent is not None:
        refs.append(parent.ref)
    oco = order.p.oco
    while oco is not None and oco.ref not in refs:
        refs.append(oco.ref)
        oco = oco.p.oco
    groups = getattr(broker, "_ocos", None)
    if isinstance(groups, dict):
        leader = groups.get(order.ref, order.ref)
        if leader != order.ref and leader not in refs:
            refs.append(leader)
    return tuple(refs)


def is_certain(order: bt.Order) -> bool:
    """Whether the order fills at the next price for certain (market or close order)."""
    return order.exectype in _CERTAIN_EXECTYPES


def opens_or_increases(position: float, size: float) -> bool:
    """Whether an order of signed *size* opens or grows a position of signed *position*.

    A reversal (selling more than a long position holds) opens the opposite position, so it is
    a signal too; only an order that stays within the position it reduces is an exit.
    """
    if size == 0.0:
        return False
    if position == 0.0 or (position > 0.0) == (size > 0.0):
        return True
    return abs(size) > abs(position)


def screen_submitted(broker: bt.brokers.BackBroker, accept: Callable[[bt.Order], bool]) -> None:
    """Keep the broker's submitted orders that *accept* passes; refuse the others.

    *accept* marks an order it refuses ``Rejected``. A refused order then takes the steps
    ``BackBroker`` takes for a Margin rejection: it is notified, and its OCO group and bracket
    are cancelled; cash and positions are never touched.
    """
    if not broker.submitted:
        return
    queue, broker.submitted = broker.submitted, collections.deque()
    for order in queue:
        if accept(order):
            broker.submitted.append(order)
            continue
        broker.notify(order)
        broker._ococheck(order)
        broker._bracketize(order, cancel=True)
