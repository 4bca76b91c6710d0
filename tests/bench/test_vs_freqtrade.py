"""bench/vs_freqtrade.py's parts that need no freqtrade: trade matching, markets, price grid."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from freqtrade_env import on_price_grid  # noqa: E402
from freqtrade_offline import EXCHANGE, PAIR, offline_markets  # noqa: E402
from trade_match import Trade, match_trades  # noqa: E402

T0 = datetime(2022, 9, 5)


def trade(entry: int, exit_: int | None, price: float = 100.0, **kw) -> Trade:
    return Trade(entry_time=T0 + timedelta(minutes=entry), entry_price=price,
                 exit_time=None if exit_ is None else T0 + timedelta(minutes=exit_),
                 exit_price=None if exit_ is None else price + 1.0, **kw)


def test_identical_lists_agree_with_zero_price_difference() -> None:
    trades = [trade(1, 5), trade(9, 12), trade(20, 31)]
    result = match_trades(trades, list(trades))
    assert result.agrees
    assert result.statement("bte", "freqtrade").startswith(
        "trades: 3 (bte) vs 3 (freqtrade), 3 matched on entry/exit time, max price diff 0 ")
    assert result.mismatch_lines("bte", "freqtrade") == []


def test_open_trade_matches_a_force_exit_on_its_entry_only() -> None:
    left = [trade(1, 5), trade(9, None)]
    right = [trade(1, 5), Trade(T0 + timedelta(minutes=9), 100.0, T0 + timedelta(minutes=99),
                                50.0, closed_at_end=True)]
    result = match_trades(left, right)
    assert result.agrees and result.left_open_at_end == 1
    assert result.max_price_diff == 0.0  # the force-exit price is not compared
    assert "1 open at the end" in result.statement("bte", "freqtrade")


def test_missing_extra_and_moved_exits_are_reported() -> None:
    left = [trade(1, 5), trade(9, 12), trade(40, 44)]
    right = [trade(1, 5), trade(9, 13), trade(50, 52)]
    result = match_trades(left, right)
    assert not result.agrees
    assert result.matched == 1
    assert [t.entry_time.minute for t in result.only_left] == [40]
    assert [t.entry_time.minute for t in result.only_right] == [50]
    assert len(result.exit_differs) == 1
    lines = result.mismatch_lines("bte", "freqtrade")
    assert lines[0].startswith("  1 only in bte: 2022-09-05 00:40 -> 2022-09-05 00:44")
    assert "exit 2022-09-05 00:12 vs 2022-09-05 00:13" in lines[2]


def test_prices_agree_within_the_csv_precision_only() -> None:
    close = [trade(1, 5, price=10542.78291508)]
    assert match_trades(close, [trade(1, 5, price=10542.78292)]).agrees
    far = match_trades(close, [trade(1, 5, price=10542.8)])
    assert not far.agrees and far.matched == 1 and far.max_price_diff > 0.01


def test_closed_pnl_leaves_out_open_and_force_exited_trades() -> None:
    left = [trade(1, 5, net_pnl=2.0), trade(9, None, net_pnl=100.0)]
    right = [trade(1, 5, net_pnl=1.5), trade(9, 20, net_pnl=-7.0, closed_at_end=True)]
    result = match_trades(left, right)
    assert (result.left_pnl, result.right_pnl) == (2.0, 1.5)


def test_markets_are_one_ccxt_spot_market() -> None:
    markets = offline_markets(0.0006)
    assert EXCHANGE == "binance" and list(markets) == [PAIR]
    market = markets[PAIR]
    assert (market["base"], market["quote"], market["id"]) == ("BTC", "USDT", "BTCUSDT")
    assert market["spot"] and market["active"] and not market["contract"]
    assert market["type"] == "spot" and market["taker"] == market["maker"] == 0.0006
    assert set(market["precision"]) >= {"amount", "price"}
    assert all(market["limits"][k]["min"] < market["limits"][k]["max"]
               for k in ("amount", "price", "cost"))


def test_price_grid_keeps_candles_valid_and_on_eight_decimals() -> None:
    rng = np.random.default_rng(3)
    close = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
    frame = pd.DataFrame({"open": close * 1.0001, "close": close, "volume": 1.0},
                         index=pd.date_range("2022-09-05", periods=500, freq="1min"))
    frame["high"] = frame[["open", "close"]].max(axis=1) * (1 + 1e-9)
    frame["low"] = frame[["open", "close"]].min(axis=1)
    out = on_price_grid(frame)
    assert (out["high"] >= out[["open", "close"]].max(axis=1)).all()
    assert (out["low"] <= out[["open", "close"]].min(axis=1)).all()
    for value in out[["open", "high", "low", "close"]].to_numpy().ravel():
        assert float(f"{value:.8f}") == value
    assert np.abs(out["close"] - frame["close"]).max() <= 5e-9
