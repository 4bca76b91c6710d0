"""Each intended difference from stock backtrader in docs/backtesting.md, shown on real candles.

Everything not listed there is equal to stock backtrader at 1x without slippage or funding
(tests/engine/conformance/). Each test runs the same plain strategy both ways and checks that
the difference is exactly the documented one, and nothing more.
"""

from __future__ import annotations

import backtrader as bt
import pytest

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel

CASH = 10_000.0


@pytest.fixture(scope="module")
def candles():
    return load_ohlcv(default_dataset()).iloc[:600]


class Views(bt.Strategy):
    """Sells or buys ``size`` at bar ``at`` and records what the strategy sees each bar."""

    params = (("size", -2.0), ("at", 5), ("sizer_percents", None), ("then", None))

    def __init__(self):
        self.views = []
        self.statuses = []
        if self.p.sizer_percents is not None:
            self.setsizer(bt.sizers.PercentSizer(percents=self.p.sizer_percents))

    def notify_order(self, order):
        if order.status in (order.Completed, order.Margin, order.Rejected):
            self.statuses.append((order.getstatusname(), order.executed.size))

    def next(self):
        position = self.getposition()
        self.views.append((len(self), self.broker.getcash(), self.broker.getvalue(),
                           self.broker.getvalue(datas=[self.data]), position.size,
                           position.price))
        if len(self) == self.p.at:
            if self.p.size > 0:
                self.buy(size=self.p.size)
            else:
                self.sell(size=-self.p.size)
        if self.p.then is not None and len(self) == self.p.at + 3:
            self.buy()  # sized by the sizer while the short is open


def run_stock(strategy, frame, *, fee=0.001, leverage=1.0, **params):
    """The strategy instance after a stock backtrader run (``PandasData``, stock-like fee)."""
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(strategy, **params)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=fee, leverage=leverage)
    return cerebro.run()[0]


def run_ours(strategy, frame, *, fee=0.001, leverage=1.0, **params):
    """The strategy instance and result of this package's backtest (no slippage, funding)."""
    captured = {}

    class Capture(strategy):
        def stop(self):
            captured["strategy"] = self

    result = run_backtest(BacktestRequest(
        strategy=Capture, frame=frame, timeframe="1h", params=params, cash=CASH,
        costs=CostModel(taker_fee=fee, maker_fee=fee, slippage_bps=0.0, funding=0.0,
                        leverage=leverage)))
    return captured["strategy"], result


def _stock(frame, **params):
    return run_stock(Views, frame, **params)


def _ours(frame, leverage=1.0, **params):
    return run_ours(Views, frame, leverage=leverage, **params)


def test_a_short_posts_margin_instead_of_adding_its_proceeds_to_cash(candles):
    stock = _stock(candles, size=-2.0)
    ours, _ = _ours(candles, size=-2.0)
    assert len(stock.views) == len(ours.views)
    shorts = 0
    for s, o in zip(stock.views, ours.views, strict=True):
        bar, s_cash, s_value, s_data_value, s_size, s_price = s
        _, o_cash, o_value, o_data_value, o_size, o_price = o
        assert (o_size, o_price) == (s_size, s_price)
        assert o_value == pytest.approx(s_value, rel=1e-12)  # value: identical
        assert o_data_value == pytest.approx(s_data_value, rel=1e-12)  # signed notional
        if s_size < 0:
            shorts += 1
            # The documented rule: stock adds |size| x entry, a perpetual takes it.
            assert o_cash == pytest.approx(s_cash - 2 * abs(s_size) * s_price, rel=1e-12)
            assert s_data_value < 0
        else:
            assert o_cash == pytest.approx(s_cash, rel=1e-12)
    assert shorts > 500


def test_a_short_larger_than_equity_is_refused_at_1x(candles):
    price = float(candles["close"].iloc[4])
    size = -3 * CASH / price  # three times the account at 1x
    stock = _stock(candles, size=size)
    ours, result = _ours(candles, size=size)
    assert stock.statuses == [("Completed", pytest.approx(size))]
    assert ours.statuses == [("Margin", 0.0)]
    assert result.metrics["trades"] == 0 and result.metrics["open_trades"] == 0
    # ... while at 3x leverage the same short fits (its margin is one account).
    ours_3x, _ = _ours(candles, leverage=3.5, size=size)
    assert ours_3x.statuses == [("Completed", pytest.approx(size))]


