"""The backtest side of the parity check: each sub-account re-run on the bars it was fed.

The run is :func:`~backtrader_engine.engine.backtest.run_backtest`'s, assembled from the same
parts (numpy feeds, confirmation frames labelled at their close, :func:`build_cerebro`), with
what the paper account had:

* the candles are the logged bars of its stream, warm-up and live, up to the last bar its
  broker processed (naive UTC index = bar start);
* the same cash, fees, leverage and maintenance margin (``meta.costs``); no bar slippage,
  because the paper broker applies none (its slippage is the book walk);
* the same risk limits when ``meta.risk`` is set — a gate of its own, whereas the paper
  session's sub-accounts share one (so its overall limits can bind differently);
* orders created on warm-up bars are rejected (reason ``warmup``), as the paper broker does;
* the venue's lot rules the session traded under (``meta.lot_rules``): the same rounding to
  the quantity step and the same refusals below the minimums;
* funding as the paper broker charged it: each settlement on the bar where the paper broker
  made it, at the rate the logged ticker published, re-expressed on the bar's open (the
  backtest's mark) so that the same position pays the same amount.
"""

from __future__ import annotations

from typing import Any

import backtrader as bt
import pandas as pd

from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.engine.backtest import confirmation_frames
from backtrader_engine.engine.bars_needed import BarsCheck, NotEnoughBars
from backtrader_engine.engine.broker import PerpBroker, fills_as_maker
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.dates import datetimes_to_bt_num
from backtrader_engine.engine.feed import make_feed
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.errors import UserError
from backtrader_engine.paper.context import WARMUP, BarContext
from backtrader_engine.paper.recorder import order_type
from backtrader_engine.parity.ledger_side import (
    AccountMeta,
    LedgerSnapshot,
    funding_interval_ms,
    funding_settlements,
)
from backtrader_engine.parity.trips import Execution, Funding
from backtrader_engine.risk import BrokerRiskHook, RiskGate, RiskGateMixin
from backtrader_engine.strategies import apply_params, resolve_strategy
from backtrader_engine.strategies.failure import strategy_failure

_EPOCH_NUM = 719163.0
_MS_PER_DAY = 86_400_000.0


def num_to_ms(num: float) -> int:
    """A backtrader date number as epoch milliseconds (rounded, as engine.dates does)."""
    return int(round((num - _EPOCH_NUM) * _MS_PER_DAY))


class WarmupGuardBroker(RiskGateMixin, PerpBroker):
    """PerpBroker (optionally gated) that rejects orders created before the first live bar.

    It also keeps every fill and funding settlement as parity :class:`Execution` and
    :class:`Funding` records.

    Parameters
    ----------
    live_from : float or None
        backtrader date number of the first live bar; orders whose data is before it are
        rejected at submission, exactly as the paper broker rejects orders on warm-up history.
    """

    params = (("live_from", None),)

    def __init__(self) -> None:
        super().__init__()
        self.executions: list[Execution] = []
        self.funding_events: list[Funding] = []
        self._created: dict[int, int] = {}

    def submit(self, order: bt.Order, check: bool = True) -> bt.Order:
        self._created[order.ref] = len(order.data)
        live_from = self.p.live_from
        if live_from is None or order.data.datetime[0] < live_from:
            order.addinfo(reject_reason="warmup",
                          reject_message="orders on warm-up history are never executed")
            order.reject(self)
            self.notify(order)
            return order
        return super().submit(order, check)

    def _settle_funding(self) -> None:
        before = self.funding_paid
        super()._settle_funding()
        if self.funding_paid != before:
            data = self.cerebro.datas[0]
            self.funding_events.append(Funding(num_to_ms(data.datetime[0]), len(data),
                                               self.funding_paid - before))

    def _record_fill(self, order: bt.Order, bit: Any) -> None:
        super()._record_fill(order, bit)
        liquidation = bool(order.info.get("liquidation", False))
        kind = order_type(order)
        how = "liquidation" if liquidation else ("bar" if kind == "Market" else "order")
        self.executions.append(Execution(
            num_to_ms(bit.dt), len(order.data), float(bit.size), float(bit.price),
            float(bit.closedcomm + bit.openedcomm), float(bit.pnl),
            fills_as_maker(order, bit.price), liquidation, how, kind,
            self._created.get(order.ref), f"backtest order {order.ref}",
            position_after=float(bit.psize)))


