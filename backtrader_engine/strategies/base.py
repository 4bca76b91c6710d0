"""Risk-managed base class shared by the built-in strategies.

A subclass only says *when* to trade (:meth:`RiskManagedStrategy.entry_signal`, optionally
:meth:`RiskManagedStrategy.exit_signal`); the base decides *how much* and *how to get out*:

* size by risk: the loss at the protective stop is at most ``risk_per_trade`` of equity, capped so
  the margin plus commission fits in ``max_leverage_use`` of the available cash;
* one position at a time;
* on the entry fill, a protective stop at ``stop_atr_mult`` ATRs and an optional take-profit at
  ``take_profit_atr_mult`` ATRs, linked as an OCO pair and cancelled on a signal exit;
* optional trend confirmation from higher-timeframe feeds in ``self.datas[1:]``;
* every entry order carries ``order.info.confidence`` (0..1) and ``order.info.strategy``.

Only backtrader's public API is used, so the same class runs in a backtest, an optimisation
study and a live paper broker (bars arriving one by one, preload and runonce off).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import backtrader as bt

from backtrader_engine.errors import StrategyError

#: Version of the contract between strategies and the engine: the ``entry_signal`` /
#: ``exit_signal`` hooks and the ``confidence``/``strategy`` keys of ``order.info``.
INTERFACE_VERSION = 1

_LOG = logging.getLogger("backtrader_engine.strategies")


def clip01(value: float) -> float:
    """Clip *value* to ``[0, 1]``; NaN (e.g. an indicator dividing by zero) becomes 0."""
    if not value > 0.0:  # also catches NaN
        return 0.0
    return 1.0 if value > 1.0 else float(value)


def safe_div(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is not positive (flat market)."""
    return numerator / denominator if denominator > 0.0 else 0.0


# Search-space entries for the shared risk parameters, so the built-ins vary them the same way.
RISK_SPACE: dict[str, dict[str, object]] = {
    "atr_period": {"type": "int", "low": 7, "high": 28},
    "stop_atr_mult": {"type": "float", "low": 1.0, "high": 4.0, "step": 0.25},
    "take_profit_atr_mult": {"type": "float", "low": 0.0, "high": 8.0, "step": 0.5},
    "use_confirmation": {"type": "categorical", "choices": [True, False]},
}


def risk_space(*names: str) -> dict[str, dict[str, object]]:
    """Copies of the :data:`RISK_SPACE` entries for *names* (all of them when none are given)."""
    return {name: dict(RISK_SPACE[name]) for name in (names or RISK_SPACE)}


