"""Orders that are not accepted are counted by reason and shown: report.json, summary, warning."""

from __future__ import annotations

import json
from pathlib import Path

import backtrader as bt
import pytest

from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.optimize.objectives import evaluate
from tests.conftest import TESTDATA, run_cli, synthetic_ohlcv

DATA = TESTDATA / "Coinbase_BTCUSD_1h.csv"

# Seven market buys far beyond the cash (Margin), one resting limit at half the price that
# runs out after two hours (Expired), then one small buy that fills and one close that fills.
OVER_ORDERING = '''
import datetime

import backtrader as bt


class OverOrder(bt.Strategy):
    params = (("too_big", 7),)

    def next(self):
        bar = len(self)
        if bar <= self.p.too_big:
            self.buy(size=1_000_000)
        elif bar == self.p.too_big + 1:
            self.buy(size=0.01, exectype=bt.Order.Limit, price=self.data.close[0] * 0.5,
                     valid=datetime.timedelta(hours=2))
        elif bar == self.p.too_big + 5:
            self.buy(size=0.01)
        elif bar == self.p.too_big + 8:
            self.close()
'''


def strategy_file(tmp_path: Path, source: str, name: str) -> str:
    path = tmp_path / "strategies.py"
    path.write_text(source)
    return f"{path}:{name}"


def backtest(tmp_path: Path, spec: str, out: Path, *extra: str):
    return run_cli("backtest", "--strategy", spec, "--data", str(DATA), "--from", "2018-01-01",
                   "--to", "2018-01-10", "--no-plots", "--out", str(out), *extra)


def test_over_ordering_is_counted_in_the_report_summary_and_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = backtest(tmp_path, strategy_file(tmp_path, OVER_ORDERING, "OverOrder"), out)
    assert result.code == 0, result.err
    report = json.loads((out / "report.json").read_text())
    assert report["rejected_orders"] == {
        "total": 8, "orders_submitted": 10,
        "by_reason": {"margin": 7, "expired": 1, "rejected": 0}, "resized_to_lot_step": 0,
        "target_calls_below_one_unit": 0}
    assert report["rejected_orders"]["by_reason"]["margin"] == 7
    assert list(report) == ["metrics", "rejected_orders", "manifest"]
    # The summary table: a row and what refused the orders.
    row = next(line for line in result.out.splitlines() if "Orders rejected" in line)
    assert row.split() == ["Orders", "rejected", "8", "of", "10"]
    assert ("    7 orders rejected: insufficient margin; 1 order expired unfilled (valid=)"
            in result.out.splitlines())
    # One warning line on stderr, and nothing about it on stdout.
    assert result.err.splitlines() == [
        "warning: 8 of 10 orders were not accepted (7 insufficient margin, 1 expired "
        "unfilled (valid=)); see report.json rejected_orders"]
    assert "warning:" not in result.out
    assert report["metrics"]["trades"] == 1  # the accepted buy and its close


def test_a_run_without_refusals_reports_zeros_and_warns_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    spec = strategy_file(tmp_path, OVER_ORDERING, "OverOrder")
    result = backtest(tmp_path, spec, out, "--param", "too_big=0")
    assert result.code == 0, result.err
    report = json.loads((out / "report.json").read_text())
    # The valid= limit is still placed (bar 1) and still expires: only it is refused.
    assert report["rejected_orders"] == {
        "total": 1, "orders_submitted": 3,
        "by_reason": {"expired": 1, "margin": 0, "rejected": 0}, "resized_to_lot_step": 0,
        "target_calls_below_one_unit": 0}
    assert "1 of 3 orders were not accepted (1 expired unfilled (valid=))" in result.err

    clean = tmp_path / "clean"
    result = run_cli("backtest", "--strategy", f"{Path(__file__).parent / 'fixtures'}"
                     "/user_strategy.py:TwoWayMomentum", "--data", str(DATA), "--from",
                     "2018-01-01", "--to", "2018-02-01", "--no-plots", "--out", str(clean))
    assert result.code == 0, result.err
    report = json.loads((clean / "report.json").read_text())
    rejected = report["rejected_orders"]
    assert rejected["total"] == 0 and rejected["orders_submitted"] > 10
    assert rejected["by_reason"] == {"margin": 0, "expired": 0, "rejected": 0}
    assert "warning" not in result.err
    row = next(line for line in result.out.splitlines() if "Orders rejected" in line)
    assert row.split() == ["Orders", "rejected", "0", "of", str(rejected["orders_submitted"])]
    assert "orders rejected:" not in result.out


