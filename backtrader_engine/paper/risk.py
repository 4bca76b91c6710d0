"""The risk gate across sub-accounts: one gate, portfolio equity, live spreads.

All sub-accounts share one :class:`~backtrader_engine.risk.RiskGate`, so its overall limits
(signals per hour, open positions) and its drawdown and daily-loss stops apply to the whole
paper portfolio. Each sub-account's hook therefore reports the **portfolio's** equity (the
sum of every sub-account's value), not its own, and the spread of the live order book at
each bar close feeds the spread breaker; the ping round trip and the stream errors logged
with each bar feed the latency and error-rate breakers.
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


class StreamHealth:
    """Makes each bar's latency and error counts reach the shared gate once.

    Several sub-accounts trade each stream and all see its bars; shared by every hook of a
    session, this lets the first that looks at a bar report its connection health.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def first_look(self, ctx: BarContext) -> bool:
        """True the first time any hook looks at *ctx* (by stream and bar start)."""
        key = (ctx.symbol, ctx.interval)
        if self._seen.get(key, -1) >= ctx.start:
            return False
        self._seen[key] = ctx.start
        return True


class SubAccountRiskHook(BrokerRiskHook):
    """:class:`BrokerRiskHook` of one sub-account of a shared gate.

    Parameters
    ----------
    gate : RiskGate
        The session's gate.
    portfolio_value : callable
        Current value of every sub-account together.
    """

    def __init__(self, gate: RiskGate, portfolio_value: Callable[[], float],
                 health: StreamHealth | None = None) -> None:
        super().__init__(gate)
        self._portfolio = _Portfolio(portfolio_value)
        self.health = health if health is not None else StreamHealth()

    def on_bar(self, broker: bt.BrokerBase, datas: Iterable[bt.AbstractDataBase]) -> None:
        super().on_bar(self._portfolio, datas)

    def observe_context(self, ctx: BarContext | None) -> None:
        """Feed *ctx*'s spread (percent of mid), connection latency and stream errors."""
        if ctx is None:
            return
        when = ctx.close_time / 1000.0
        if self.health.first_look(ctx):  # once per bar, whichever sub-account sees it first
            if ctx.latency_ms is not None:
                self.gate.observe_latency_ms(when, ctx.latency_ms)
            for _ in range(ctx.errors):
                self.gate.observe_error(when)
        if not ctx.bids or not ctx.asks:
            return
        bid, ask = ctx.bids[0][0], ctx.asks[0][0]
        mid = (bid + ask) / 2.0
        if mid > 0:
            self.gate.observe_spread_pct(when, (ask - bid) / mid * 100.0)
