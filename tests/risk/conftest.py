"""Fixtures for the risk-gate tests: a scripted strategy and a gated backtest runner.

The tests run in pytest's importlib mode, so the helpers reach them as fixtures, not imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.engine.backtest import BacktestRequest, make_broker
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.feed import make_feed
from backtrader_engine.risk import BrokerRiskHook, SignalCounts, SignalRecord

#: Action taken on a bar: called with the running strategy.
Action = Callable[[bt.Strategy], object]


class Script(bt.Strategy):
    """A plain ``bt.Strategy`` that runs ``plan[bar]`` actions and records every notification.

    ``plan`` maps a bar index (0 = first bar) to a list of callables taking the strategy.
    ``orders`` keeps the order objects returned by the actions, by name, for assertions.
    """

    params = (("plan", None),)

    def __init__(self) -> None:
        self.notified: list[tuple[int, int, str, object]] = []
        self.orders: dict[str, bt.Order] = {}

    def notify_order(self, order: bt.Order) -> None:
        self.notified.append((len(self.data) - 1, order.ref, order.getstatusname(),
                              order.info.get("reject_reason")))

    def next(self) -> None:
        for action in (self.p.plan or {}).get(len(self.data) - 1, []):
            action(self)

    def statuses(self, order: bt.Order) -> list[str]:
        """Status names notified for *order*, in order."""
        return [status for _bar, ref, status, _reason in self.notified if ref == order.ref]


def bars(prices: Sequence[float], *, start: str = "2022-01-03", freq: str = "1min",
         spread: float = 0.001) -> pd.DataFrame:
    """Bars whose open is the previous close, with a high/low wick of *spread* either side."""
    close = np.asarray(prices, dtype=float)
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    index = pd.date_range(start, periods=len(close), freq=freq, name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": 1.0}, index=index)


@dataclass
class GatedRun:
    strategy: bt.Strategy
    broker: bt.BrokerBase

    @property
    def hook(self) -> BrokerRiskHook:
        return self.broker.risk_hook

    @property
    def records(self) -> list[SignalRecord]:
        return self.hook.journal.records

    @property
    def counts(self) -> SignalCounts:
        return self.hook.tally.total


def run_gated(frame: pd.DataFrame, plan: Mapping[int, list[Action]] | None = None, *,
              config: RiskConfig | None = None, strategy: type[bt.Strategy] = Script,
              params: Mapping[str, object] | None = None, cash: float = 10_000.0,
              timeframe: str = "1m", extra: Sequence[tuple[str, pd.DataFrame]] = (),
              symbol: str = "BTCUSDT") -> GatedRun:
    """Run *strategy* through the backtest broker with the risk gate on; keep the objects."""
    request = BacktestRequest(strategy=strategy, frame=frame, timeframe=timeframe,
                              params=dict(params or {}), symbol=symbol, cash=cash,
                              costs=CostModel(funding=0.0, slippage_bps=0.0),
                              risk=config if config is not None else RiskConfig())
    broker = make_broker(request)
    feeds = [make_feed(frame, timeframe=timeframe, name=symbol)]
    feeds += [make_feed(f, timeframe=timeframe, name=name) for name, f in extra]
    run_params = dict(params or {})
    if strategy is Script:
        run_params["plan"] = plan or {}
    cerebro = build_cerebro(strategy, run_params, feeds, broker)
    return GatedRun(cerebro.run()[0], broker)


@pytest.fixture
def gated() -> Callable[..., GatedRun]:
    """``gated(frame, plan, config=..., ...)`` runs a scripted backtest with the gate on."""
    return run_gated


@pytest.fixture
def make_bars() -> Callable[..., pd.DataFrame]:
    return bars


@pytest.fixture
def script_cls() -> type[Script]:
    return Script