def test_percent_sizer_sizes_from_free_cash_which_a_short_has_posted(candles):
    # A PercentSizer buy while a short is open: stock sizes from cash that includes the short's
    # proceeds; a perpetual's free cash has the short's margin taken out.
    stock = _stock(candles, size=-2.0, sizer_percents=50, then="buy")
    ours, _ = _ours(candles, size=-2.0, sizer_percents=50, then="buy")
    # The sizer returns the open position's size when one is open, so both close it: equal.
    assert [s for s, _ in stock.statuses] == [s for s, _ in ours.statuses] == ["Completed"] * 2
    assert stock.statuses[1][1] == ours.statuses[1][1] == pytest.approx(2.0)
    # What differs is the cash it would size a new entry from, by twice the short's notional.
    s_view, o_view = stock.views[7], ours.views[7]
    assert s_view[4] == o_view[4] == -2.0
    assert o_view[1] == pytest.approx(s_view[1] - 2 * 2.0 * s_view[5], rel=1e-12)


class TargetValue(bt.Strategy):
    params = (("target", 5_000.0),)

    def __init__(self):
        self.sizes = []

    def next(self):
        self.order_target_value(target=self.p.target)
        self.sizes.append(self.getposition().size)


def test_order_target_value_is_a_notional_at_any_leverage(candles):
    frame = candles.iloc[:100]
    stock = run_stock(TargetValue, frame, fee=0.0, leverage=3.0, target=5_000.0)
    ours, _ = run_ours(TargetValue, frame, fee=0.0, leverage=3.0, target=5_000.0)
    # Stock backtrader multiplies the size by the leverage: it buys three times the target,
    # sells back on the next bars, and on this data ends up short a long target.
    assert stock.sizes[1] == 3 * int(5_000.0 // float(frame["close"].iloc[0]))
    assert min(stock.sizes) < 0 and stock.sizes[-1] < 0
    # Here the target is the position's notional: whole units worth at most 5,000, held.
    closes = frame["close"].to_numpy()
    assert all(size >= 0 for size in ours.sizes)
    for size, close in zip(ours.sizes[2:], closes[2:], strict=True):
        assert 5_000.0 - close < size * close <= 5_000.0 + 2 * close
    assert ours.sizes[-1] == 2


class LeverView(bt.Strategy):
    params = (("size", 2.0),)

    def __init__(self):
        self.levered = []

    def next(self):
        if len(self) == 3:
            self.buy(size=self.p.size) if self.p.size > 0 else self.sell(size=-self.p.size)
        position = self.getposition()
        if position.size:
            self.levered.append((self.broker.getvalue(datas=[self.data], lever=True),
                                 position.size, position.price, self.data.close[0]))


@pytest.mark.parametrize("size", [2.0, -2.0], ids=["long", "short"])
def test_levered_data_value_is_the_positions_margin_plus_unrealised_pnl(candles, size):
    frame = candles.iloc[:50]
    stock = run_stock(LeverView, frame, fee=0.0, size=size)
    ours, _ = run_ours(LeverView, frame, fee=0.0, size=size)
    assert len(ours.levered) == len(stock.levered) > 40
    for (o_value, o_size, entry, close), (s_value, *_) in zip(ours.levered, stock.levered,
                                                               strict=True):
        assert o_value == pytest.approx(abs(o_size) * entry + o_size * (close - entry))
        if size > 0:
            assert o_value == pytest.approx(s_value)  # a 1x long: equal
        else:
            assert s_value == pytest.approx(o_size * close)  # stock: the signed notional


class PositionStamps(bt.Strategy):
    """Buys at bar 5, adds at bar 20, and records ``position.datetime`` each bar."""

    def __init__(self):
        self.stamps = []

    def next(self):
        self.stamps.append((self.data.datetime.datetime(0),
                            getattr(self.position, "datetime", None)))
        if len(self) in (5, 20):
            self.buy(size=0.01)


def test_position_datetime_is_the_last_fills_time_not_refreshed_each_bar(candles):
    stock = run_stock(PositionStamps, candles)
    ours, _ = run_ours(PositionStamps, candles)
    bars = [bar for bar, _ in stock.stamps]
    assert bars == [bar for bar, _ in ours.stamps]
    # Orders at the 5th and 20th bar (i = 4, 19) fill at the next bar's open.
    fills = (bars[5], bars[20])
    held = range(5, len(bars))
    assert len(held) > 500
    for i in held:
        # Stock backtrader stamps an open position with the bar's time in its credit-interest
        # step, every bar; a perpetual charges no interest, so it keeps its last fill's time.
        assert stock.stamps[i][1] == bars[i]
        assert ours.stamps[i][1] == (fills[1] if i >= 20 else fills[0])
