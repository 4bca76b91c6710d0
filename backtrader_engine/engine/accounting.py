"""Margin accounting for perpetual positions on top of backtrader's ``BackBroker``.

Stock backtrader is the reference: at 1x, with zero slippage and funding, a plain strategy must
see the same fills, values and long-position cash as with ``BackBroker`` and a stock-like
commission. ``BackBroker``'s own futures mode cannot give that: it marks cash to market every
bar, values every position as a positive margin (so ``order_target_*`` sells more while already
short), and checks margin at submission with the order's price instead of the position's entry
price, which counts unrealised profit twice. So the two places where accounting happens are
rewritten here for :class:`~.commission.PerpCommInfo`:

* :meth:`MarginAccounting._execute`: a fill (or the pseudo-fill of a margin check) takes
  ``notional / leverage`` plus the fee from cash for what it opens, long or short, and returns
  the margin locked at the entry price plus the realised profit for what it closes. The order's
  recorded ``executed.value`` is the signed notional, as stock backtrader records it.
* :meth:`MarginAccounting._get_value`: value is cash plus each position's margin and
  unrealised profit; one data's value is its signed notional.

The order handling around them (statuses, notifications, OCO, brackets, partial fills by a
filler) is ``BackBroker``'s, unchanged. Other commission schemes fall back to ``BackBroker``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import backtrader as bt

from backtrader_engine.engine.commission import PerpCommInfo

if TYPE_CHECKING:
    # The type checker sees the broker the mixin is placed before; at run time the mixin stays
    # a plain class, so the broker's MRO is the one written at its definition.
    from backtrader.brokers import BackBroker as _Broker
else:
    _Broker = object


class MarginAccounting(_Broker):
    """Mixin for a ``BackBroker`` subclass: isolated-margin accounting of perpetual positions."""

    # ``BackBroker``'s account figures, which the methods below set.
    cash: float
    _fundshares: float
    _fundval: float
    #: Set by the broker once every commission is known to be a :class:`PerpCommInfo`.
    _plain: bool | None = None

    def _execute(self, order, ago=None, price=None, cash=None, position=None, dtcoc=None):
        comminfo = self.getcommissioninfo(order.data)
        if not isinstance(comminfo, PerpCommInfo):
            return super()._execute(order, ago=ago, price=price, cash=cash,
                                    position=position, dtcoc=dtcoc)
        if ago is not None and price is None:
            return None  # no price, no execution
        return self._execute_margin(order, comminfo, ago, price, cash, position, dtcoc)

    def _execute_margin(self, order: bt.Order, comminfo: PerpCommInfo, ago: Any,
                        price: Any, cash: Any, position: Any, dtcoc: Any) -> Any:
        size = order.executed.remsize
        if self.p.filler is not None and ago is not None:
            size = self.p.filler(order, price, ago)
            size = size if order.isbuy() else -size

        data = order.data
        cinfocomp = comminfo
        if data._compensate is not None:
            data = data._compensate
            cinfocomp = self.getcommissioninfo(data)

        if ago is not None:
            # A real fill at *price*.
            position = self.positions[data]
            entry = position.price
            psize, pprice, opened, closed = position.pseudoupdate(size, price)
            cash = self.cash
        else:
            # A margin check: the fill is assumed at the order's price (the open for a market
            # order under cheat-on-open), against a clone of the position the caller keeps
            # updating through the submitted queue.
            market_coo = self.p.coo and order.exectype == bt.Order.Market
            price = order.data.open[0] if market_coo else order.created.price
            entry = position.price
            psize, pprice, opened, closed = position.update(size, price)
        pnl = comminfo.profitandloss(-closed, entry, price)

        closedvalue = closedcomm = openedvalue = openedcomm = 0.0
        if closed:
            closedvalue = comminfo.getvaluesize(-closed, entry)
            closedcomm = comminfo.getcommission(closed, price)
            # The margin locked at entry comes back with the realised profit.
            cash += comminfo.getoperationcost(closed, entry) + pnl - closedcomm
        popened = opened
        if opened:
            openedcomm = cinfocomp.getcommission(opened, price)
            # Margin is posted for what opens, long or short.
            cost = comminfo.getoperationcost(opened, price) + openedcomm
            if cash - cost < 0.0:
                if ago is None:
                    return cash - cost  # a margin check: refused
                # Not enough free cash at the fill: the opening part cannot execute.
                opened = 0
                openedcomm = 0.0
            else:
                cash -= cost
                openedvalue = comminfo.getvaluesize(opened, price)

        if ago is None:
            return cash  # what a margin check needs: cash left after the pseudo-fill
        self.cash = cash
        self._complete_fill(order, comminfo, data, ago, dtcoc, price, pnl, psize, pprice,
                            (closed, closedvalue, closedcomm), (opened, openedvalue, openedcomm))
        if popened and not opened:
            order.margin()
            self.notify(order)
            self._ococheck(order)
            self._bracketize(order, cancel=True)
        return None

    def _complete_fill(self, order: bt.Order, comminfo: PerpCommInfo, data: Any, ago: int,
                       dtcoc: Any, price: float, pnl: float, psize: float, pprice: float,
                       closing: tuple[float, float, float],
                       opening: tuple[float, float, float]) -> None:
        """Record an executed fill on the position and the order, and notify it."""
        closed, closedvalue, closedcomm = closing
        opened, openedvalue, openedcomm = opening
        execsize = closed + opened
        if not execsize:
            return
        comminfo.confirmexec(execsize, price)
        self.positions[data].update(execsize, price, data.datetime.datetime())
        if closed and self.p.int2pnl:
            closedcomm += self.d_credit.pop(data, 0.0)
        order.execute(dtcoc or data.datetime[ago], execsize, price,
                      closed, closedvalue, closedcomm,
                      opened, openedvalue, openedcomm,
                      comminfo.margin, pnl, psize, pprice)
        order.addcomminfo(comminfo)
        self.notify(order)
        self._ococheck(order)

    def _get_value(self, datas=None, lever=False):
        # The whole account of a broker whose commissions are all known to be perpetual
        # (the per-bar update): no need to check them again, and only open positions are
        # walked.
        plain = datas is None and self._plain
        if not plain and not all(isinstance(self.getcommissioninfo(d), PerpCommInfo)
                                 for d in (datas or self.positions)):
            return super()._get_value(datas=datas, lever=lever)

        while self._cash_addition:
            addition = self._cash_addition.popleft()
            self._fundshares += addition / self._fundval
            self.cash += addition

        notional = 0.0  # signed, what stock-like backtrader calls the positions' value
        equity = 0.0  # margin plus unrealised profit: what the positions add to the account
        unrealized = 0.0
        for data in datas or self.positions:
            position = self.positions[data]
            if plain and not position.size:
                continue  # a flat position adds exactly nothing
            comminfo = self.getcommissioninfo(data)
            dvalue, dequity, dunrealized = comminfo.position_figures(
                position.size, position.price, data.close[0])
            if datas and len(datas) == 1:
                comminfo.valued_flat = not position.size
                return dequity if lever else dvalue
            notional += dvalue
            equity += dequity
            unrealized += dunrealized

        if not self._fundhist:
            self._value = self.cash + equity
            self._fundval = self._value / self._fundshares
        else:
            fval, fvalue = self._process_fund_history()
            self._value = fvalue
            self.cash = fvalue - equity
            self._fundval = fval
            self._fundshares = fvalue / fval
            equity = fvalue

        self._valuemkt = equity
        self._valuelever = self.cash + notional
        self._valuemktlever = notional
        self._leverage = notional / (equity or 1.0)
        self._unrealized = unrealized
        return self._value if not lever else self._valuelever