class TargetPercent(bt.Strategy):
    """Re-targets 100% of the equity each bar: with fees every top-up is refused (Margin)."""

    seen: list[tuple[int, str]] = []

    def next(self):
        self.order_target_percent(target=1.0 if len(self) % 40 < 20 else -1.0)

    def notify_order(self, order):
        type(self).seen.append((order.ref, order.getstatusname()))


def test_order_target_percent_margin_refusals_match_the_strategys_notifications() -> None:
    TargetPercent.seen = []
    frame = synthetic_ohlcv(400, freq="1h", vol=0.01)
    result = run_backtest(BacktestRequest(TargetPercent, frame, "1h", cash=10_000.0,
                                          costs=CostModel(funding=0.0)))
    refs = {ref for ref, _ in TargetPercent.seen}
    margin = {ref for ref, status in TargetPercent.seen if status == "Margin"}
    assert len(margin) > 20
    assert result.rejections == {"margin": len(margin)}
    assert result.orders_submitted == len(refs)
    assert result.rejection_warning() == (
        f"warning: {len(margin)} of {len(refs)} orders were not accepted ({len(margin)} "
        "insufficient margin); see report.json rejected_orders")


class TinyOrders(bt.Strategy):
    """Orders below the venue's minimum quantity every 10 bars, and one that fits."""

    def next(self):
        if len(self) == 3:
            self.buy(size=0.05)
        elif len(self) % 10 == 0 and len(self) <= 50:
            self.buy(size=0.004)


def test_lot_rule_refusals_count_under_the_brokers_reason() -> None:
    frame = synthetic_ohlcv(60, freq="1h")
    result = run_backtest(BacktestRequest(TinyOrders, frame, "1h",
                                          lot_rules=LotRules(0.001, 0.01, 0.0)))
    assert result.rejections == {"venue_min_qty": 5}
    assert result.orders_submitted == 6
    section = result.rejected_orders()
    assert section["by_reason"] == {"venue_min_qty": 5, "expired": 0, "margin": 0,
                                    "rejected": 0}
    assert section["total"] == 5


def test_an_optimiser_trial_records_its_refused_orders() -> None:
    TargetPercent.seen = []
    frame = synthetic_ohlcv(400, freq="1h", vol=0.01)
    request = BacktestRequest(TargetPercent, frame, "1h", costs=CostModel(funding=0.0))
    outcome = evaluate(request, {}, "rmd", 0)
    margin = {ref for ref, status in TargetPercent.seen if status == "Margin"}
    assert outcome.metrics["orders_rejected"] == len(margin) > 20
    json.dumps(outcome.metrics, allow_nan=False)


@pytest.mark.parametrize("too_big", [0, 3])
def test_summary_and_report_section_come_from_the_same_counts(tmp_path: Path,
                                                              too_big: int) -> None:
    from backtrader_engine.engine.summary_text import format_summary
    from backtrader_engine.strategies import resolve_strategy

    spec = strategy_file(tmp_path, OVER_ORDERING, "OverOrder")
    frame = synthetic_ohlcv(30, freq="1h", price=20_000.0)
    result = run_backtest(BacktestRequest(resolve_strategy(spec), frame, "1h",
                                          params={"too_big": too_big}))
    assert result.rejections == ({"margin": too_big, "expired": 1} if too_big
                                 else {"expired": 1})
    summary = format_summary(result).splitlines()
    expected = (f"{too_big} orders rejected: insufficient margin; " if too_big else "")
    assert f"    {expected}1 order expired unfilled (valid=)" in summary
