"""Book fills the moment the strategy's ``next()`` returns, within the same cerebro step.

The paper broker makes a book fill only once the strategy's callback has returned (so the risk
gate sees what the strategy attached to the order after ``buy()``). Left to cerebro's loop,
that moment comes one loop turn later: the live feed finds the broker busy, returns no bar,
and cerebro runs its notifications and the broker again, about a tenth of a millisecond
between the strategy's order and its fill on a live bar. backtrader calls a strategy's
analyzers right after its ``next()`` (``prenext``, ``nextstart``) returns, so an analyzer placed
first makes the fill there. What the strategy hears and when is unchanged: the order's
notifications still reach it in the following loop turn, before the next bar.
"""

from __future__ import annotations

from backtrader_engine.engine.bars_needed import StartOnly
from backtrader_engine.paper.broker import PaperBroker


class FillOnReturn(StartOnly):
    """Makes the broker's due book fills right after the strategy's bar callback.

    Add it before any other analyzer; it does nothing with ``fill_model="bar"``, and orders
    placed in ``notify_*`` callbacks are still filled by the broker's own loop turn.
    """

    def start(self) -> None:
        broker = self.strategy.broker
        self._broker: PaperBroker | None = broker if isinstance(broker, PaperBroker) else None

    def _fill(self) -> None:
        broker = self._broker
        if broker is not None and broker.book_due:
            broker.fill_due()

    _prenext = _nextstart = _next = _fill
