"""A backtrader data feed that reads whole numpy columns at once.

The stock ``PandasData`` feed reads the frame cell by cell (``df.iloc[i, col]`` per field per
bar), which costs about half of a simple backtest's time. This feed converts the frame to float64
arrays once and, when Cerebro preloads, extends each line buffer with a whole column in one call.
Without preloading (``exactbars`` or live-like runs) it still serves bars from the arrays one by
one, so results never depend on the loading path.
"""

from __future__ import annotations

from array import array

import backtrader as bt
import numpy as np
import pandas as pd

from backtrader_engine.data import timeframe_to_backtrader
from backtrader_engine.engine.dates import datetimes_to_bt_num
from backtrader_engine.engine.lean_loop import movable_buffers

_OHLCV = ("open", "high", "low", "close", "volume")


class NumpyFeed(bt.feeds.DataBase):
    """Feed backtrader from an OHLCV DataFrame via numpy arrays.

    Parameters
    ----------
    dataname : pandas.DataFrame
        Columns ``open, high, low, close, volume`` and a naive-UTC ``DatetimeIndex``.
    timeframe, compression : int
        backtrader's timeframe description of the bars (set by :func:`make_feed`).
    """

    def __init__(self) -> None:
        super().__init__()
        frame = self.p.dataname
        self._columns = {
            "datetime": datetimes_to_bt_num(pd.DatetimeIndex(frame.index)),
            "openinterest": np.zeros(len(frame), dtype=np.float64),
        }
        for name in _OHLCV:
            self._columns[name] = np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))
        self._cursor = 0

    def start(self) -> None:
        super().start()
        self._cursor = 0
        self._plain_buffers: list | None = None
        self._buffers_checked = False  # see _buffers

    # backtrader keeps "tick_*" copies of each bar for feeds whose bar is rebuilt from ticks
    # (replay, live resampling); it nullifies and refills them on every bar, about 15% of a
    # simple backtest. For complete historical bars the tick equals the bar, and the broker
    # falls back to the bar's own open/high/low/close when tick_* is None, so fills are
    # identical without them.
    def _tick_nullify(self) -> None:
        return None

    def _tick_fill(self, force: bool = False) -> None:
        return None

    # The bar loop asks every feed for its next time and moves it on, each bar: backtrader's
    # versions go through several calls per line (len, buflen, the idx property). On plain
    # unbounded buffers (a preloaded backtest's) the same is done on the buffers directly.
    def advance_peek(self) -> float:
        buffers = self._buffers()
        if buffers is None:
            return float(super().advance_peek())
        first, clock = buffers[0], self._clock_buffer
        if first.lencount < len(first.array) - first.extension:
            return float(clock.array[clock._idx + 1])  # the next bar's time
        return float("inf")

    def advance(self, size: int = 1, datamaster: object = None, ticks: bool = True) -> None:
        buffers = self._buffers()
        if buffers is None or datamaster is not None:
            super().advance(size, datamaster=datamaster, ticks=ticks)
            return
        # DataBase.advance without a data master: lines.advance, then tick copies (not kept).
        for buffer in buffers:
            buffer._idx += size
            buffer.lencount += size

    def _buffers(self) -> list | None:
        if not self._buffers_checked:
            # At the first bar: buffers are sized and in their final mode by then.
            self._plain_buffers = movable_buffers(self)
            self._clock_buffer = self.lines.datetime
            self._buffers_checked = True
        return self._plain_buffers

    def preload(self) -> None:
        # Whole-column transfer: one C-level copy per line instead of a Python call per bar.
        for line_name in self.getlinealiases():
            column = self._columns.get(line_name)
            if column is None:
                continue
            buffer = getattr(self.lines, line_name)
            buffer.array.extend(array("d", column.tobytes()))
        self._cursor = len(self._columns["close"])
        self._last()
        self.home()

    def _load(self) -> bool:
        if self._cursor >= len(self._columns["close"]):
            return False
        i = self._cursor
        self._cursor += 1
        lines = self.lines
        lines.datetime[0] = self._columns["datetime"][i]
        lines.open[0] = self._columns["open"][i]
        lines.high[0] = self._columns["high"][i]
        lines.low[0] = self._columns["low"][i]
        lines.close[0] = self._columns["close"][i]
        lines.volume[0] = self._columns["volume"][i]
        lines.openinterest[0] = 0.0
        return True


def make_feed(frame: pd.DataFrame, *, timeframe: str, name: str) -> NumpyFeed:
    """Build a :class:`NumpyFeed` for *frame* whose bars have the given timeframe name."""
    bt_timeframe, compression = timeframe_to_backtrader(timeframe)
    # backtrader's metaclass takes the params keywords before __init__.
    return NumpyFeed(dataname=frame, timeframe=bt_timeframe,  # type: ignore[call-arg]
                     compression=compression, name=name)
