"""Record what a strategy decided and read on every bar of one backtest run.

The look-ahead and warm-up checks (:mod:`.lookahead`, :mod:`.warmup`) compare runs of the
same strategy on different slices of the same candles. Each run is recorded here: the orders
the strategy created (its signals) and every value of every line of the indicators it built.

No per-bar hook is needed: in a backtest (preloaded, vectorised) backtrader computes each
indicator over the whole feed before the first bar, so after the run a line's buffer holds
its value at every bar, and the broker keeps every order it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd
from backtrader.lineroot import LineSingle

from backtrader_engine.engine.backtest import (
    BacktestRequest,
    confirmation_frames,
    display_name,
    make_broker,
)
from backtrader_engine.engine.bars_needed import BarsCheck, StartOnly
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.feed import make_feed
from backtrader_engine.errors import UserError
from backtrader_engine.strategies.failure import StrategyRunError, error_line, strategy_failure


@dataclass(frozen=True)
class Signal:
    """One order the strategy created: the bar it was created on, its side, size and type."""

    bar: int
    side: str  # "buy" or "sell"
    size: float
    exectype: str  # backtrader's name: Market, Limit, Stop, ...
    price: float | None

    def matches(self, other: Signal) -> bool:
        """Equal, up to the last digits of a float computed the same way twice."""
        return (self.bar == other.bar and self.side == other.side
                and self.exectype == other.exectype and _close(self.size, other.size)
                and _close(self.price, other.price))

    def __str__(self) -> str:
        price = "" if self.price is None else f" @ {self.price:.6g}"
        return f"{self.side} {self.size:.6g} {self.exectype}{price}"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True))


@dataclass
class LineRecord:
    """Every value of one indicator line, with the time of each value's bar."""

    name: str  # e.g. "ema_fast.lines.ema"
    indicator: str  # the attribute the strategy keeps the indicator in, e.g. "ema_fast"
    minperiod: int
    times: np.ndarray  # backtrader date numbers of the line's clock (its data feed)
    values: np.ndarray


