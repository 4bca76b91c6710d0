"""Default report folders are new each run; the summary counts amounts in the data's currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from backtrader_engine.engine.job import BacktestJob, run_backtest_job
from backtrader_engine.engine.report import new_report_folder
from backtrader_engine.engine.summary_text import format_summary

NOW = datetime(2026, 12, 5, 8, 15, 0, tzinfo=UTC)


def test_new_report_folder_never_reuses_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "runs"  # made on the way
    first = new_report_folder(root, "MyStrategy", NOW)
    second = new_report_folder(root, "MyStrategy", NOW)
    third = new_report_folder(root, "MyStrategy", NOW)
    assert [p.name for p in (first, second, third)] == [
        "MyStrategy-20261205-081500", "MyStrategy-20261205-081500-2",
        "MyStrategy-20261205-081500-3"]
    assert all(p.is_dir() for p in (first, second, third))


def test_new_report_folder_stamps_utc(tmp_path: Path) -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    assert new_report_folder(tmp_path, "S", local).name == "S-20261205-081500"
    assert new_report_folder(tmp_path, "T").name.startswith(f"T-{datetime.now(UTC):%Y%m%d}")


def test_summary_currency_is_given_or_left_out() -> None:
    result, _ = run_backtest_job(BacktestJob(strategy="RSIEMAMomentum", end="2017-08-15",
                                             plots=False), (0.00055, 0.0002))
    labelled = format_summary(result, "BTC-USD (Coinbase spot, USD)", "USD")
    assert labelled.splitlines()[0].startswith(
        "RSIEMAMomentumStrategy  BTC-USD (Coinbase spot, USD) 1h  ")
    assert labelled.splitlines()[1].startswith("cash 10,000 USD  ")
    for row in ("Final value (USD)", "Expectancy (USD)", "Fees paid (USD)",
                "Funding paid (USD)"):
        assert f"  {row}" in labelled
    plain = format_summary(result)  # library default: the request's symbol, no unit
    assert plain.splitlines()[0].startswith("RSIEMAMomentumStrategy  BTCUSD 1h  ")
    assert "USD" not in plain.replace("BTCUSD", "")
