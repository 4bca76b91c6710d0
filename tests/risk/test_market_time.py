"""The same bars give the same decisions whatever the speed at which they arrive.

The preloaded backtest is compared with live-mode runs (bars delivered one at a time, preload
and runonce off, as in paper trading) fed by a producer thread at two different paces. Only
market time may matter; the limits are tight enough that spacing, both hourly caps and the
confidence floor all refuse signals, so a wall-clock dependency would change the journal.
"""

from __future__ import annotations

import queue
import threading
import time

import backtrader as bt
import numpy as np

from backtrader_engine.config import RiskConfig
from backtrader_engine.engine.backtest import BacktestRequest, make_broker
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.dates import datetimes_to_bt_num
from backtrader_engine.engine.feed import make_feed

CONFIG = RiskConfig(min_seconds_between_signals=150.0, max_signals_per_hour=5,
                    max_signals_per_hour_per_strategy=3)


class Flipper(bt.Strategy):
    """Orders every bar: buys for ten bars, then sells for ten, closing every fifth bar.

    The confidence cycles through values below and above the floor.
    """

    def next(self) -> None:
        bar = len(self.data)
        if self.position.size and bar % 5 == 0:
            self.close()
            return
        side = self.buy if (bar // 10) % 2 == 0 else self.sell
        order = side(size=0.1)
        order.addinfo(confidence=(0.35, 0.95, 0.65, 0.55)[bar % 7 % 4])


class QueueFeed(bt.feeds.DataBase):
    """A live feed: bars arrive through a queue from another thread, ``None`` ends it."""

    params = (("source", None),)

    def islive(self) -> bool:
        return True

    def start(self) -> None:
        super().start()
        self._queue = self.p.source

    def _load(self) -> bool:
        row = self._queue.get(timeout=60)
        if row is None:
            return False
        for name, value in zip(("datetime", "open", "high", "low", "close", "volume"), row,
                               strict=True):
            getattr(self.lines, name)[0] = value
        self.lines.openinterest[0] = 0.0
        return True


def decisions(broker) -> list[tuple]:
    return [(r.time, r.side, r.confidence, r.outcome, r.reason, r.stage)
            for r in broker.risk_hook.journal.records]


def request(frame) -> BacktestRequest:
    return BacktestRequest(strategy=Flipper, frame=frame, timeframe="1m", symbol="BTCUSDT",
                           costs=CostModel(funding=0.0), risk=CONFIG)


def run_backtest_mode(frame):
    broker = make_broker(request(frame))
    build_cerebro(Flipper, {}, [make_feed(frame, timeframe="1m", name="BTCUSDT")],
                  broker).run()
    return broker


def run_live_mode(frame, pause_every: int, pause: float):
    source: queue.Queue = queue.Queue()
    rows = np.column_stack([datetimes_to_bt_num(frame.index),
                            frame[["open", "high", "low", "close", "volume"]].to_numpy()])

    def produce() -> None:
        for i, row in enumerate(rows):
            source.put(tuple(float(v) for v in row))
            if pause and i % pause_every == 0:
                time.sleep(pause)
        source.put(None)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    broker = make_broker(request(frame))
    feed = QueueFeed(source=source, name="BTCUSDT", timeframe=bt.TimeFrame.Minutes,
                     compression=1)
    build_cerebro(Flipper, {}, [feed], broker, live=True).run()
    producer.join(timeout=60)
    return broker


def test_decisions_do_not_depend_on_the_speed_of_the_data(make_ohlcv):
    frame = make_ohlcv(600, start="2022-01-03", freq="1min", seed=11, vol=0.003)
    reference = decisions(run_backtest_mode(frame))
    reasons = {d[4] for d in reference if d[3] == "rejected"}
    assert {"low_confidence", "signal_spacing", "strategy_hourly_cap"} <= reasons
    # 600 one-minute bars are ten hours: three passed signals an hour, all filled.
    assert sum(d[3] == "passed" for d in reference) == 30
    assert sum(d[3] == "executed" for d in reference) == 30
    fast = decisions(run_live_mode(frame, pause_every=1, pause=0.0))
    slow = decisions(run_live_mode(frame, pause_every=25, pause=0.02))
    assert fast == reference
    assert slow == reference
