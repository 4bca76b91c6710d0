"""order_target_* calls that round to zero whole units are reported, never silent."""

from __future__ import annotations

import json

import backtrader as bt

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.summary_text import format_summary


class TargetValue(bt.Strategy):
    params = (("target", 1_000.0),)

    def next(self):
        self.order_target_value(target=self.p.target)


def _run(target: float, cash: float = 10_000.0):
    frame = load_ohlcv(default_dataset()).loc["2017-12-01":"2017-12-03"]
    return run_backtest(BacktestRequest(strategy=TargetValue, frame=frame, timeframe="1h",
                                        params={"target": target}, cash=cash,
                                        costs=CostModel(funding=0.0)))


def test_a_target_below_one_unit_places_nothing_and_says_so():
    # BTC traded above 10,000 then: a 1,000 target is less than one whole unit every bar.
    result = _run(1_000.0)
    assert result.orders_submitted == 0 and result.metrics["trades"] == 0
    bars = 72
    assert result.sized_to_zero == bars
    assert result.rejected_orders()["target_calls_below_one_unit"] == bars
    assert f"{bars} order_target_* calls below one whole unit" in format_summary(result)
    warning = result.sizing_warning()
    assert warning is not None and warning.startswith(
        f"warning: {bars} order_target_value/order_target_percent calls asked for less than "
        "one whole unit")


def test_a_reachable_target_warns_nothing():
    # 40,000 is three to four whole units: bought once, then re-targeted every bar with a
    # remainder below one unit, which is ordinary rounding of a held position.
    result = _run(40_000.0, cash=100_000.0)
    assert result.orders_submitted >= 1 and result.metrics["open_trades"] == 1
    assert result.rejections == {}
    assert result.sized_to_zero == 0
    assert result.rejected_orders()["target_calls_below_one_unit"] == 0
    assert result.sizing_warning() is None


def test_the_cli_warns_on_stderr(cli, tmp_path):
    strategy = tmp_path / "tiny.py"
    strategy.write_text("import backtrader as bt\n\n\nclass Tiny(bt.Strategy):\n"
                        "    def next(self):\n        self.order_target_percent(target=0.01)\n")
    out = tmp_path / "run"
    result = cli("backtest", "--strategy", f"{strategy}:Tiny", "--from", "2017-12-01",
                 "--to", "2017-12-02", "--no-plots", "--out", str(out))
    assert result.code == 0, result.err
    report = json.loads((out / "report.json").read_text())
    assert report["rejected_orders"]["target_calls_below_one_unit"] == 48
    assert "48 order_target_value/order_target_percent calls" in result.err
