"""Conformance harness: a plain ``bt.Strategy`` through our backtest path and through stock
backtrader, on the same real candles, must give the same numbers.

The promise under test: for any plain ``bt.Strategy`` at zero slippage, zero funding and 1x
leverage, :func:`backtrader_engine.engine.backtest.run_backtest` reproduces stock backtrader
(``bt.Cerebro`` + ``BackBroker`` + ``PandasData`` + ``setcommission(commission=fee)``, a
stock-like percentage fee) bar for bar.

How a case runs
---------------
The user's class is never modified. The harness derives a *recording subclass* from it
(:func:`recording_class`) that notes, then hands on to the user's own method:

- every ``notify_order`` (order, status, side, execution type) and every fill it reports
  (``order.executed`` bits: datetime, side, size, price);
- every ``notify_trade`` (open/closed, size, price, pnl, pnlcomm, commission);
- before each ``next``: ``broker.getvalue()``, ``broker.getcash()`` and, for every data,
  ``broker.getvalue(datas=[d])``, ``getposition(d).size`` and ``getposition(d).price``.

The same subclass runs on both sides. A sizer of the case is installed by the subclass's
``__init__`` (``self.setsizer``, after the user's ``__init__``, which is when
``cerebro.addsizer`` installs it) on both sides, since ``run_backtest`` takes no sizer.
Stock backtrader reads the very same frames: the base frame and the confirmation frames built
by :func:`~backtrader_engine.engine.backtest.confirmation_frames`, each through
``bt.feeds.PandasData`` with the feed's timeframe and compression.

Order and trade references come from process-wide counters, so they are compared by rank
(the n-th order, or trade, the strategy was told about), not by value.

A case must exercise what it is about: at least one fill, and every (execution type, status)
it lists in ``expect`` must occur in the stock run (:func:`vacuity_problems`).

What must be equal
------------------
- final value: within ``1e-6 * cash`` (absolute);
- the whole ``notify_order`` sequence: (bar, order rank, status, side, execution type);
- every fill: (datetime, side, size, price); sizes and prices to float round-off (1e-9
  relative), nothing looser;
- every ``notify_trade`` event; money amounts within ``1e-6 * cash``;
- every bar's view: value, value per data, cash, position size and price.

Intended differences (a perpetual is not a stock account)
---------------------------------------------------------
These are the only places where our numbers may differ, each an explicit rule below:

1. :data:`RULE_SHORT_CASH` -- cash while a short is open. Stock backtrader credits a short
   sale's proceeds to cash; a perpetual posts margin instead. At 1x, for every open short
   ``our_cash == stock_cash - 2 * abs(size) * position.price``. With longs (or flat) cash is
   identical, and ``getvalue()`` is identical in every case.
2. :data:`RULE_SHORT_MARGIN` -- a short needs margin. Stock backtrader never refuses to open a
   short for lack of cash; we refuse (status ``Margin``) a short whose margin
   (notional / leverage) plus fee exceeds free cash. Cases keep their shorts within equity so
   their fills match; ``test_intended_differences.py`` shows the difference once.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.data import default_dataset, load_ohlcv, timeframe_to_backtrader
from backtrader_engine.engine.backtest import BacktestRequest, confirmation_frames, run_backtest
from backtrader_engine.engine.costs import CostModel

CASH = 10_000.0
FEES = (0.0, 0.001)
TESTDATA = Path(__file__).resolve().parents[2] / "testdata"

#: Intended difference 1 (see the module docstring).
RULE_SHORT_CASH = ("short cash: a perpetual posts margin where a stock short is credited its "
                   "proceeds; per open short our_cash = stock_cash - 2*|size|*position.price")
#: Intended difference 2 (see the module docstring).
RULE_SHORT_MARGIN = ("short margin: a short whose margin (notional/leverage) plus fee exceeds "
                     "free cash is refused (Margin) by us, never by stock backtrader")

REL = 1e-9  # float round-off for sizes and prices; money compares within MONEY_TOL * cash
MONEY_TOL = 1e-6


# -- candles ------------------------------------------------------------------------------------

@functools.cache
def bundled_candles() -> pd.DataFrame:
    return load_ohlcv(default_dataset())


@functools.cache
def _testdata(name: str) -> pd.DataFrame:
    return load_ohlcv(TESTDATA / name)


#: Real candles by name: (loader, timeframe). Slices keep the suite fast.
FRAMES: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    # Coinbase BTC-USD 1h, June 2018: 5.8k-7.8k, within 10k of cash for 1 BTC either way.
    "btc": (lambda: bundled_candles().loc["2018-06-01":"2018-06-30"], "1h"),
    # November 2018: sideways, then the crash from 6.4k to 3.6k.
    "btc-fall": (lambda: bundled_candles().loc["2018-11-01":"2018-12-05"], "1h"),
    # Binance SOLUSDT 1h (~130-180): integer sizes of order_target_* are meaningful.
    "sol": (lambda: _testdata("SOLUSDT.csv"), "1h"),
    # Binance XRP/USDT perpetual 5m (~1.0-1.2), its first 1200 bars.
    "xrp": (lambda: _testdata("XRP_USDT_USDT-5m-futures.feather").iloc[:1200], "5m"),
}


def frame_of(name: str) -> tuple[pd.DataFrame, str]:
    loader, timeframe = FRAMES[name]
    return loader(), timeframe


# -- cases --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SizerSpec:
    cls: type[bt.Sizer]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One plain strategy run: class, params, optional sizer, feeds and cash.

    ``expect`` lists (execution type, status) pairs the stock run must show at least once:
    the behaviour the case exists for really happened. ``min_fills`` is the least number of
    fills (1 unless the case is about refusals).
    """

    id: str
    strategy: type[bt.Strategy]
    params: Mapping[str, Any] = field(default_factory=dict)
    sizer: SizerSpec | None = None
    data: str = "btc"
    confirm: tuple[str, ...] = ()
    cash: float = CASH
    expect: tuple[tuple[str, str], ...] = ()
    min_fills: int = 1


