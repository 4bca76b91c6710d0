"""Every report metric against an independent computation from trades.csv and equity.csv."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TESTDATA, run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    testdata_dir = TESTDATA
    out = tmp_path_factory.mktemp("report")
    result = run_cli("backtest", "--strategy", f"{FIXTURES / 'user_strategy.py'}:TwoWayMomentum",
                     "--data", str(testdata_dir / "Coinbase_BTCUSD_1h.csv"),
                     "--from", "2018-01-01", "--to", "2019-06-30", "--param", "size=0.4",
                     "--leverage", "2", "--funding", "0.0001", "--slippage-bps", "2",
                     "--out", str(out))
    assert result.code == 0, result.err
    return out


@pytest.fixture(scope="module")
def files(report_dir):
    report = json.loads((report_dir / "report.json").read_text())
    trades = pd.read_csv(report_dir / "trades.csv", parse_dates=["entry_time", "exit_time"])
    equity = pd.read_csv(report_dir / "equity.csv", parse_dates=["datetime"],
                         index_col="datetime")
    return report["metrics"], report["manifest"], trades, equity


def test_all_report_files_exist(report_dir):
    for name in ("report.json", "trades.csv", "equity.csv", "equity.png", "trades.png"):
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert (report_dir / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_required_metrics_present(files):
    metrics, *_ = files
    required = {"final_value", "total_return_pct", "cagr_pct", "max_drawdown_pct",
                "max_drawdown_duration", "sharpe", "sortino", "calmar", "rmd", "win_rate_pct",
                "profit_factor", "expectancy", "sqn", "trades", "exposure_pct", "fees_paid",
                "funding_paid", "liquidations"}
    assert required <= set(metrics)
    assert metrics["trades"] > 20


def test_accounting_identity(files):
    metrics, _, trades, equity = files
    # Initial cash plus every trade's net PnL (open ones marked to the last close) is the end.
    assert 10_000.0 + trades["net_pnl"].sum() == pytest.approx(metrics["final_value"], abs=1e-3)
    assert equity["equity"].iloc[-1] == pytest.approx(metrics["final_value"], abs=1e-6)
    assert trades["fees"].sum() == pytest.approx(metrics["fees_paid"], rel=1e-9)
    assert trades["funding"].sum() == pytest.approx(metrics["funding_paid"], rel=1e-9)
    assert metrics["funding_paid"] != 0.0
    net = trades["gross_pnl"] - trades["fees"] - trades["funding"]
    np.testing.assert_allclose(net, trades["net_pnl"], atol=1e-6)


def test_trade_prices_explain_gross_pnl(files):
    _, _, trades, _ = files
    closed = trades[trades["status"] == "closed"]
    sign = np.where(closed["side"] == "long", 1.0, -1.0)
    gross = sign * closed["size"] * (closed["exit_price"] - closed["entry_price"])
    np.testing.assert_allclose(gross, closed["gross_pnl"], rtol=1e-6, atol=1e-6)


def test_return_drawdown_and_ratios(files):
    metrics, _, _, equity = files
    eq = equity["equity"].to_numpy()
    assert metrics["total_return_pct"] == pytest.approx((eq[-1] / 10_000.0 - 1) * 100)
    peak, worst = 10_000.0, 0.0
    for value in eq:
        peak = max(peak, value)
        worst = max(worst, (peak - value) / peak * 100)
    assert metrics["max_drawdown_pct"] == pytest.approx(worst)
    assert metrics["rmd"] == pytest.approx(metrics["total_return_pct"] / worst)
    years = ((equity.index[-1] - equity.index[0]) + pd.Timedelta(hours=1)).total_seconds() / (
        365 * 86400)
    cagr = ((eq[-1] / 10_000.0) ** (1 / years) - 1) * 100
    assert metrics["cagr_pct"] == pytest.approx(cagr)
    assert metrics["calmar"] == pytest.approx(cagr / worst)


def test_daily_sharpe_and_sortino(files):
    metrics, _, _, equity = files
    by_day = equity["equity"].groupby(equity.index.date).last()
    returns = by_day.to_numpy()[1:] / by_day.to_numpy()[:-1] - 1
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(365)
    downside = math.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    assert metrics["sharpe"] == pytest.approx(sharpe)
    assert metrics["sortino"] == pytest.approx(returns.mean() / downside * math.sqrt(365))


def test_trade_statistics(files):
    metrics, _, trades, _ = files
    pnl = trades.loc[trades["status"] == "closed", "net_pnl"].to_numpy()
    assert metrics["trades"] == len(pnl)
    assert metrics["win_rate_pct"] == pytest.approx(100 * (pnl > 0).sum() / len(pnl))
    assert metrics["profit_factor"] == pytest.approx(pnl[pnl > 0].sum() / -pnl[pnl < 0].sum())
    assert metrics["expectancy"] == pytest.approx(pnl.mean())
    assert metrics["sqn"] == pytest.approx(math.sqrt(len(pnl)) * pnl.mean() / pnl.std(ddof=1))
    longs = (trades["side"] == "long") & (trades["status"] == "closed")
    assert metrics["long_trades"] == int(longs.sum()) > 0
    assert metrics["short_trades"] == len(pnl) - int(longs.sum()) > 0


def test_exposure_and_drawdown_duration(files):
    metrics, _, _, equity = files
    assert metrics["exposure_pct"] == pytest.approx(100 * (equity["notional"] > 0).mean())
    # Longest stretch below a previous peak, measured bar by bar.
    eq = equity["equity"].to_numpy()
    times = equity.index
    longest, peak_i, peak = pd.Timedelta(0), 0, eq[0]
    for i, value in enumerate(eq):
        if value >= peak:
            longest = max(longest, times[i] - times[peak_i]) if i - peak_i > 1 else longest
            peak, peak_i = value, i
    longest = max(longest, times[-1] - times[peak_i])
    assert pd.Timedelta(metrics["max_drawdown_duration"]) == longest


def test_manifest_makes_the_run_repeatable(files, testdata):
    import hashlib

    _, manifest, _, _ = files
    data = testdata / "Coinbase_BTCUSD_1h.csv"
    assert manifest["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    source = (FIXTURES / "user_strategy.py").read_bytes()
    assert manifest["strategy_source_sha256"] == hashlib.sha256(source).hexdigest()
    assert manifest["params"]["size"] == 0.4
    assert manifest["params"]["fast"] == 12
    assert manifest["costs"]["leverage"] == 2.0
    assert manifest["date_range"][0].startswith("2018-01-01")
    assert {"backtrader", "numpy", "pandas", "python"} <= set(manifest["versions"])
    assert "--strategy" in manifest["command"]
