"""End to end: a strategy file run by ``python -m backtrader_engine backtest`` at zero slippage,
zero funding and 1x gives stock backtrader's final value on the same candles."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import backtrader as bt

from tests.engine.conformance.harness import (
    CASH,
    MONEY_TOL,
    bundled_candles,
    stock_cerebro,
)

REPO = Path(__file__).resolve().parents[3]
START, END = "2018-06-01", "2018-06-30"

USER_FILE = textwrap.dedent('''
    import backtrader as bt


    class TrendAndTrail(bt.Strategy):
        params = dict(fast=12, slow=40, size=0.5)

        def __init__(self):
            fast = bt.ind.EMA(period=self.p.fast)
            slow = bt.ind.EMA(period=self.p.slow)
            self.cross = bt.ind.CrossOver(fast, slow)
            self.trail = None

        def notify_order(self, order):
            if self.trail is not None and order.ref == self.trail.ref and not order.alive():
                self.trail = None

        def next(self):
            if self.cross > 0:
                if self.trail is not None:
                    self.cancel(self.trail)
                self.order_target_size(target=self.p.size)
            elif self.cross < 0:
                if self.trail is not None:
                    self.cancel(self.trail)
                self.order_target_size(target=-self.p.size)
            elif self.position and self.trail is None:
                self.trail = self.close(exectype=bt.Order.StopTrail, trailpercent=0.02)
''')


def stock_final_value(path: Path, fee: float) -> tuple[float, int]:
    spec = importlib.util.spec_from_file_location("conformance_cli_user_strategy", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # backtrader registers line classes in the module
    spec.loader.exec_module(module)
    cerebro = stock_cerebro(bundled_candles().loc[START:END], "1h", (), CASH, fee)
    cerebro.addstrategy(module.TrendAndTrail)
    cerebro.addanalyzer(bt.analyzers.TradeAnalyzer, _name="trades")
    strategy = cerebro.run()[0]
    closed = strategy.analyzers.trades.get_analysis().get("total", {}).get("closed", 0)
    return cerebro.broker.getvalue(), closed


def test_cli_backtest_matches_stock_backtrader(tmp_path: Path) -> None:
    fee = 0.0
    path = tmp_path / "user_strategy.py"
    path.write_text(USER_FILE)
    out = tmp_path / "report"
    command = [sys.executable, "-m", "backtrader_engine", "backtest",
               "--strategy", f"{path}:TrendAndTrail", "--from", START, "--to", END,
               "--cash", str(CASH), "--leverage", "1", "--taker-fee", str(fee),
               "--maker-fee", str(fee), "--slippage-bps", "0", "--funding", "0",
               "--out", str(out), "--no-plots"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ours = json.loads((out / "report.json").read_text())["metrics"]["final_value"]
    expected, closed = stock_final_value(path, fee)
    assert closed > 0, "the strategy must trade"
    assert abs(ours - expected) <= MONEY_TOL * CASH, f"final value {ours} vs stock {expected}"
