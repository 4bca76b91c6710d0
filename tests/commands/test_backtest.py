"""``backtest`` without --out writes its report to a new runs/<Strategy>-<UTC time>/ folder,
and the summary names the instrument and currency from what is known about the data."""

from __future__ import annotations

import json
import re
from pathlib import Path

from backtrader_engine.data import bundled_datasets

# A quarter of the bundled hourly candles and no plots keep each run to about a second.
SHORT = ("--to", "2017-10-01", "--no-plots")
FOLDER = re.compile(r"RSIEMAMomentumStrategy-\d{8}-\d{6}(-\d+)?")


def test_backtest_without_out_writes_a_new_folder_each_run(cli, fresh_cwd: Path) -> None:
    first = cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT)
    second = cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT)
    assert first.code == 0 and second.code == 0, (first.err, second.err)
    folders = sorted((fresh_cwd / "runs").iterdir())
    assert len(folders) == 2  # the second run did not overwrite the first
    printed = {re.search(r"report written to runs/(\S+)/", r.out).group(1)  # type: ignore[union-attr]
               for r in (first, second)}
    assert printed == {f.name for f in folders}
    for folder in folders:
        assert FOLDER.fullmatch(folder.name), folder.name
        for name in ("report.json", "trades.csv", "equity.csv"):
            assert (folder / name).is_file()
        assert json.loads((folder / "report.json").read_text())["metrics"]["trades"] > 0


def test_backtest_with_out_writes_only_there(cli, fresh_cwd: Path) -> None:
    result = cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT, "--out", "mine")
    assert result.code == 0, result.err
    assert (fresh_cwd / "mine" / "report.json").is_file()
    assert "report written to mine/" in result.out
    assert not (fresh_cwd / "runs").exists()


def test_demo_still_writes_runs_demo(cli, fresh_cwd: Path) -> None:
    result = cli("demo", *SHORT)
    assert result.code == 0, result.err
    assert (fresh_cwd / "runs" / "demo" / "report.json").is_file()
    assert [p.name for p in (fresh_cwd / "runs").iterdir()] == ["demo"]


def test_a_failed_backtest_leaves_no_folder(one_clear_line, cli, fresh_cwd: Path) -> None:
    one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--param", "nope=1", *SHORT))
    assert not (fresh_cwd / "runs").exists()


def test_bundled_coinbase_candles_are_labelled_as_such(cli, fresh_cwd: Path) -> None:
    result = cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT, "--out", "r")
    assert result.code == 0, result.err
    header, costs = result.out.splitlines()[:2]
    assert "BTC-USD (Coinbase spot, USD)" in header
    assert costs.startswith("cash 10,000 USD ")
    assert "Expectancy (USD)" in result.out and "Final value (USD)" in result.out
    assert "USDT" not in result.out
    # report.json is read by the dashboard: its symbol stays what it was.
    assert json.loads((fresh_cwd / "r" / "report.json").read_text())["manifest"]["symbol"] \
        == "BTCUSD"


def test_bundled_xrp_perp_is_labelled_in_usdt(cli, fresh_cwd: Path) -> None:
    data = bundled_datasets()["XRPUSDT-5m-binance-perp"]
    result = cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(data), "--no-plots")
    assert result.code == 0, result.err
    assert "XRPUSDT (Binance USDT-M perpetual, USDT)" in result.out.splitlines()[0]
    assert "Expectancy (USDT)" in result.out


def test_user_data_is_labelled_by_symbol_or_neutrally(cli, fresh_cwd: Path, testdata) -> None:
    data = str(testdata / "SOLUSDT.csv")
    named = cli("backtest", "--strategy", "RSIEMAMomentum", "--data", data, "--symbol",
                "SOLUSDT", "--no-plots")
    assert named.code == 0, named.err
    assert "  SOLUSDT 1h  " in named.out.splitlines()[0]
    assert "Expectancy (USDT)" in named.out
    unnamed = cli("backtest", "--strategy", "RSIEMAMomentum", "--data", data, "--no-plots")
    assert unnamed.code == 0, unnamed.err
    assert "unlabelled data (SOLUSDT.csv) 1h" in unnamed.out.splitlines()[0]
    assert "Expectancy  " in unnamed.out and "(USD" not in unnamed.out


def test_a_misspelt_config_dir_is_refused_not_replaced_by_defaults(one_clear_line, cli,
                                                                    fresh_cwd: Path) -> None:
    for extra in ((), ("--risk-gate",)):
        result = cli("backtest", "--strategy", "RSIEMAMomentum", "--config-dir", "my_confgs",
                     *extra, *SHORT)
        assert result.code == 2
        assert one_clear_line(result) == (
            "error: --config-dir my_confgs: no such folder; expected a folder holding "
            "risk_config.json and bybit_config.json (e.g. cp -r configs my_confgs)")
    assert not (fresh_cwd / "runs").exists()
    # The default folder may be absent: a run from elsewhere uses the built-in defaults.
    assert cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT).code == 0
