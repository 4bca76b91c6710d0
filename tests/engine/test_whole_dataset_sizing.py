"""The three plain sizing styles a newcomer reaches for, on the whole bundled dataset.

Stock backtrader's figures are pinned, so a change in either side shows: at 1x with no fee,
slippage or funding, ``run_backtest`` must give the same final value as stock backtrader for
``order_target_percent``, ``order_target_value`` and a ``PercentSizer`` close-and-reverse.
"""

from __future__ import annotations

import backtrader as bt
import pytest

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel

#: Stock backtrader's final values on the bundled Coinbase BTC-USD 1h candles, cash 10,000.
STOCK = {"percent": 138_998.77, "value": 14_350.62, "sizer": 36_311.326478}


class EmaCross(bt.Strategy):
    """EMA 12/40 cross, always in the market, sized three ways."""

    params = (("mode", "percent"),)

    def __init__(self):
        self.refused = 0
        self.cross = bt.ind.CrossOver(bt.ind.EMA(period=12), bt.ind.EMA(period=40))
        if self.p.mode == "sizer":
            self.setsizer(bt.sizers.PercentSizer(percents=40))

    def notify_order(self, order):
        if order.status in (order.Margin, order.Rejected):
            self.refused += 1

    def next(self):
        if not self.cross:
            return
        side = 1 if self.cross > 0 else -1
        if self.p.mode == "percent":
            self.order_target_percent(target=side * 0.95)
        elif self.p.mode == "value":
            self.order_target_value(target=side * 5_000.0)
        else:
            self.close()
            (self.buy if side > 0 else self.sell)()


@pytest.fixture(scope="module")
def candles():
    return load_ohlcv(default_dataset())


@pytest.mark.parametrize("mode", sorted(STOCK))
def test_sizing_matches_stock_backtrader_on_the_whole_dataset(candles, mode):
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=candles))
    cerebro.addstrategy(EmaCross, mode=mode)
    cerebro.broker.setcash(10_000.0)
    cerebro.broker.setcommission(commission=0.0)
    stock_refused = cerebro.run()[0].refused
    stock = cerebro.broker.getvalue()
    assert stock == pytest.approx(STOCK[mode], abs=0.01)

    result = run_backtest(BacktestRequest(
        strategy=EmaCross, frame=candles, timeframe="1h", params={"mode": mode},
        cash=10_000.0, costs=CostModel(taker_fee=0.0, maker_fee=0.0, slippage_bps=0.0,
                                       funding=0.0)))
    assert result.final_value == pytest.approx(stock, abs=1e-6 * 10_000.0)
    assert result.metrics["liquidations"] == 0
    # Refusals are the same orders, and they are counted, not silent.
    assert result.orders_rejected == stock_refused
    assert result.rejections == ({"margin": stock_refused} if stock_refused else {})
    assert result.equity["equity"].min() > 0.0
    assert result.metrics["trades"] > 100