def case_params(cases: Sequence[Case]) -> list[Any]:
    """``pytest.param`` per case, with the case id."""
    return [pytest.param(case, id=case.id) for case in cases]


fee_params = pytest.mark.parametrize("fee", FEES, ids=["fee0", "fee0.001"])


# -- recording ----------------------------------------------------------------------------------

def when(num: float) -> str:
    """A backtrader date number as an ISO string to the second (date numbers carry noise)."""
    moment = bt.num2date(num)
    return (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()


@dataclass
class Record:
    """What one run showed the strategy."""

    notices: list[tuple] = field(default_factory=list)
    fills: list[tuple] = field(default_factory=list)
    trades: list[tuple] = field(default_factory=list)
    bars: list[tuple] = field(default_factory=list)
    final_value: float = math.nan
    _order_refs: dict[int, int] = field(default_factory=dict)
    _trade_refs: dict[int, int] = field(default_factory=dict)

    def on_order(self, strategy: bt.Strategy, order: bt.Order) -> None:
        rank = self._order_refs.setdefault(order.ref, len(self._order_refs))
        side = "buy" if order.isbuy() else "sell"
        exectype = bt.Order.ExecTypes[order.exectype]
        self.notices.append((when(strategy.datetime[0]), rank, order.getstatusname(), side,
                             exectype))
        for bit in order.executed.iterpending():
            self.fills.append((when(bit.dt), side, abs(bit.size), bit.price, exectype))

    def on_trade(self, strategy: bt.Strategy, trade: bt.Trade) -> None:
        rank = self._trade_refs.setdefault(trade.ref, len(self._trade_refs))
        status = bt.Trade.status_names[trade.status]
        self.trades.append((when(strategy.datetime[0]), rank, status, trade.size, trade.price,
                            trade.pnl, trade.pnlcomm, trade.commission))

    def on_bar(self, strategy: bt.Strategy) -> None:
        broker = strategy.broker
        per_data = []
        for data in strategy.datas:
            position = strategy.getposition(data)
            per_data.append((broker.getvalue(datas=[data]), position.size, position.price))
        self.bars.append((when(strategy.datetime[0]), broker.getvalue(), broker.getcash(),
                          tuple(per_data)))

    def statuses(self, exectype: str) -> set[str]:
        return {n[2] for n in self.notices if n[4] == exectype}


def recording_class(user: type[bt.Strategy], record: Record,
                    sizer: SizerSpec | None = None) -> type[bt.Strategy]:
    """A subclass of *user* that notes what the strategy sees into *record*, then defers to it."""

    def init(self, *args: Any, **kwargs: Any) -> None:
        user.__init__(self, *args, **kwargs)
        if sizer is not None:
            self.setsizer(sizer.cls(**dict(sizer.params)))

    def notify_order(self, order: bt.Order) -> None:
        record.on_order(self, order)
        user.notify_order(self, order)

    def notify_trade(self, trade: bt.Trade) -> None:
        record.on_trade(self, trade)
        user.notify_trade(self, trade)

    namespace: dict[str, Any] = {"__init__": init, "notify_order": notify_order,
                                 "notify_trade": notify_trade, "__module__": __name__}
    if issubclass(user, bt.SignalStrategy):
        # SignalStrategy's metaclass turns a subclass's ``next`` into ``_next_custom``, run
        # after the signals have placed their orders (orders move no money before the broker's
        # next bar, so the view is the same).
        custom = getattr(user, "_next_custom", None)

        def next_custom(self) -> None:
            record.on_bar(self)
            if custom is not None:
                custom(self)

        namespace["_next_custom"] = next_custom
    else:
        def next_(self) -> None:
            record.on_bar(self)
            user.next(self)

        namespace["next"] = next_
    return type(user)(f"Recording{user.__name__}", (user,), namespace)


# -- the two runs -------------------------------------------------------------------------------

def cost_model(fee: float) -> CostModel:
    return CostModel(taker_fee=fee, maker_fee=fee, slippage_bps=0.0, funding=0.0, leverage=1.0)


def run_ours(case: Case, fee: float) -> Record:
    frame, timeframe = frame_of(case.data)
    record = Record()
    request = BacktestRequest(strategy=recording_class(case.strategy, record, case.sizer),
                              frame=frame, timeframe=timeframe, params=dict(case.params),
                              cash=case.cash, costs=cost_model(fee),
                              confirm_timeframes=case.confirm)
    record.final_value = run_backtest(request).final_value
    return record


def stock_feed(frame: pd.DataFrame, timeframe: str) -> bt.feeds.PandasData:
    bt_timeframe, compression = timeframe_to_backtrader(timeframe)
    return bt.feeds.PandasData(dataname=frame, timeframe=bt_timeframe, compression=compression)


def stock_cerebro(frame: pd.DataFrame, timeframe: str, confirm: Sequence[str], cash: float,
                  fee: float) -> bt.Cerebro:
    """Stock backtrader fed the very frames our backtest path builds."""
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(stock_feed(frame, timeframe))
    for tf, higher in confirmation_frames(frame, timeframe, confirm):
        cerebro.adddata(stock_feed(higher, tf))
    cerebro.broker.setcash(cash)
    cerebro.broker.setcommission(commission=fee)
    return cerebro


def run_stock(case: Case, fee: float) -> Record:
    frame, timeframe = frame_of(case.data)
    record = Record()
    cerebro = stock_cerebro(frame, timeframe, case.confirm, case.cash, fee)
    cerebro.addstrategy(recording_class(case.strategy, record, case.sizer), **dict(case.params))
    cerebro.run()
    record.final_value = cerebro.broker.getvalue()
    return record


# -- comparison ---------------------------------------------------------------------------------

def same(a: Any, b: Any, money: float) -> bool:
    """Equal, with floats equal to round-off (or within *money* for amounts of money)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y, money) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL, abs_tol=money)
    return a == b


def first_difference(what: str, ours: Sequence[tuple], stock: Sequence[tuple],
                     money: float = 1e-12) -> str | None:
    """None when the sequences agree, else one line naming the first disagreement."""
    for i, (mine, theirs) in enumerate(zip(ours, stock, strict=False)):
        if not same(mine, theirs, money):
            return f"{what} #{i}: ours {mine} != stock {theirs}"
    if len(ours) != len(stock):
        i = min(len(ours), len(stock))
        extra = ours[i] if len(ours) > i else stock[i]
        return (f"{what}: ours has {len(ours)}, stock {len(stock)}; first unmatched: "
                f"{'ours' if len(ours) > i else 'stock'} {extra}")
    return None


def expected_our_cash(stock_bar: tuple) -> float:
    """:data:`RULE_SHORT_CASH` applied to one stock bar view."""
    cash = stock_bar[2]
    for _, size, price in stock_bar[3]:
        if size < 0:
            cash -= 2.0 * abs(size) * price
    return cash


def bar_problems(ours: Sequence[tuple], stock: Sequence[tuple], money: float) -> list[str]:
    """Per-bar view differences: value, per-data value and position, and cash (rule 1)."""
    problems = []
    if len(ours) != len(stock):
        problems.append(f"bars: ours {len(ours)} next() calls, stock {len(stock)}")
    first: dict[str, str] = {}
    count: dict[str, int] = {}

    def note(kind: str, text: str) -> None:
        count[kind] = count.get(kind, 0) + 1
        first.setdefault(kind, text)

    for mine, theirs in zip(ours, stock, strict=False):
        stamp = theirs[0]
        if mine[0] != stamp:
            note("bar time", f"ours {mine[0]} vs stock {stamp}")
            continue
        if not same(mine[1], theirs[1], money):
            note("getvalue()", f"{stamp}: ours {mine[1]:.6f} vs stock {theirs[1]:.6f}")
        want_cash = expected_our_cash(theirs)
        if not same(mine[2], want_cash, money):
            note("getcash() [" + RULE_SHORT_CASH.split(":")[0] + " rule applied]",
                 f"{stamp}: ours {mine[2]:.6f} vs expected {want_cash:.6f} "
                 f"(stock {theirs[2]:.6f})")
        for i, (dm, ds) in enumerate(zip(mine[3], theirs[3], strict=True)):
            if not same(dm[0], ds[0], money):
                note(f"getvalue(datas=[data{i}])",
                     f"{stamp}: ours {dm[0]:.6f} vs stock {ds[0]:.6f} (size {ds[1]})")
            if not same(dm[1:], ds[1:], 1e-12):
                note(f"getposition(data{i})",
                     f"{stamp}: ours size/price {dm[1:]} vs stock {ds[1:]}")
    for kind, text in first.items():
        problems.append(f"{kind}: {count[kind]} bars differ, first {text}")
    return problems


def conformance_problems(ours: Record, stock: Record, cash: float) -> list[str]:
    """Every rule the two records break, one line each (empty: they conform)."""
    money = MONEY_TOL * cash
    problems = []
    if not same(ours.final_value, stock.final_value, money):
        problems.append(f"final value {ours.final_value:.6f} vs stock {stock.final_value:.6f}")
    for what, mine, theirs, tol in (("notify_order", ours.notices, stock.notices, 1e-12),
                                    ("fill", ours.fills, stock.fills, 1e-12),
                                    ("notify_trade", ours.trades, stock.trades, money)):
        problem = first_difference(what, mine, theirs, tol)
        if problem:
            problems.append(problem)
    problems.extend(bar_problems(ours.bars, stock.bars, money))
    return problems


def vacuity_problems(case: Case, stock: Record) -> list[str]:
    """The case really exercised what it is about (checked on the stock reference)."""
    problems = []
    if len(stock.fills) < case.min_fills:
        problems.append(f"vacuous case: {len(stock.fills)} fills (at least {case.min_fills})")
    for exectype, status in case.expect:
        if status not in stock.statuses(exectype):
            problems.append(f"vacuous case: no {exectype} order ever {status} "
                            f"(seen {sorted(stock.statuses(exectype))})")
    return problems


def check_case(case: Case, fee: float) -> tuple[Record, Record]:
    """Run *case* on both sides at *fee*; fail with every broken rule listed."""
    stock = run_stock(case, fee)
    vacuous = vacuity_problems(case, stock)
    assert not vacuous, "\n".join(vacuous)
    ours = run_ours(case, fee)
    problems = conformance_problems(ours, stock, case.cash)
    if problems:
        pytest.fail(f"{case.id} at fee {fee}: {len(problems)} rule(s) broken\n  "
                    + "\n  ".join(problems), pytrace=False)
    return ours, stock
