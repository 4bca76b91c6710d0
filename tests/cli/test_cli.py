"""The command line: main job, listings, and one clear line with exit code 2 for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_demo_prints_summary_and_writes_report(cli, tmp_path):
    out = tmp_path / "demo"
    result = cli("demo", "--out", str(out))
    assert result.code == 0, result.err
    assert "Final value" in result.out and "Sharpe" in result.out
    assert f"report written to {out}" in result.out
    for name in ("report.json", "trades.csv", "equity.csv", "equity.png", "trades.png"):
        assert (out / name).is_file()
        assert str(out / name) in result.out
    metrics = json.loads((out / "report.json").read_text())["metrics"]
    assert metrics["trades"] > 0


def test_module_entry_point_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "backtrader_engine", "strategies"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("VolatilityBreakoutStrategy", "RSIEMAMomentumStrategy",
                 "BollingerReversionStrategy", "EMABreakoutConservativeStrategy",
                 "ContrarianVolumeSpikeStrategy", "TrendFollowingADXEMAStrategy"):
        assert name in proc.stdout


def test_unknown_strategy_suggests_the_nearest(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentm", "--out", str(tmp_path)))
    assert "RSIEMAMomentm" in line and "did you mean" in line
    assert "RSIEMAMomentumStrategy" in line


def test_unknown_param_suggests_the_nearest(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--param",
                               "rsi_perod=10", "--out", str(tmp_path)))
    assert "rsi_perod" in line and "rsi_period" in line


def test_bad_param_value_is_named(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--param",
                               "rsi_period=fast", "--out", str(tmp_path)))
    assert "rsi_period" in line and "fast" in line


def test_missing_data_file(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data",
                               str(tmp_path / "nope.csv"), "--out", str(tmp_path)))
    assert "nope.csv" in line


def test_unreadable_data_file(one_clear_line, cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("when,price\nyesterday,12\n")
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(bad),
                               "--out", str(tmp_path / "o")))
    assert "bad.csv" in line


def test_data_with_non_positive_prices_is_refused(one_clear_line, cli, tmp_path, make_ohlcv):
    frame = make_ohlcv(300, freq="1h")
    frame.iloc[100, frame.columns.get_loc("low")] = -1.0
    path = tmp_path / "neg.csv"
    frame.to_csv(path)
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(path),
                               "--out", str(tmp_path / "o")))
    assert "neg.csv" in line


def test_bad_config_names_file_and_field(one_clear_line, cli, tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    path = configs / "bybit_config.json"
    raw = json.loads(path.read_text())
    raw["fees"]["taker"] = "cheap"
    path.write_text(json.dumps(raw))
    line = one_clear_line(cli("config", "check", "--config-dir", str(configs)))
    assert "bybit_config.json" in line and "fees.taker" in line
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--config-dir",
                               str(configs), "--out", str(tmp_path / "o")))
    assert "fees.taker" in line


def test_config_check_and_show(cli, monkeypatch):
    monkeypatch.setenv("BYBIT_API_KEY", "abcdefghijklmnopqrstuvwxyz123456")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRET-TOKEN-VALUE-xyz")
    ok = cli("config", "check", "--config-dir", str(ROOT / "configs"))
    assert ok.code == 0, ok.err
    shown = cli("config", "show", "--config-dir", str(ROOT / "configs"))
    assert shown.code == 0, shown.err
    assert "abcdefghijklmnopqrstuvwxyz123456" not in shown.out
    assert "SECRET-TOKEN-VALUE" not in shown.out
    assert "taker" in shown.out


def test_data_check_prints_quality_report(cli, testdata):
    result = cli("data", "check", str(testdata / "Coinbase_BTCUSD_1h.csv"))
    assert result.code == 1, result.err  # gaps and zero-volume bars: warnings
    assert "gap" in result.out.lower()
    assert "20111" in result.out.replace(",", "") or "rows" in result.out.lower()


@pytest.mark.parametrize("flag,value", [("--leverage", "0"), ("--cash", "-5"),
                                        ("--taker-fee", "0.5"), ("--maker-fee", "-0.01"),
                                        ("--slippage-bps", "-1"),
                                        ("--maintenance-margin", "1.0")])
def test_bad_cost_flags(one_clear_line, cli, tmp_path, flag, value):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", flag, value,
                               "--out", str(tmp_path)))
    assert flag in line


def test_missing_funding_file(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--funding",
                               str(tmp_path / "rates.csv"), "--out", str(tmp_path / "o")))
    assert "rates.csv" in line


def test_empty_date_range(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--from",
                               "2030-01-01", "--out", str(tmp_path / "o")))
    assert "2030-01-01" in line and "covers" in line


def test_malformed_param_override(one_clear_line, cli, tmp_path):
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--param",
                               "rsi_period", "--out", str(tmp_path / "o")))
    assert "name=value" in line


def test_user_file_without_the_class(one_clear_line, cli, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("import backtrader as bt\n\nclass SmaCros(bt.Strategy):\n    pass\n")
    line = one_clear_line(cli("backtest", "--strategy", f"{path}:SmaCross",
                               "--out", str(tmp_path / "o")))
    assert "SmaCross" in line and "SmaCros" in line


def test_unsupported_bar_size_is_named(one_clear_line, cli, tmp_path, make_ohlcv):
    path = tmp_path / "monthly.csv"
    make_ohlcv(40, freq="31D").to_csv(path)
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(path),
                               "--out", str(tmp_path / "o")))
    assert "monthly.csv" in line and "31d" in line and "1h" in line


def test_config_check_catches_a_misspelt_strategy_param(one_clear_line, cli, tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    path = configs / "strategies_config.json"
    raw = json.loads(path.read_text())
    params = raw["strategies"]["RSIEMAMomentumStrategy"]["params"]
    params["rsi_perod"] = params.pop("rsi_period")
    path.write_text(json.dumps(raw))
    line = one_clear_line(cli("config", "check", "--config-dir", str(configs)))
    assert "strategies_config.json" in line and "rsi_perod" in line and "rsi_period" in line


@pytest.mark.parametrize("argv", [
    ["strategies"],
    ["backtest", "--strategy", "RSIEMAMomentum", "--to", "2017-08-01", "--no-plots"],
], ids=["strategies", "backtest"])
def test_output_into_a_closed_pipe_ends_quietly(tmp_path, argv):
    # As `bte ... | head` once head has exited: the reader is gone before anything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "backtrader_engine", *argv],
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""
