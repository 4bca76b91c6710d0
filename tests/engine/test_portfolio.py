"""Several symbols in one backtest: what a portfolio run must equal.

(a) a one-symbol portfolio is today's single-symbol backtest, equity and trades;
(b) per-symbol accounts are N single-symbol backtests with cash/N each (trades identical,
    portfolio equity their sum), for a strategy sizing by percent and one with fixed sizes;
(c) a shared account is stock backtrader with one strategy per feed (tests/engine/
    test_portfolio_stock.py);
and each instance sees only its own symbol, its confirmation feeds included.
"""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.portfolio import (
    PortfolioLeg,
    PortfolioRequest,
    run_portfolio,
)
from backtrader_engine.errors import UserError
from tests.conftest import synthetic_ohlcv

COSTS = CostModel(taker_fee=0.00055, maker_fee=0.0002, slippage_bps=1.0, funding=0.0001)


class PercentCross(bt.Strategy):
    """SMA cross sized with order_target_percent: sizing reads the account's value."""

    params = (("fast", 10), ("slow", 30), ("pct", 0.9))

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast),
                                      bt.ind.SMA(period=self.p.slow))

    def next(self):
        if self.cross > 0:
            self.order_target_percent(target=self.p.pct)
        elif self.cross < 0:
            self.order_target_percent(target=-self.p.pct / 2)


class FixedCross(PercentCross):
    """The same signals with fixed sizes: buys 50 units, closes on the opposite cross."""

    def next(self):
        if self.cross > 0 and not self.position:
            self.buy(size=50)
        elif self.cross < 0 and self.position:
            self.close()


def _frames() -> dict[str, pd.DataFrame]:
    # Different prices, seeds and ranges: BBB is listed 10 days later, CCC misses 30 bars.
    ccc = synthetic_ohlcv(1500, freq="1h", seed=3, price=3.0)
    return {
        "AAA": synthetic_ohlcv(1500, freq="1h", seed=1, price=1.5),
        "BBB": synthetic_ohlcv(1200, freq="1h", seed=2, price=20.0, start="2022-01-10"),
        "CCC": ccc.drop(index=pd.date_range("2022-01-20", periods=30, freq="1h")),
    }


def _portfolio(strategy, frames, accounts, cash=30_000.0):
    legs = [PortfolioLeg(symbol, frame) for symbol, frame in frames.items()]
    return run_portfolio(PortfolioRequest(strategy, legs, "1h", {}, cash=cash, costs=COSTS,
                                          accounts=accounts))


def _single(strategy, frame, symbol, cash):
    return run_backtest(BacktestRequest(strategy, frame, "1h", {}, symbol, cash=cash,
                                        costs=COSTS))


def _symbol_trades(trades: pd.DataFrame, symbol: str) -> pd.DataFrame:
    mine = trades[trades["symbol"] == symbol].drop(columns="trade_id")
    return mine.reset_index(drop=True)


@pytest.mark.parametrize("accounts", ["shared", "per-symbol"])
def test_one_symbol_portfolio_is_the_single_symbol_backtest(accounts):
    frame = _frames()["AAA"]
    single = _single(PercentCross, frame, "AAA", 10_000.0)
    alone = _portfolio(PercentCross, {"AAA": frame}, accounts, cash=10_000.0)
    assert len(single.trades) > 10
    pd.testing.assert_frame_equal(alone.trades, single.trades)
    pd.testing.assert_frame_equal(alone.equity[list(single.equity.columns)], single.equity)
    assert alone.metrics == single.metrics
    assert alone.rejections == single.rejections
    assert alone.orders_submitted == single.orders_submitted


@pytest.mark.parametrize("strategy", [PercentCross, FixedCross], ids=["percent", "fixed"])
def test_per_symbol_accounts_are_independent_backtests_with_a_cash_share(strategy):
    frames = _frames()
    result = _portfolio(strategy, frames, "per-symbol")
    total = pd.Series(0.0, index=result.equity.index)
    for symbol, frame in frames.items():
        single = _single(strategy, frame, symbol, 10_000.0)
        assert len(single.trades) > 10
        pd.testing.assert_frame_equal(_symbol_trades(result.trades, symbol),
                                      single.trades.drop(columns="trade_id"))
        own = result.equity[f"equity_{symbol}"]
        # On the symbol's own bars its account is exactly the single run's.
        np.testing.assert_array_equal(own.reindex(single.equity.index).to_numpy(),
                                      single.equity["equity"].to_numpy())
        total += own
        row = next(r for r in result.symbols if r.symbol == symbol)
        assert row.trades == int((single.trades["status"] == "closed").sum())
        assert row.net_pnl == pytest.approx(single.final_value - 10_000.0, abs=1e-9)
        assert row.orders_submitted == single.orders_submitted
    np.testing.assert_allclose(result.equity["equity"], total, rtol=0, atol=1e-9)
    assert result.final_value == pytest.approx(float(total.iloc[-1]), abs=1e-9)


