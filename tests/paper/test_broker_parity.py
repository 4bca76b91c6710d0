"""The paper broker on a live feed against the backtest on the same candles."""

from __future__ import annotations

import queue
from collections.abc import Callable

import pandas as pd
import pytest

from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.paper.broker import PaperBroker
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.feed import STOP, make_live_feeds
from backtrader_engine.strategies import resolve_strategy

COLUMNS = ["side", "entry_time", "exit_time", "size", "entry_price", "exit_price", "fees",
           "net_pnl"]


def run_paper(strategy: str, contexts: list[BarContext], *, fill_model: str,
              confirm: tuple[str, ...] = (), warmup: list[BarContext] | None = None,
              costs: CostModel | None = None) -> PaperBroker:
    inbox: queue.Queue[object] = queue.Queue()
    for ctx in contexts:
        inbox.put(ctx)
    inbox.put(STOP)
    feeds = make_live_feeds("BTCUSDT", "1m", confirm, inbox, warmup or [], qcheck=0.01)
    broker = PaperBroker(fill_model=fill_model)
    broker.setcash(10_000.0)
    broker.addcommissioninfo((costs or CostModel(funding=0.0)).commission_info())
    feeds[0].p.idle_check = lambda: bool(broker.notifs)
    build_cerebro(resolve_strategy(strategy), {}, feeds, broker, live=True).run()
    return broker


@pytest.mark.parametrize(("strategy", "confirm"), [
    ("RSIEMAMomentumStrategy", ("15m",)),
    ("BollingerReversionStrategy", ()),
])
def test_bar_fill_model_reproduces_the_backtest(
        strategy: str, confirm: tuple[str, ...], btc_1m: pd.DataFrame,
        to_contexts: Callable[..., list[BarContext]]) -> None:
    costs = CostModel(funding=0.0)
    expected = run_backtest(BacktestRequest(resolve_strategy(strategy), btc_1m, "1m", {},
                                            confirm_timeframes=confirm, cash=10_000.0,
                                            costs=costs))
    broker = run_paper(strategy, to_contexts(btc_1m), fill_model="bar", confirm=confirm)
    got = broker.trades_frame()
    assert len(got) == len(expected.trades) > 5
    pd.testing.assert_frame_equal(got[COLUMNS].reset_index(drop=True),
                                  expected.trades[COLUMNS].reset_index(drop=True))
    assert broker.getvalue() == pytest.approx(expected.final_value, rel=1e-12)


def test_book_fills_enter_on_the_signal_bar_at_the_quote(
        btc_1m: pd.DataFrame, to_contexts: Callable[..., list[BarContext]]) -> None:
    contexts = to_contexts(btc_1m, spread=1.0, depth=50.0)
    broker = run_paper("RSIEMAMomentumStrategy", contexts, fill_model="book")
    trades = broker.trades_frame()
    assert len(trades) > 5
    by_close = {pd.Timestamp(c.close_time, unit="ms"): c for c in contexts}
    for trade in trades.itertuples():
        # Filled when the bar the strategy acted on closed (the next bar's open time, when
        # the backtest fills), at that bar's quote: its close plus half the spread.
        ctx = by_close[trade.entry_time]
        quote = ctx.asks[0][0] if trade.side == "long" else ctx.bids[0][0]
        assert trade.entry_price == pytest.approx(quote)


def test_orders_on_warmup_history_are_rejected(
        btc_1m: pd.DataFrame, to_contexts: Callable[..., list[BarContext]]) -> None:
    warm = to_contexts(btc_1m.iloc[:700], source="warmup", spread=1.0, depth=50.0)
    live = to_contexts(btc_1m.iloc[700:], spread=1.0, depth=50.0)
    broker = run_paper("RSIEMAMomentumStrategy", live, fill_model="book", warmup=warm)
    trades = broker.trades_frame()
    assert len(trades) > 0
    assert trades["entry_time"].min() >= btc_1m.index[700]


USER_STRATEGY = '''
import backtrader as bt


class SmaCross(bt.Strategy):
    """A user's plain strategy: no base class, no confidence, a bracket on each entry."""

    params = (("fast", 10), ("slow", 30))

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast),
                                      bt.ind.SMA(period=self.p.slow))

    def next(self):
        if self.position or any(o.alive() for o in self.broker.get_orders_open()):
            return
        price = self.data.close[0]
        if self.cross > 0:
            self.buy_bracket(size=0.05, limitprice=price * 1.004, stopprice=price * 0.996,
                             exectype=bt.Order.Market)
        elif self.cross < 0:
            self.sell_bracket(size=0.05, limitprice=price * 0.996, stopprice=price * 1.004,
                              exectype=bt.Order.Market)
'''


def test_a_users_plain_strategy_file_runs_unchanged_in_both(
        tmp_path, btc_1m: pd.DataFrame, to_contexts: Callable[..., list[BarContext]]) -> None:
    path = tmp_path / "user_strategy.py"
    path.write_text(USER_STRATEGY)
    spec = f"{path}:SmaCross"
    costs = CostModel(funding=0.0)
    expected = run_backtest(BacktestRequest(resolve_strategy(spec), btc_1m, "1m", {},
                                            cash=10_000.0, costs=costs))
    broker = run_paper(spec, to_contexts(btc_1m), fill_model="bar")
    got = broker.trades_frame()
    assert len(got) == len(expected.trades) > 5
    pd.testing.assert_frame_equal(got[COLUMNS].reset_index(drop=True),
                                  expected.trades[COLUMNS].reset_index(drop=True))