def candle_frame(bars: list[BarContext]) -> pd.DataFrame:
    """OHLCV frame of logged bars, naive UTC index at each bar's start."""
    index = pd.DatetimeIndex(pd.to_datetime([c.start for c in bars], unit="ms"),
                             name="datetime")
    return pd.DataFrame({"open": [c.open for c in bars], "high": [c.high for c in bars],
                         "low": [c.low for c in bars], "close": [c.close for c in bars],
                         "volume": [c.volume for c in bars]}, index=index, dtype=float)


def paper_funding_series(bars: list[BarContext], step_ms: int) -> pd.Series:
    """The paper broker's settlements as a backtest funding series (module docstring)."""
    times, rates = [], []
    for _, bar, rate, mark in funding_settlements(bars, step_ms):
        ctx = bars[bar - 1]
        if ctx.open:
            times.append(ctx.start)
            rates.append(rate * mark / ctx.open)
    return pd.Series(rates, index=pd.to_datetime(times, unit="ms"), dtype=float)


def account_costs(snapshot: LedgerSnapshot, funding: pd.Series) -> CostModel:
    """The cost model the paper broker applied, with *funding* as the schedule."""
    costs = snapshot.costs
    defaults = CostModel()
    return CostModel(
        taker_fee=float(costs.get("taker_fee", defaults.taker_fee)),
        maker_fee=float(costs.get("maker_fee", defaults.maker_fee)),
        leverage=float(costs.get("leverage", defaults.leverage)),
        maintenance_margin_rate=float(costs.get("maintenance_margin_rate",
                                                defaults.maintenance_margin_rate)),
        funding=funding if len(funding) else 0.0, funding_source="paper ledger")


def _strategy(account: AccountMeta) -> tuple[type[bt.Strategy], dict[str, object]]:
    try:
        cls = resolve_strategy(account.strategy)
        return cls, apply_params(cls, account.params)
    except UserError as exc:
        raise UserError(f"{account.name}: {exc}") from None


def _risk(snapshot: LedgerSnapshot) -> RiskConfig | None:
    if snapshot.risk is None:
        return None
    try:
        return RiskConfig.model_validate(snapshot.risk)
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{snapshot.path}: meta 'risk' is not a valid risk config ({first})"
                        ) from None


def rerun_account(snapshot: LedgerSnapshot, account: AccountMeta
                  ) -> tuple[list[Execution], list[Funding]]:
    """Backtest *account* on its logged bars; its fills and funding settlements."""
    bars = snapshot.stream(account)
    live = [c for c in bars if c.source != WARMUP]
    if not bars or not live:
        return [], []
    cls, params = _strategy(account)
    frame = candle_frame(bars)
    step = funding_interval_ms(bars, snapshot.funding.get(account.name, []))
    costs = account_costs(snapshot, paper_funding_series(bars, step))
    # The same conversion the feed applies to its index, so the comparison is exact.
    first_live = datetimes_to_bt_num(pd.DatetimeIndex([pd.Timestamp(live[0].start,
                                                                    unit="ms")]))[0]
    lots = snapshot.lot_rules.get(account.symbol)
    # backtrader's metaclass takes the params keywords before __init__.
    broker = WarmupGuardBroker(  # type: ignore[call-arg]
        funding=costs.funding_schedule(frame.index[0], frame.index[-1]),
        live_from=float(first_live), lot_rules=LotRules.from_dict(lots) if lots else None)
    risk = _risk(snapshot)
    if risk is not None:
        broker.attach_risk_hook(BrokerRiskHook(RiskGate(risk)))
    broker.setcash(account.cash)
    broker.addcommissioninfo(costs.commission_info())
    feeds = [make_feed(frame, timeframe=account.timeframe, name=account.symbol)]
    for tf, higher in confirmation_frames(frame, account.timeframe,
                                          account.confirm_timeframes):
        feeds.append(make_feed(higher, timeframe=tf, name=f"{account.symbol}-{tf}"))
    cerebro = build_cerebro(cls, params, feeds, broker)
    cerebro.addanalyzer(BarsCheck)
    try:
        cerebro.run()
    except NotEnoughBars:
        # The session ended before the strategy's indicators were ready: it never decided
        # anything live, and neither does the backtest.
        return [], []
    except UserError:
        raise
    except (Exception, SystemExit) as exc:
        if strategy_failure(exc, cls, cerebro) is None:
            raise
        # The strategy raised here as it did live, where that stopped its sub-account: what
        # ran up to that bar is what the session did.
    return broker.executions, broker.funding_events
