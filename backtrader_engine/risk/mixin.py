"""Risk gating for any ``BackBroker`` subclass, as a mixin placed before the broker class.

``class GatedPerpBroker(RiskGateMixin, PerpBroker)`` screens every submitted order where
``BackBroker`` itself checks margin (``check_submitted``, at the start of the next bar, before
anything can fill). A refused order takes the exact path of a Margin rejection: it is marked
``Rejected``, notified (so the strategy's ``notify_order`` sees it like any broker rejection),
its OCO group and bracket are cancelled, and cash and positions are never touched. Screening
then rather than inside ``buy()`` also lets a strategy attach ``order.addinfo(confidence=...)``
after ``self.buy()`` returns.

A broker that is not a ``BackBroker`` makes the three :class:`~.hook.BrokerRiskHook` calls itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import backtrader as bt

from backtrader_engine.risk.hook import BrokerRiskHook
from backtrader_engine.risk.orders import screen_submitted

if TYPE_CHECKING:
    # The type checker sees the broker the mixin is placed before; at run time the mixin stays
    # a plain class, so the brokers' MRO is the one written at their definition.
    from backtrader.brokers import BackBroker as _Broker
else:
    _Broker = object


class RiskGateMixin(_Broker):
    """Adds :class:`BrokerRiskHook` calls to a ``bt.brokers.BackBroker`` subclass.

    The hook is attached after construction with :meth:`attach_risk_hook`; without one the
    broker behaves exactly like its base class.
    """

    risk_hook: BrokerRiskHook | None = None

    def attach_risk_hook(self, hook: BrokerRiskHook) -> None:
        """Screen orders through *hook* from now on.

        ``checksubmit`` is switched on: without it ``BackBroker`` accepts orders inside
        ``buy()``/``sell()``, before any gate could see them.
        """
        self.risk_hook = hook
        self.p.checksubmit = True

    def check_submitted(self) -> None:
        hook = self.risk_hook
        if hook is not None:
            screen_submitted(self, lambda order: hook.screen(order, self).allowed)
        super().check_submitted()

    def notify(self, order: bt.Order) -> None:
        super().notify(order)
        if self.risk_hook is not None:
            self.risk_hook.on_order_status(order)

    def next(self) -> None:
        super().next()
        if self.risk_hook is not None:
            self.risk_hook.on_bar(self, self.cerebro.datas)