@dataclass
class RunRecord:
    """What one run of a strategy did and read.

    ``stopped_at`` is the base bar at which the strategy's code raised (``error`` says what),
    or None when the run reached its last bar.
    """

    times: pd.DatetimeIndex  # the base bars the run was given
    signals: list[Signal]
    lines: dict[str, LineRecord]
    first_decision: int  # the first base bar next() ran on (the strategy's minimum period)
    stopped_at: int | None = None
    error: str | None = None
    signals_by_bar: dict[int, list[Signal]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for signal in self.signals:
            self.signals_by_bar.setdefault(signal.bar, []).append(signal)


class _Capture(StartOnly):
    """Keeps the running strategy, so it can be read even when its code raised mid-run, and
    the base bar of its first ``next()`` (with several feeds, later than its own minimum
    period: every feed must have reached its indicators' periods)."""

    params = (("holder", None),)

    def start(self) -> None:
        self.first_next: int | None = None
        self.p.holder.append(self)

    def _nextstart(self) -> None:
        self.first_next = len(self.strategy) - 1


def record_run(request: BacktestRequest, higher: list[tuple[str, pd.DataFrame]] | None = None,
               *, check_bars: bool = True) -> RunRecord:
    """Run *request* and record its signals and indicator lines.

    Parameters
    ----------
    request : BacktestRequest
        The strategy, params, candles and costs (its risk gate and lot rules apply as usual).
    higher : list of (timeframe, frame), optional
        Ready-made confirmation feeds for ``self.datas[1:]``, already cut to the base
        frame's end (a truncated run must not see a higher bar the full run saw only later).
        Default: resampled from ``request.frame`` as a backtest does.
    check_bars : bool
        Refuse, as a backtest does, data shorter than the strategy's minimum period.

    Raises
    ------
    StrategyRunError
        When the strategy's code raised outside a bar (while building or computing its
        indicators, or in ``stop()``): nothing to record.
    UserError
        For a refused param or too few bars.
    """
    if higher is None:
        higher = confirmation_frames(request.frame, request.timeframe,
                                     request.confirm_timeframes)
    feeds = [make_feed(request.frame, timeframe=request.timeframe, name=request.symbol)]
    feeds += [make_feed(frame, timeframe=tf, name=f"{request.symbol}-{tf}")
              for tf, frame in higher]
    broker = make_broker(request)
    cerebro = build_cerebro(request.strategy, request.params, feeds, broker)
    holder: list[_Capture] = []
    cerebro.addanalyzer(_Capture, holder=holder)
    if check_bars:
        cerebro.addanalyzer(BarsCheck, timeframes=(request.timeframe, *(tf for tf, _ in higher)),
                            strategy_name=display_name(request.strategy))
    stopped_at = error = None
    try:
        cerebro.run()
    except UserError:
        raise
    except (Exception, SystemExit) as exc:
        failure = strategy_failure(exc, request.strategy, cerebro)
        if failure is None:
            raise
        if not holder or failure.bar_time is None:
            # Raised while building, computing its indicators or in stop(): no bar to
            # stop the record at.
            raise StrategyRunError(failure) from exc
        stopped_at = len(holder[0].strategy) - 1  # the bar being run when it raised
        error = error_line(exc)
    strategy = holder[0].strategy
    first_next = holder[0].first_next
    base_times = feeds[0].lines.datetime.array
    return RunRecord(
        times=pd.DatetimeIndex(request.frame.index),
        signals=_signals(broker, np.asarray(base_times[:len(request.frame)], dtype=float)),
        lines=dict(_lines(strategy)),
        first_decision=(first_next if first_next is not None
                        else max(int(strategy._minperiod) - 1, 0)),
        stopped_at=stopped_at,
        error=error,
    )


def _signals(broker: bt.BrokerBase, base_times: np.ndarray) -> list[Signal]:
    """Every order the strategy sent to *broker*, with the base bar it was created on."""
    signals = []
    for order in broker.orders:
        created = order.created
        bar = int(np.searchsorted(base_times, created.dt, side="right")) - 1
        price = created.price
        signals.append(Signal(
            bar=bar,
            side="buy" if order.isbuy() else "sell",
            size=abs(float(created.size)),
            exectype=bt.Order.ExecTypes[order.exectype],
            price=None if price is None else float(price),
        ))
    return signals


def indicator_names(strategy: bt.LineIterator) -> Iterator[tuple[str, Any]]:
    """The indicators (and line expressions) *strategy* built, each with the attribute name
    it keeps it under (``rsi``, ``emas[1]``), or ``<Type>#<n>`` for one it keeps nowhere."""
    # Indicators and line expressions (``bt.And(...)``, ``ema > ema(-3)``) alike register
    # with the strategy as it builds them; its attributes only give them their names.
    named: dict[int, str] = {}
    for attr, value in vars(strategy).items():
        if attr.startswith("_"):
            continue
        items: list[tuple[str, object]] = [(attr, value)]
        if isinstance(value, (list, tuple)):
            items = [(f"{attr}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(f"{attr}[{k!r}]", v) for k, v in value.items()]
        for name, obj in items:
            named.setdefault(id(obj), name)
    children = strategy._lineiterators.get(bt.LineIterator.IndType, [])
    for position, child in enumerate(children):
        yield named.get(id(child), f"{type(child).__name__}#{position}"), child


def _feed_times(feeds: list[bt.AbstractDataBase]) -> dict[int, np.ndarray]:
    """Each feed's bar times by its number of bars: a line's buffer holds one value per bar
    of the feed that clocks it (the base feed, or a higher timeframe's)."""
    times: dict[int, np.ndarray] = {}
    for feed in reversed(feeds):  # the base feed wins a tie
        array = np.asarray(feed.lines.datetime.array, dtype=float)
        times[len(array)] = array
    return times


def _lines(strategy: bt.Strategy) -> Iterator[tuple[str, LineRecord]]:
    feed_times = _feed_times(strategy.datas)
    base = feed_times[len(strategy.datas[0].lines.datetime.array)]
    for indicator_name, indicator in indicator_names(strategy):
        if isinstance(indicator, LineSingle):  # a line expression is its own one line
            lines, aliases = [indicator], ()
        else:
            lines, aliases = list(indicator.lines), indicator.getlinealiases()
        for i, line in enumerate(lines):
            alias = aliases[i] if i < len(aliases) and aliases[i] else ""
            name = f"{indicator_name}.lines.{alias}" if alias else indicator_name
            values = np.asarray(line.array, dtype=float)
            times = feed_times.get(len(values), base)
            length = min(len(values), len(times))
            yield name, LineRecord(name, indicator_name, int(indicator._minperiod),
                                   times[:length], values[:length])
