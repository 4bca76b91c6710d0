"""Higher-timeframe confirmation feeds: right bars, in order, never ahead of the base feed."""

from __future__ import annotations

import backtrader as bt
import pandas as pd

from backtrader_engine.data import load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel


class SeeFeeds(bt.Strategy):
    """Records, at every base bar, the latest bar of each confirmation feed."""

    seen: list = []

    def next(self):
        base = self.data.datetime.datetime(0)
        row = [base]
        for data in self.datas[1:]:
            row.append((data.datetime.datetime(0), data.close[0], data.high[0]))
        SeeFeeds.seen.append(row)


def test_confirmation_bars_arrive_when_they_close(testdata):
    frame = load_ohlcv(testdata / "BTCUSDT-1m-2022-09-05.zip")
    SeeFeeds.seen = []
    request = BacktestRequest(strategy=SeeFeeds, frame=frame, timeframe="1m",
                              confirm_timeframes=("15m", "1h"), costs=CostModel(funding=0.0))
    run_backtest(request)
    seen = SeeFeeds.seen
    assert seen, "the strategy must run once every feed has a bar"
    for tf, column in (("15m", 1), ("1h", 2)):
        period = pd.Timedelta(tf)
        for row in seen:
            base_time = pd.Timestamp(row[0])
            stamp, close, high = row[column]
            stamp = pd.Timestamp(stamp)
            # The visible higher-timeframe bar closed at or before the base bar's close ...
            assert stamp <= base_time
            start = stamp + pd.Timedelta("1min") - period
            # ... is the latest such bar (the next one has not closed yet) ...
            assert base_time - stamp < period
            # ... and aggregates exactly its period of base bars.
            window = frame.loc[start:stamp]
            assert close == window["close"].iloc[-1]
            assert high == window["high"].max()
