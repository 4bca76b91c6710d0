"""The venue's lot rules: quantities rounded to the step, refusals below the minimums."""

from __future__ import annotations

import backtrader as bt
import pytest

from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.lot_rules import BELOW_MIN_NOTIONAL, BELOW_MIN_QTY, LotRules
from backtrader_engine.engine.summary_text import format_summary
from backtrader_engine.exchanges.bybit.venue import DEFAULT_INSTRUMENTS

from .test_broker import Script, flat_frame

BTC = LotRules.of(DEFAULT_INSTRUMENTS["BTCUSDT"])  # step 0.001, min 0.001, min value 5


def test_quantities_round_toward_zero_to_an_exact_multiple_of_the_step() -> None:
    assert BTC.round(0.0129) == 0.012 and BTC.round(-0.0129) == -0.012
    assert LotRules(0.1, 0.1).round(0.3) == 0.3  # 0.3 / 0.1 is 2.9999... in binary floats
    assert LotRules(0.01, 0.01).round(1.005) == 1.0
    assert BTC.round(0.0009) == 0.0


def test_orders_below_the_minimums_are_refused_unless_they_only_reduce_the_position() -> None:
    assert BTC.fit(0.0129, 20_000.0, 0.0) == (0.012, None, "")
    size, reason, message = BTC.fit(0.0009, 20_000.0, 0.0)
    assert (size, reason) == (0.0, BELOW_MIN_QTY) and "minimum order quantity 0.001" in message
    size, reason, message = BTC.fit(0.002, 1_000.0, 0.0)  # worth 2 USDT
    assert reason == BELOW_MIN_NOTIONAL and "minimum 5" in message
    # Adding to a position must meet the minimums; reducing or closing it need not.
    assert BTC.fit(0.0009, 20_000.0, 0.01)[1] == BELOW_MIN_QTY
    assert BTC.fit(-0.0005, 20_000.0, 0.0105)[:2] == (-0.0, BELOW_MIN_QTY)  # rounds to nothing
    assert BTC.fit(-0.0005, 20_000.0, 0.0005) == (-0.0005, None, "")  # the whole position
    assert BTC.fit(-0.0125, 20_000.0, 0.0125) == (-0.012, None, "")
    with pytest.raises(ValueError, match="qty_step"):
        LotRules(0.0, 0.001)
    assert LotRules.from_dict(BTC.as_dict()) == BTC


def test_a_backtest_with_lot_rules_trades_rounded_quantities_and_says_why_it_refuses() -> None:
    frame = flat_frame([20_000.0] * 8)
    plan = {1: [("buy", {"size": 0.0129})],
            2: [("buy", {"size": 0.0004})],  # below the minimum quantity
            3: [("sell", {"size": 0.0002, "exectype": bt.Order.Limit, "price": 30_000.0})],
            4: [("close", {})]}
    seen: list[tuple[str, float, dict]] = []

    class Recording(Script):
        def notify_order(self, order):
            super().notify_order(order)
            if order.status in (order.Completed, order.Rejected):
                seen.append((order.getstatusname(), order.executed.size, dict(order.info)))

    result = run_backtest(BacktestRequest(strategy=Recording, frame=frame, timeframe="1h",
                                          params={"plan": plan}, lot_rules=BTC,
                                          costs=CostModel(funding=0.0)))
    assert [(status, size) for status, size, _ in seen] == [
        ("Completed", 0.012), ("Rejected", 0.0), ("Rejected", 0.0), ("Completed", -0.012)]
    assert seen[0][2]["requested_size"] == 0.0129
    assert seen[1][2]["reject_reason"] == BELOW_MIN_QTY
    assert "below its minimum order quantity" in seen[1][2]["reject_message"]
    # The reducing limit order rounds to nothing: refused too. The close trades it all.
    assert len(result.trades) == 1 and result.trades["size"].abs().iloc[0] == pytest.approx(
        0.012)
    # Both refusals and the rounding are counted where the report and summary read them.
    assert result.rejections == {BELOW_MIN_QTY: 2}
    assert result.rejected_orders()["resized_to_lot_step"] == 1
    assert "1 order rounded down to the venue's quantity step" in format_summary(result)


def test_backtest_lot_rules_flag_rounds_every_trade_and_records_the_rules(cli, testdata,
                                                                          tmp_path) -> None:
    import json

    import pandas as pd

    data = str(testdata / "BTCUSDT-1m-2022-09-05.zip")
    common = ("backtest", "--strategy", "RSIEMAMomentumStrategy", "--data", data,
              "--symbol", "BTCUSDT", "--no-plots")
    plain = cli(*common, "--out", str(tmp_path / "plain"))
    fitted = cli(*common, "--lot-rules", "--out", str(tmp_path / "fitted"))
    assert plain.code == 0 and fitted.code == 0, fitted.err
    sizes = pd.read_csv(tmp_path / "fitted" / "trades.csv")["size"].abs()
    assert len(sizes) and all(abs(s * 1000 - round(s * 1000)) < 1e-6 for s in sizes)
    unfitted = pd.read_csv(tmp_path / "plain" / "trades.csv")["size"].abs()
    assert any(abs(s * 1000 - round(s * 1000)) > 1e-6 for s in unfitted)
    report = json.loads((tmp_path / "fitted" / "report.json").read_text(encoding="utf-8"))
    assert json.dumps(report).count('"lot_rules": {"qty_step": 0.001') == 1


def test_backtest_lot_rules_for_an_unknown_symbol_is_one_clear_line(one_clear_line, cli,
                                                                    testdata, tmp_path) -> None:
    result = cli("backtest", "--strategy", "RSIEMAMomentumStrategy", "--data",
                 str(testdata / "BTCUSDT-1m-2022-09-05.zip"), "--symbol", "DOGEUSDT",
                 "--lot-rules", "--no-plots", "--out", str(tmp_path / "x"))
    assert "--lot-rules: no lot rules known for DOGEUSDT" in one_clear_line(result)
