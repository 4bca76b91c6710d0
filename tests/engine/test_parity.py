"""An unmodified third-party strategy gives plain backtrader's result through our backtest path."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import backtrader as bt
import pytest

from backtrader_engine.data import load_ohlcv

FIXTURES = Path(__file__).resolve().parent / "fixtures"
USER_FILE = FIXTURES / "user_strategy.py"
FEE = 0.0006


def plain_backtrader_value(frame, strategy_cls, cash: float, **params) -> tuple[float, int, int]:
    """Final value, long entries and short entries of a stock backtrader run."""
    cerebro = bt.Cerebro()
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(strategy_cls, **params)
    cerebro.broker.setcash(cash)
    cerebro.broker.setcommission(commission=FEE)
    cerebro.addanalyzer(bt.analyzers.TradeAnalyzer, _name="ta")
    strategy = cerebro.run()[0]
    ta = strategy.analyzers.ta.get_analysis()
    longs = ta.get("long", {}).get("total", 0)
    shorts = ta.get("short", {}).get("total", 0)
    return cerebro.broker.getvalue(), longs, shorts


@pytest.mark.parametrize("data_name", ["BTCUSDT-1m-2022-09-05.zip", "BTCUSDT-1m-2022-09-06.zip"])
def test_user_strategy_file_matches_plain_backtrader(cli, testdata, tmp_path, data_name):
    data = testdata / data_name
    out = tmp_path / "run"
    result = cli("backtest", "--strategy", f"{USER_FILE}:TwoWayMomentum", "--data", str(data),
                 "--out", str(out), "--cash", "10000", "--slippage-bps", "0", "--funding", "0",
                 "--leverage", "1", "--taker-fee", str(FEE), "--maker-fee", str(FEE),
                 "--no-plots")
    assert result.code == 0, result.err
    ours = json.loads((out / "report.json").read_text())["metrics"]

    spec = importlib.util.spec_from_file_location("parity_user_strategy", USER_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # backtrader looks strategy modules up by name
    spec.loader.exec_module(module)
    expected, longs, shorts = plain_backtrader_value(load_ohlcv(data), module.TwoWayMomentum,
                                                     10_000.0)
    assert longs > 0 and shorts > 0, "the fixture must trade both directions"
    # TradeAnalyzer counts long/short on close, like our closed-trade counts.
    assert ours["long_trades"] + ours["short_trades"] == longs + shorts
    assert ours["final_value"] == pytest.approx(expected, abs=1e-4)
    assert ours["final_value"] != pytest.approx(10_000.0, abs=1.0), "the run must trade"
