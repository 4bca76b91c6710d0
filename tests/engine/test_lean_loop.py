"""The lean bar loop gives backtrader's numbers: every built-in strategy, a strategy with an
indicator on an indicator, one with a hand-written indicator, and a multi-timeframe run, each
run with :class:`LeanCerebro` and the feed's direct ``advance``/``advance_peek``, and with
stock ``bt.Cerebro`` and backtrader's ``DataBase`` methods, compared bar by bar."""

from __future__ import annotations

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine import builder, feed
from backtrader_engine.engine.backtest import BacktestRequest, BacktestResult, run_backtest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.lean_loop import indicator_step
from backtrader_engine.strategies.registry import BUILTIN_STRATEGIES


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_ohlcv(default_dataset()).iloc[:3000]


class SmoothedCross(bt.Strategy):
    """An SMA of an EMA (an indicator clocked by another) crossing the close, long and short."""

    params = (("period", 12),)

    def __init__(self) -> None:
        smooth = bt.ind.SMA(bt.ind.EMA(period=self.p.period), period=5)
        self.cross = bt.ind.CrossOver(self.data.close, smooth)

    def next(self) -> None:
        if self.cross > 0:
            self.order_target_size(target=0.2)
        elif self.cross < 0:
            self.order_target_size(target=-0.2)


class LaggedClose(bt.Indicator):
    """A hand-written indicator whose ``advance`` is its own: it takes backtrader's path."""

    lines = ("lagged",)

    def __init__(self) -> None:
        self.addminperiod(3)

    def next(self) -> None:
        self.lines.lagged[0] = self.data.close[-2]

    def advance(self, size: int = 1) -> None:
        super().advance(size)


class WithOwnIndicator(bt.Strategy):
    def __init__(self) -> None:
        self.lagged = LaggedClose()
        self.sma = bt.ind.SMA(period=20)

    def next(self) -> None:
        if not self.position and self.lagged[0] > self.sma[0]:
            self.buy(size=0.1)
        elif self.position and self.lagged[0] < self.sma[0]:
            self.close()


def _run(strategy: type[bt.Strategy], frame: pd.DataFrame, *, lean: bool,
         monkeypatch: pytest.MonkeyPatch, **request: object) -> BacktestResult:
    with monkeypatch.context() as patch:
        if not lean:
            patch.setattr(builder, "LeanCerebro", bt.Cerebro)
            patch.setattr(feed, "movable_buffers", lambda owner: None)
        return run_backtest(BacktestRequest(
            strategy=strategy, frame=frame, timeframe="1h", cash=10_000.0,
            costs=CostModel(taker_fee=0.0006, maker_fee=0.0002, slippage_bps=1.0,
                            funding=0.0001), **request))


CASES = {**{name: (cls, {}) for name, cls in BUILTIN_STRATEGIES.items()},
         "SmoothedCross": (SmoothedCross, {}),
         "WithOwnIndicator": (WithOwnIndicator, {}),
         "SmoothedCross 4h confirm": (SmoothedCross, {"confirm_timeframes": ("4h",)})}


@pytest.mark.parametrize("case", list(CASES))
def test_the_lean_loop_gives_backtraders_numbers_bar_by_bar(
        case: str, candles: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    strategy, request = CASES[case]
    lean = _run(strategy, candles, lean=True, monkeypatch=monkeypatch, **request)
    stock = _run(strategy, candles, lean=False, monkeypatch=monkeypatch, **request)
    pd.testing.assert_frame_equal(lean.equity, stock.equity, check_exact=True)
    pd.testing.assert_frame_equal(lean.trades, stock.trades, check_exact=True)
    assert lean.metrics == stock.metrics


def test_the_comparison_covers_trading_runs(candles: pd.DataFrame,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Not a comparison of idle runs: the hand-made cases trade, both ways.
    for case in ("SmoothedCross", "WithOwnIndicator", "SmoothedCross 4h confirm"):
        strategy, request = CASES[case]
        assert len(_run(strategy, candles, lean=True, monkeypatch=monkeypatch,
                        **request).trades) > 5, case


def test_only_backtraders_own_indicator_classes_take_the_direct_step() -> None:
    cerebro = bt.Cerebro()
    frame = load_ohlcv(default_dataset()).iloc[:100]
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    seen: dict[str, object] = {}

    class Probe(WithOwnIndicator):
        def start(self) -> None:
            seen["sma"] = indicator_step(self.sma)
            seen["lagged"] = indicator_step(self.lagged)

    cerebro.addstrategy(Probe)
    cerebro.run()
    assert seen["sma"] is not None
    assert seen["lagged"] is None


def test_backtests_use_the_lean_loop_and_live_runs_do_not() -> None:
    frame = load_ohlcv(default_dataset()).iloc[:100]
    feed = bt.feeds.PandasData(dataname=frame)
    broker = bt.brokers.BackBroker()
    assert type(builder.build_cerebro(SmoothedCross, {}, [feed], broker)) is builder.LeanCerebro
    assert type(builder.build_cerebro(SmoothedCross, {}, [feed], broker, live=True)) is bt.Cerebro