class RiskManagedStrategy(bt.Strategy):
    """Base class: risk-based sizing, protective stop/take-profit, optional confirmation.

    Subclasses implement :meth:`entry_signal` and may implement :meth:`exit_signal`.

    Parameters
    ----------
    atr_period : int
        ATR length used for the stop distance and for sizing.
    stop_atr_mult : float
        Protective stop distance from the entry fill, in ATRs.
    take_profit_atr_mult : float
        Take-profit distance from the entry fill, in ATRs; ``0`` disables the take-profit.
    risk_per_trade : float
        Fraction of equity lost if the stop is hit (0.01 = 1%), before gaps and commission.
    max_leverage_use : float
        Fraction of the available cash the position's margin plus commission may use.
    allow_short : bool
        Whether short entries are taken.
    use_confirmation : bool
        Only trade with the trend of the extra feeds (``close`` vs its EMA); has no effect when
        the strategy runs on a single feed.
    confirm_ema_period : int
        EMA length applied to each confirmation feed.
    verbose : bool
        Log order problems and trade events to the ``backtrader_engine.strategies`` logger.
    """

    # Typed as any (name, default) pairs: each strategy declares its own.
    params: tuple[tuple[str, Any], ...] = (
        ("atr_period", 14),
        ("stop_atr_mult", 2.0),
        ("take_profit_atr_mult", 3.0),
        ("risk_per_trade", 0.01),
        ("max_leverage_use", 0.95),
        ("allow_short", True),
        ("use_confirmation", True),
        ("confirm_ema_period", 20),
        ("verbose", False),
    )

    def __init__(self) -> None:
        self._check_base_params()
        self.atr = bt.ind.ATR(self.data, period=self.p.atr_period)
        # (close line, EMA line) per confirmation feed. Built only when used, so a strategy on a
        # single feed, or with confirmation off, pays nothing for it.
        self._confirm: list[tuple[bt.LineBuffer, bt.Indicator]] = []
        if self.p.use_confirmation:
            for feed in self.datas[1:]:
                ema = bt.ind.EMA(feed.close, period=self.p.confirm_ema_period)
                self._confirm.append((feed.close, ema))
        self._entry_order: bt.Order | None = None
        self._exit_order: bt.Order | None = None
        # Protective orders (stop, optional take-profit) until the broker reports them done.
        self._legs: list[bt.Order] = []
        self._cancel_requested = False
        self._close_requested = False
        self._signal_atr = math.nan
        self._stop_price = math.nan
        self._tp_price: float | None = None
        self._entry_bar = 0

    # ------------------------------------------------------------------ hooks for subclasses

    def entry_signal(self) -> tuple[int, float] | None:
        """Decide whether to open a position on the current bar (called only while flat).

        Returns
        -------
        tuple[int, float] or None
            ``(direction, confidence)`` with direction ``+1`` (long) or ``-1`` (short) and
            confidence in ``[0, 1]`` (values outside are clipped), or ``None`` for no trade.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement entry_signal()")

    def exit_signal(self, direction: int) -> bool:
        """Decide whether to close the open position at market on the next bar.

        Parameters
        ----------
        direction : int
            ``+1`` for the open long position, ``-1`` for a short one.

        Returns
        -------
        bool
            ``True`` to exit now. The default never exits by signal, leaving the position to
            the protective stop and take-profit.
        """
        return False

    # ------------------------------------------------------------------ tools for subclasses

    @property
    def bars_in_trade(self) -> int:
        """Bars since the current position's entry fill (0 when flat)."""
        return len(self) - self._entry_bar if self.position.size else 0

    def confirmation_ok(self, direction: int) -> bool:
        """Whether every confirmation feed agrees with *direction* (always True without them)."""
        for close, ema in self._confirm:
            if direction > 0 and not close[0] > ema[0]:
                return False
            if direction < 0 and not close[0] < ema[0]:
                return False
        return True

    def risk_size(self, price: float, atr: float) -> float:
        """Position size for an entry at *price* with the stop ``stop_atr_mult * atr`` away.

        Parameters
        ----------
        price : float
            Expected entry price (the signal bar's close; the fill comes on the next bar).
        atr : float
            Current ATR value.

        Returns
        -------
        float
            Units to trade; ``0.0`` when no position should be opened.
        """
        equity = self.broker.getvalue()
        stop_distance = atr * self.p.stop_atr_mult
        if not (equity > 0.0 and stop_distance > 0.0 and price > 0.0):
            return 0.0
        size = equity * self.p.risk_per_trade / stop_distance

        ci = self.broker.getcommissioninfo(self.data)
        margin = ci.getoperationcost(1.0, price)  # cash one unit locks (price, or its margin)
        budget = self.broker.getcash() * self.p.max_leverage_use
        per_unit = margin + ci.getcommission(1.0, price)
        if per_unit > 0.0:
            size = min(size, budget / per_unit)
        # A commission scheme need not be linear in size; re-check with the real size so the
        # broker does not reject the order with Margin.
        needed = size * margin + ci.getcommission(size, price)
        if needed > budget > 0.0:
            size *= budget / needed
        return size if size > 0.0 else 0.0

    def log(self, message: str, level: int = logging.INFO) -> None:
        """Log *message* with the bar's timestamp, only when the ``verbose`` param is True.

        Parameters
        ----------
        message : str
            Text to log; the bar time and the strategy class name are prepended.
        level : int
            ``logging`` level, INFO by default (order problems use WARNING).
        """
        if self.p.verbose:
            when = self.data.datetime.datetime(0).isoformat() if len(self.data) else "-"
            _LOG.log(level, "%s %s: %s", when, type(self).__name__, message)

    # ------------------------------------------------------------------ backtrader callbacks

    def next(self) -> None:
        """Called by backtrader on every bar: ask the hooks and act on their answer.

        While an order is in flight nothing is asked; with a position only
        :meth:`exit_signal` is, while flat only :meth:`entry_signal`.
        """
        # Runs 100k+ times per backtest: return as early as possible.
        if self._entry_order is not None or self._exit_order is not None or self._close_requested:
            return
        size = self.position.size
        if size:
            if self.exit_signal(1 if size > 0 else -1):
                self._request_exit()
            return
        if self._legs:
            # Flat, but an exit order of the last position is still being cancelled: opening
            # now could let that stale order trade against the new position.
            return
        signal = self.entry_signal()
        if signal is not None:
            self._enter(*signal)

    def notify_order(self, order: bt.Order) -> None:
        """Track the entry, exit and protective orders as the broker reports on them.

        Parameters
        ----------
        order : bt.Order
            The broker's notification (possibly a snapshot of the order at that time).
        """
        ref = order.ref
        if self._entry_order is not None and ref == self._entry_order.ref:
            if not order.alive():
                self._entry_order = None
                if order.status == order.Completed:
                    self._on_entry_filled(order)
                else:
                    self.log(f"entry order {order.getstatusname()}", logging.WARNING)
        elif self._exit_order is not None and ref == self._exit_order.ref:
            if not order.alive():
                self._exit_order = None
                if order.status != order.Completed and self.position.size:
                    # The exit failed after the stop had been cancelled: put the protection
                    # back so the position is never left without a stop.
                    self.log(f"exit order {order.getstatusname()}", logging.WARNING)
                    self._protect()
        elif any(leg.ref == ref for leg in self._legs):
            self._on_leg_update(order)

    def notify_trade(self, trade: bt.Trade) -> None:
        """On a closed trade, make sure no protective order outlives the position.

        Parameters
        ----------
        trade : bt.Trade
            The trade whose state changed.
        """
        if trade.isclosed:
            self.log(f"trade closed, pnl {trade.pnlcomm:.2f}")
            if self._legs:
                # Closed by something other than the legs (or by a broker without OCO
                # support): the remaining exit orders must not outlive the position.
                self._request_cancel_legs()

    # ------------------------------------------------------------------ internals

    def _enter(self, direction: int, confidence: float) -> None:
        if direction not in (1, -1):
            raise StrategyError(
                f"{type(self).__name__}.entry_signal returned direction {direction!r}; "
                "expected +1 or -1"
            )
        if direction < 0 and not self.p.allow_short:
            return
        if not self.confirmation_ok(direction):
            return
        atr = self.atr[0]
        size = self.risk_size(self.data.close[0], atr)
        if size <= 0.0:
            return
        order = self.buy(size=size) if direction > 0 else self.sell(size=size)
        if order is None:
            return
        order.addinfo(confidence=round(clip01(confidence), 4), strategy=type(self).__name__)
        self._entry_order = order
        # The stop distance uses the ATR known when the signal fired, not the fill bar's ATR,
        # so the risk actually taken matches the risk the size was computed for.
        self._signal_atr = atr

    def _on_entry_filled(self, order: bt.Order) -> None:
        size = self.position.size
        if not size:
            return
        direction = 1 if size > 0 else -1
        price = order.executed.price
        self._entry_bar = len(self)
        self._stop_price = price - direction * self.p.stop_atr_mult * self._signal_atr
        tp_mult = self.p.take_profit_atr_mult
        self._tp_price = price + direction * tp_mult * self._signal_atr if tp_mult > 0 else None
        self.log(f"{'long' if direction > 0 else 'short'} {abs(size):.6g} @ {price:.6g}")
        self._protect()

    def _protect(self) -> None:
        size = self.position.size
        if not size:
            return
        close_side = self.sell if size > 0 else self.buy
        stop_kw = {"size": abs(size), "exectype": bt.Order.Stop, "price": self._stop_price}
        if self._tp_price is None:
            self._legs = [close_side(**stop_kw)]
            return
        tp_kw = {"size": abs(size), "exectype": bt.Order.Limit, "price": self._tp_price}
        # BackBroker margin-checks submitted orders one after another against a simulated
        # position, so the second leg of the pair is checked as if it opened a reverse position.
        # Submitting the higher-priced leg first makes that reverse position the cheaper one,
        # which always fits; the other order could be Margin-rejected.
        first, second = (tp_kw, stop_kw) if self._tp_price > self._stop_price else (stop_kw, tp_kw)
        leader = close_side(**first)
        self._legs = [leader, close_side(oco=leader, **second)]

    def _on_leg_update(self, order: bt.Order) -> None:
        # *order* may be a snapshot taken when the broker queued the notification; the leg in
        # self._legs is the live object whose status is current.
        leg = next(leg for leg in self._legs if leg.ref == order.ref)
        status = order.status
        if status == order.Accepted:
            # A cancel sent before the broker had accepted the order may have been ignored
            # (BackBroker only cancels accepted orders): repeat it now.
            if self._cancel_requested and leg.alive():
                self.cancel(leg)
        elif status == order.Completed:
            # The stop or take-profit closed the position; with OCO the other leg is already
            # cancelled, without it this cancels it.
            self._request_cancel_legs()
        elif status in (order.Margin, order.Rejected) and not self._cancel_requested:
            # Never keep a position whose protection the broker refused.
            self.log(f"protective order {order.getstatusname()}, closing", logging.WARNING)
            self._close_requested = True
            self._request_cancel_legs()
        self._prune_legs()

    def _request_exit(self) -> None:
        """Cancel the protective orders, then close at market once they are confirmed gone."""
        self._close_requested = True
        self._request_cancel_legs()

    def _request_cancel_legs(self) -> None:
        self._cancel_requested = True
        for leg in self._legs:
            if leg.alive():
                self.cancel(leg)
        self._prune_legs()

    def _prune_legs(self) -> None:
        # The close is only sent once no protective order can still fill; otherwise a stop and
        # the close could both execute and leave a reverse position.
        self._legs = [leg for leg in self._legs if leg.alive()]
        if self._legs:
            return
        self._cancel_requested = False
        if self._close_requested:
            self._close_requested = False
            if self.position.size and self._exit_order is None:
                self._exit_order = self.close()

    def _check_base_params(self) -> None:
        p = self.p
        check_param(self, "atr_period", p.atr_period >= 1, "an integer >= 1")
        check_param(self, "stop_atr_mult", p.stop_atr_mult > 0, "> 0")
        check_param(self, "take_profit_atr_mult", p.take_profit_atr_mult >= 0, ">= 0")
        check_param(self, "risk_per_trade", 0 < p.risk_per_trade <= 1, "in (0, 1]")
        check_param(self, "max_leverage_use", 0 < p.max_leverage_use <= 1, "in (0, 1]")
        check_param(self, "confirm_ema_period", p.confirm_ema_period >= 1, "an integer >= 1")


def check_param(strategy: bt.Strategy, name: str, ok: bool, expected: str) -> None:
    """Raise :class:`StrategyError` naming the strategy, parameter and value unless *ok*."""
    if not ok:
        value = getattr(strategy.p, name)
        raise StrategyError(
            f"{type(strategy).__name__}: parameter {name}={value!r} is invalid; expected {expected}"
        )
