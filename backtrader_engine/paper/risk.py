"""The risk gate across sub-accounts: one gate, portfolio equity, live spreads.

All sub-accounts share one :class:`~backtrader_engine.risk.RiskGate`, so its overall limits
(signals per hour, open positions) and its drawdown and daily-loss stops apply to the whole
paper portfolio. Each sub-account's hook therefore reports the **portfolio's** equity (the
sum of every sub-account's value), not its own, and the spread of the live order book at
each bar close feeds the spread breaker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import backtrader as bt

from backtrader_engine.paper.context import BarContext
from backtrader_engine.risk import BrokerRiskHook, RiskGate


class _Portfolio:
    """What the hook needs of a broker for equity: ``getvalue`` of the whole portfolio."""

    def __init__(self, value: Callable[[], float]) -> None:
        self.getvalue = value


class SubAccountRiskHook(BrokerRiskHook):
    """:class:`BrokerRiskHook` of one sub-account of a shared gate.

    Parameters
    ----------
    gate : RiskGate
        The session's gate.
    portfolio_value : callable
        Current value of every sub-account together.
    """

    def __init__(self, gate: RiskGate, portfolio_value: Callable[[], float]) -> None:
        super().__init__(gate)
        self._portfolio = _Portfolio(portfolio_value)

    def on_bar(self, broker: bt.BrokerBase, datas: Iterable[bt.AbstractDataBase]) -> None:
        super().on_bar(self._portfolio, datas)  # type: ignore[arg-type]

    def observe_context(self, ctx: BarContext | None) -> None:
        """Feed the bid-ask spread of *ctx*'s book, as a percent of the mid price."""
        if ctx is None or not ctx.bids or not ctx.asks:
            return
        bid, ask = ctx.bids[0][0], ctx.asks[0][0]
        mid = (bid + ask) / 2.0
        if mid > 0:
            self.gate.observe_spread_pct(ctx.close_time / 1000.0, (ask - bid) / mid * 100.0)