def test_shared_account_fixed_sizes_trade_as_each_symbol_alone():
    # Small fixed sizes never run out of shared cash, so each symbol's trades are its own
    # single run's, and its PnL column ends at that run's profit.
    frames = _frames()

    class Small(FixedCross):
        def next(self):
            if self.cross > 0 and not self.position:
                self.buy(size=10 / self.data.close[0])
            elif self.cross < 0 and self.position:
                self.close()

    result = _portfolio(Small, frames, "shared")
    for symbol, frame in frames.items():
        single = _single(Small, frame, symbol, 30_000.0)
        assert len(single.trades) > 10
        pd.testing.assert_frame_equal(_symbol_trades(result.trades, symbol),
                                      single.trades.drop(columns="trade_id"))
        assert result.equity[f"pnl_{symbol}"].iloc[-1] == pytest.approx(
            single.final_value - 30_000.0, abs=1e-6)
    pnl = sum(result.equity[f"pnl_{symbol}"] for symbol in frames)
    np.testing.assert_allclose(result.equity["equity"] - 30_000.0, pnl, rtol=0, atol=1e-6)


def test_shared_account_sizing_sees_the_whole_account():
    # 90% of the shared account per symbol: the later symbols' orders are refused for margin,
    # and those refusals are counted on their own rows.
    result = _portfolio(PercentCross, _frames(), "shared")
    rows = {row.symbol: row for row in result.symbols}
    assert rows["TOTAL"].orders_rejected == result.orders_rejected > 0
    assert sum(rows[s].orders_rejected for s in ("AAA", "BBB", "CCC")) == result.orders_rejected
    assert sum(rows[s].trades for s in ("AAA", "BBB", "CCC")) == rows["TOTAL"].trades
    assert rows["TOTAL"].net_pnl == pytest.approx(result.final_value - 30_000.0, abs=1e-6)
    contributions = sum(rows[s].return_contribution_pct for s in ("AAA", "BBB", "CCC"))
    assert contributions == pytest.approx(result.metrics["total_return_pct"], abs=1e-9)


class Seen(bt.Strategy):
    """Records what each instance sees: its datas' names and its bar count."""

    seen: dict[str, tuple[list[str], int]] = {}

    def stop(self):
        Seen.seen[self.data._name] = ([d._name for d in self.datas], len(self))


def test_each_instance_sees_its_own_symbol_and_confirmation_feeds():
    frames = _frames()
    Seen.seen = {}
    legs = [PortfolioLeg(symbol, frame) for symbol, frame in frames.items()]
    run_portfolio(PortfolioRequest(Seen, legs, "1h", {}, confirm_timeframes=("4h",),
                                   costs=COSTS))
    assert Seen.seen == {symbol: ([symbol, f"{symbol}-4h"], len(frame))
                         for symbol, frame in frames.items()}


def test_each_symbol_settles_its_own_funding():
    frames = {symbol: frame for symbol, frame in _frames().items() if symbol != "BBB"}
    index = pd.date_range("2022-01-01", periods=200, freq="8h")
    legs = [PortfolioLeg("AAA", frames["AAA"], funding=pd.Series(0.001, index=index)),
            PortfolioLeg("CCC", frames["CCC"])]
    request = PortfolioRequest(FixedCross, legs, "1h", {}, cash=30_000.0,
                               costs=CostModel(funding=0.0))
    result = run_portfolio(request)
    paid = result.trades.groupby("symbol")["funding"].sum()
    assert paid["AAA"] > 0.0
    assert paid["CCC"] == 0.0


def test_refuses_repeated_symbols():
    frame = _frames()["AAA"]
    with pytest.raises(UserError, match="AAA is listed twice"):
        run_portfolio(PortfolioRequest(PercentCross, [PortfolioLeg("AAA", frame)] * 2, "1h"))


def test_refuses_an_unknown_account_model():
    with pytest.raises(UserError, match="--accounts joint: expected one of shared, per-symbol"):
        run_portfolio(PortfolioRequest(PercentCross, [PortfolioLeg("AAA", _frames()["AAA"])],
                                       "1h", accounts="joint"))


class FailsOnBBB(PercentCross):
    """Raises at BBB's 300th bar; the other symbols run on until then."""

    def next(self):
        if self.data._name == "BBB" and len(self) == 300:
            raise ValueError("boom")
        super().next()


@pytest.mark.parametrize("accounts", ["shared", "per-symbol"])
def test_a_strategy_error_keeps_the_portfolio_up_to_that_bar(accounts):
    from backtrader_engine.strategies.failure import StrategyRunError

    frames = _frames()
    with pytest.raises(StrategyRunError) as caught:
        _portfolio(FailsOnBBB, frames, accounts)
    partial = caught.value.partial
    assert partial is not None and partial.partial
    failed_at = frames["BBB"].index[299]
    assert partial.equity.index[-1] == failed_at
    assert [row.symbol for row in partial.symbols] == ["AAA", "BBB", "CCC", "TOTAL"]
