"""Where ``run_backtest_job`` writes a report, and how a summary names the instrument."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtrader_engine.data import bundled_datasets
from backtrader_engine.engine.job import (
    BacktestJob,
    instrument_label,
    prepare_backtest,
    quote_currency,
    run_backtest_job,
)
from backtrader_engine.engine.lot_rules import LotRules

FEES = (0.00055, 0.0002)


def _job(**kwargs: object) -> BacktestJob:
    return BacktestJob(strategy="RSIEMAMomentum", end="2017-08-15", plots=False,
                       **kwargs)  # type: ignore[arg-type]


def test_runs_dir_gets_a_new_folder_named_after_the_strategy_class(tmp_path: Path) -> None:
    _, paths = run_backtest_job(_job(), FEES, runs_dir=tmp_path / "runs")
    assert paths is not None and paths.report.is_file()
    assert paths.directory.parent == tmp_path / "runs"
    assert paths.directory.name.startswith("RSIEMAMomentumStrategy-")


def test_out_wins_over_runs_dir_and_no_folder_means_no_report(tmp_path: Path) -> None:
    _, paths = run_backtest_job(_job(out=tmp_path / "mine"), FEES, runs_dir=tmp_path / "runs")
    assert paths is not None and paths.directory == tmp_path / "mine"
    assert not (tmp_path / "runs").exists()
    # Library callers (studies, benchmarks) that give neither still get no files.
    assert run_backtest_job(_job(), FEES)[1] is None


def test_lot_rules_come_from_the_callers_lookup_for_the_traded_symbol() -> None:
    asked: list[str] = []

    def lookup(symbol: str) -> LotRules:
        asked.append(symbol)
        return LotRules(0.01, 0.02, 5.0)

    request, _ = prepare_backtest(_job(symbol="ETHUSDT", lot_rules=lookup), FEES)
    assert asked == ["ETHUSDT"] and request.lot_rules == LotRules(0.01, 0.02, 5.0)
    # Without a lookup the engine fits no quantity to any venue.
    assert prepare_backtest(_job(symbol="ETHUSDT"), FEES)[0].lot_rules is None


@pytest.mark.parametrize("symbol, quote", [
    ("BTCUSDT", "USDT"), ("btc-usd", "USD"), ("ETH/USDC", "USDC"), ("BTC/USDT:USDT", "USDT"),
    ("BTCEUR", "EUR"), ("BTC-PERP", None), ("USDT", None), ("XBT/USD:BTC", None)])
def test_quote_currency(symbol: str, quote: str | None) -> None:
    assert quote_currency(symbol) == quote


def test_instrument_label_prefers_the_data_then_the_symbol(testdata: Path) -> None:
    bundled = bundled_datasets()["BTCUSD-1h-coinbase"]
    assert instrument_label(bundled, None) == ("BTC-USD (Coinbase spot, USD)", "USD")
    # The data's own facts win over a --symbol that only labels it.
    assert instrument_label(bundled, "BTCUSDT") == ("BTC-USD (Coinbase spot, USD)", "USD")
    csv = testdata / "SOLUSDT.csv"
    assert instrument_label(csv, "SOLUSDT") == ("SOLUSDT", "USDT")
    assert instrument_label(csv, None) == ("unlabelled data (SOLUSDT.csv)", None)
