"""The numpy-array feed gives exactly what backtrader's PandasData gives."""

from __future__ import annotations

import backtrader as bt
import pytest

from backtrader_engine.engine.feed import make_feed


class Recorder(bt.Strategy):
    params = (("period", 20),)

    def __init__(self):
        self.sma = bt.ind.SMA(period=self.p.period)
        self.rows = []

    def next(self):
        d = self.data
        self.rows.append((d.datetime.datetime(0), d.open[0], d.high[0], d.low[0], d.close[0],
                          d.volume[0], self.sma[0]))


def _rows(feed, **cerebro_kwargs):
    cerebro = bt.Cerebro(stdstats=False, **cerebro_kwargs)
    cerebro.adddata(feed)
    cerebro.addstrategy(Recorder)
    return cerebro.run()[0].rows


@pytest.mark.parametrize("mode", [{}, {"preload": False}, {"runonce": False},
                                  {"exactbars": 1}])
def test_numpy_feed_matches_pandas_data(make_ohlcv, mode):
    frame = make_ohlcv(600, freq="5min")
    expected = _rows(bt.feeds.PandasData(dataname=frame), **mode)
    got = _rows(make_feed(frame, timeframe="5m", name="X"), **mode)
    assert len(got) == len(expected) == 600 - 19
    assert got == expected


def test_feed_on_real_candles_keeps_timestamps(testdata):
    from backtrader_engine.data import load_ohlcv

    frame = load_ohlcv(testdata / "BTCUSDT-1m-2022-09-05.zip")
    rows = _rows(make_feed(frame, timeframe="1m", name="BTCUSDT"))
    assert rows[0][0] == frame.index[19].to_pydatetime()
    assert rows[-1][0] == frame.index[-1].to_pydatetime()
    assert rows[-1][4] == frame["close"].iloc[-1]


class StopsAndLimits(bt.Strategy):
    """Market entries, protective stops and resting limit exits: every fill path of the broker."""

    def __init__(self):
        self.fast = bt.ind.EMA(period=8)
        self.slow = bt.ind.EMA(period=21)
        self.fills = []

    def notify_order(self, order):
        if order.status == order.Completed:
            self.fills.append((order.executed.dt, order.executed.size, order.executed.price))

    def next(self):
        if self.position or len(self.broker.get_orders_open()):
            return
        price = self.data.close[0]
        if self.fast[0] > self.slow[0]:
            self.buy(size=1)
            stop = self.sell(size=1, exectype=bt.Order.Stop, price=price * 0.995)
            self.sell(size=1, exectype=bt.Order.Limit, price=price * 1.004, oco=stop)
        else:
            self.sell(size=1)
            stop = self.buy(size=1, exectype=bt.Order.Stop, price=price * 1.005)
            self.buy(size=1, exectype=bt.Order.Limit, price=price * 0.996, oco=stop)


def test_numpy_feed_gives_identical_fills_for_every_order_type(make_ohlcv):
    frame = make_ohlcv(3000, freq="1min", seed=11)

    def fills(feed):
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(feed)
        cerebro.addstrategy(StopsAndLimits)
        cerebro.broker.setcommission(commission=0.0006)
        strategy = cerebro.run()[0]
        return strategy.fills, cerebro.broker.getvalue()

    expected = fills(bt.feeds.PandasData(dataname=frame))
    got = fills(make_feed(frame, timeframe="1m", name="X"))
    assert len(expected[0]) > 100
    assert got == expected
