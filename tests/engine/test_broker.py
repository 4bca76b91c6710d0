"""Perpetual-futures costs: fees, slippage, leverage, funding and liquidation."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.commission import liquidation_price
from backtrader_engine.engine.costs import CostModel


class Script(bt.Strategy):
    """Places the orders listed in ``plan`` ({bar index: [(method, kwargs), ...]})."""

    params = (("plan", None),)

    def __init__(self):
        self.fills = []
        self.notified = []

    def notify_order(self, order):
        self.notified.append((order.ref, order.getstatusname(), dict(order.info)))
        if order.status == order.Completed:
            self.fills.append((len(self.data) - 1, order.executed.size, order.executed.price,
                               order.executed.comm))

    def next(self):
        for method, kwargs in (self.p.plan or {}).get(len(self.data) - 1, []):
            getattr(self, method)(**kwargs)


def flat_frame(prices, *, start="2022-01-01", freq="1h", spread=0.0):
    """Bars whose open equals the previous close, with optional high/low wicks."""
    close = np.asarray(prices, dtype=float)
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    index = pd.date_range(start, periods=len(close), freq=freq, name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": 1.0}, index=index)


def run(frame, plan, *, timeframe="1h", cash=10_000.0, **costs):
    costs.setdefault("funding", 0.0)
    request = BacktestRequest(strategy=Script, frame=frame, timeframe=timeframe,
                              params={"plan": plan}, cash=cash, costs=CostModel(**costs))
    result = run_backtest(request)
    return result


def test_market_orders_pay_taker_limit_orders_resting_pay_maker():
    frame = flat_frame([100.0] * 5 + [101.0, 99.0, 100.0, 100.0, 100.0], spread=0.01)
    plan = {1: [("buy", {"size": 2.0})],
            3: [("close", {})],
            4: [("buy", {"size": 2.0, "exectype": bt.Order.Limit, "price": 99.5})],
            8: [("close", {})]}
    result = run(frame, plan, taker_fee=0.001, maker_fee=0.0002)
    trades = result.trades
    assert list(trades["status"]) == ["closed", "closed"]
    # Trade 1: taker in, taker out at 100.
    assert trades["fees"].iloc[0] == pytest.approx(2 * 100.0 * 0.001 * 2)
    # Trade 2: the limit rests and fills at its own price (maker), exit at market (taker).
    assert trades["entry_price"].iloc[1] == pytest.approx(99.5)
    assert trades["fees"].iloc[1] == pytest.approx(2 * 99.5 * 0.0002 + 2 * 100.0 * 0.001)
    assert result.metrics["fees_paid"] == pytest.approx(trades["fees"].sum())


def test_marketable_limit_pays_taker_at_the_better_open():
    frame = flat_frame([100.0, 100.0, 100.0, 95.0, 95.0, 95.0])
    plan = {2: [("buy", {"size": 1.0, "exectype": bt.Order.Limit, "price": 97.0})]}
    # bar 3 opens at 100 -> no; make it gap: open of bar 3 equals close of bar 2 = 100 ...
    frame.loc[frame.index[3], "open"] = 94.0
    frame.loc[frame.index[3], "low"] = 94.0
    result = run(frame, plan, taker_fee=0.001, maker_fee=0.0002)
    row = result.trades.iloc[0]
    assert row["entry_price"] == pytest.approx(94.0)
    assert row["fees"] == pytest.approx(94.0 * 0.001)


def test_slippage_moves_market_fills_against_the_trader():
    frame = flat_frame([100.0] * 6, spread=0.01)
    plan = {1: [("buy", {"size": 1.0})], 3: [("sell", {"size": 1.0})]}
    result = run(frame, plan, slippage_bps=10, taker_fee=0.0, maker_fee=0.0)
    row = result.trades.iloc[0]
    assert row["entry_price"] == pytest.approx(100.0 * 1.001)
    assert row["exit_price"] == pytest.approx(100.0 * 0.999)
    assert result.final_value == pytest.approx(10_000.0 - 0.2)


def test_leverage_lets_margin_cover_a_larger_notional():
    frame = flat_frame([100.0] * 6)
    plan = {1: [("buy", {"size": 300.0})]}  # 30,000 notional on 10,000 cash
    unlevered = run(frame, plan, taker_fee=0.0, maker_fee=0.0, leverage=1.0)
    assert unlevered.trades.empty
    levered = run(frame, plan, taker_fee=0.0, maker_fee=0.0, leverage=5.0)
    assert levered.trades["size"].iloc[0] == pytest.approx(300.0)
    # Margin is locked, not spent: the value is unchanged while the price is flat.
    assert levered.final_value == pytest.approx(10_000.0)
    assert levered.equity["cash"].iloc[-1] == pytest.approx(10_000.0 - 30_000.0 / 5)


def test_levered_pnl_is_size_times_price_move():
    frame = flat_frame([100.0, 100.0, 100.0, 104.0, 108.0, 108.0])
    plan = {1: [("sell", {"size": 200.0})], 4: [("close", {})]}
    result = run(frame, plan, taker_fee=0.0, maker_fee=0.0, leverage=3.0)
    assert result.trades["gross_pnl"].iloc[0] == pytest.approx(-200.0 * 8.0)
    assert result.final_value == pytest.approx(10_000.0 - 1_600.0)


def test_constant_funding_longs_pay_shorts_receive():
    frame = flat_frame([100.0] * 49, start="2022-01-01 00:00")  # 48 h of hourly bars
    rate = 0.0001
    for side, sign in (("buy", 1.0), ("sell", -1.0)):
        plan = {0: [(side, {"size": 10.0})]}
        result = run(frame, plan, taker_fee=0.0, maker_fee=0.0, funding=rate)
        # Filled at the 01:00 open; settlements at 08:00, 16:00, 00:00 ... up to 2022-01-03 00:00.
        held = [t for t in pd.date_range("2022-01-01 08:00", "2022-01-03 00:00", freq="8h")]
        expected = sign * 10.0 * 100.0 * rate * len(held)
        assert result.metrics["funding_paid"] == pytest.approx(expected)
        assert result.trades["funding"].sum() == pytest.approx(expected)
        assert result.final_value == pytest.approx(10_000.0 - expected)


def test_funding_series_uses_each_settlement_rate_and_mark(testdata):
    from backtrader_engine.data import load_funding, load_ohlcv

    frame = load_ohlcv(testdata / "XRP_USDT_USDT-5m-futures.feather")
    rates = load_funding(testdata / "XRP_USDT_USDT-8h-funding_rate.feather")
    plan = {0: [("buy", {"size": 1000.0})]}
    result = run(frame, plan, timeframe="5m", taker_fee=0.0, maker_fee=0.0, funding=rates)
    # Independent: every settlement after the entry bar and within the data, paid at the open
    # of the first bar at or after the settlement time.
    entry_time = frame.index[1]
    expected = 0.0
    for when, rate in rates.items():
        if entry_time < when <= frame.index[-1]:
            bar = frame.index[frame.index.searchsorted(when)]
            expected += 1000.0 * frame.loc[bar, "open"] * rate
    assert expected != 0.0
    assert result.metrics["funding_paid"] == pytest.approx(expected)


def test_liquidation_closes_at_the_liquidation_price_and_cancels_stops():
    prices = [100.0, 100.0, 100.0, 97.0, 93.0, 88.0, 85.0, 85.0]
    frame = flat_frame(prices, spread=0.002)
    plan = {1: [("buy", {"size": 400.0})],  # 40,000 notional at 10x on 10,000 cash
            2: [("sell", {"size": 400.0, "exectype": bt.Order.Stop, "price": 50.0})]}
    result = run(frame, plan, taker_fee=0.0, maker_fee=0.0, leverage=10.0,
                 maintenance_margin_rate=0.005)
    liq = liquidation_price(400.0, 100.0, 10.0, 0.005)
    assert result.metrics["liquidations"] == 1
    row = result.trades.iloc[0]
    assert bool(row["liquidated"]) is True
    assert row["exit_price"] == pytest.approx(liq)
    assert result.final_value == pytest.approx(10_000.0 + 400.0 * (liq - 100.0))
    # The stop never fired: the position stayed closed after the liquidation.
    assert len(result.trades) == 1
    assert result.equity["notional"].iloc[-1] == 0.0


def test_one_x_long_is_never_liquidated():
    frame = flat_frame([100.0, 100.0, 60.0, 20.0, 5.0, 5.0])
    result = run(frame, {1: [("buy", {"size": 90.0})]}, taker_fee=0.0, maker_fee=0.0)
    assert result.metrics["liquidations"] == 0
    assert result.final_value == pytest.approx(10_000.0 - 90.0 * 95.0)


def test_liquidation_price_formula():
    assert liquidation_price(1.0, 100.0, 1.0, 0.005) == 0.0
    assert liquidation_price(1.0, 100.0, 10.0, 0.005) == pytest.approx(90.0 / 0.995)
    assert liquidation_price(-1.0, 100.0, 10.0, 0.005) == pytest.approx(110.0 / 1.005)



def test_clone_order_is_backtraders_clone_built_directly():
    from backtrader_engine.engine.broker import clone_order

    compared = []

    class Compare(Script):
        def stop(self):
            for order in self.broker.orders:  # a filled market and a resting limit order
                marks = order.executed.p1, order.executed.p2
                mine = clone_order(order)
                after = order.executed.p1, order.executed.p2
                order.executed.p1, order.executed.p2 = marks
                compared.append((order, mine, order.clone(), after))

    frame = flat_frame([100.0] * 6)
    plan = {1: [("buy", {"size": 2.0})],
            2: [("sell", {"size": 1.0, "exectype": bt.Order.Limit, "price": 150.0})]}
    run_backtest(BacktestRequest(strategy=Compare, frame=frame, timeframe="1h",
                                 params={"plan": plan}, costs=CostModel(funding=0.0)))
    assert [order.getstatusname() for order, *_ in compared] == ["Completed", "Accepted"]
    for order, mine, theirs, after in compared:
        assert (order.executed.p1, order.executed.p2) == after  # both mark the same fills
        assert type(mine) is type(theirs)
        assert mine is not order and mine.executed is not order.executed
        assert {k: v for k, v in vars(mine).items() if k != "executed"} == \
            {k: v for k, v in vars(theirs).items() if k != "executed"}
        assert vars(mine.executed) == vars(theirs.executed)
        mine.status = order.Canceled  # a clone moves on its own
        assert order.status != order.Canceled
