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
