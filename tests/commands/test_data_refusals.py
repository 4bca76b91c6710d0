"""Candles every mode refuses: ``data check`` says so (exit 2) with the line that
``backtest``, ``optimize``, ``replay --data`` and ``paper --replay-data`` stop with (exit 2),
and none of them writes anything a later run would trust (report, study, ledger)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data.validation import DATA_CHECK_HINT

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"


def _candles(n: int = 400, freq: str = "1h", start: str = "2022-01-01",
             price: float = 100.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    open_ = np.r_[price, close[:-1]]
    high, low = np.maximum(open_, close) * 1.002, np.minimum(open_, close) * 0.998
    index = pd.date_range(start, periods=n, freq=freq, name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.uniform(1, 10, n)}, index=index)


def _bad(kind: str) -> pd.DataFrame:
    df = _candles()
    if kind == "nan":
        df.iloc[100, 3] = np.nan
    elif kind == "high<low":
        df.iloc[100, 1] = df.iloc[100, 2] * 0.9
    elif kind == "inf":
        df.iloc[100, 1] = np.inf
    elif kind == "1e308":
        df.iloc[:, :4] = 1e308
    elif kind == "one row":
        df = df.iloc[:1]
    elif kind == "two rows":
        df = df.iloc[:2]
    elif kind == "1h then 5m":
        tail = _candles(300, "5min", "2022-03-01", seed=3)
        df = pd.concat([_candles(1200), tail])
    return df


BAD = ["nan", "high<low", "inf", "1e308", "one row", "two rows", "1h then 5m"]


def _write(folder: Path, kind: str) -> Path:
    path = folder / f"{kind.replace(' ', '_').replace('<', 'lt')}.csv"
    _bad(kind).to_csv(path)
    return path


@pytest.mark.parametrize("kind", BAD)
def test_data_check_and_backtest_refuse_alike(kind, cli, fresh_cwd, one_clear_line):
    path = _write(fresh_cwd, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail the command
        checked = cli("data", "check", str(path))
    assert checked.code == 2, checked.err
    assert "Result: ERROR: refused by backtest, optimize, paper and replay" in checked.out
    refused = one_clear_line(checked)
    backtest = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data",
                                  str(path), "--no-plots"))
    assert backtest.removesuffix(DATA_CHECK_HINT) == refused
    assert not (fresh_cwd / "runs").exists()


def test_mixed_bar_sizes_are_named_with_their_counts(cli, fresh_cwd, one_clear_line):
    path = _write(fresh_cwd, "1h then 5m")
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(path),
                              "--timeframe", "4h", "--no-plots", "--out", "report"))
    assert "bars of more than one size: 1h (1200) and 5m (300)" in line
    assert not (fresh_cwd / "report").exists()


def test_data_check_exit_codes(cli, fresh_cwd, testdata):
    clean = fresh_cwd / "clean.csv"
    _candles().to_csv(clean)
    ok = cli("data", "check", str(clean))
    assert (ok.code, ok.err) == (0, "")
    assert ok.out.rstrip().endswith("Result: OK: no problems found")
    warned = cli("data", "check", str(testdata / "Coinbase_BTCUSD_1h.csv"))  # gaps
    assert (warned.code, warned.err) == (1, "")
    assert warned.out.rstrip().endswith("Result: WARNING: usable, but review the findings")


def test_optimize_refuses_before_any_study_is_written(cli, fresh_cwd, one_clear_line):
    path = _write(fresh_cwd, "nan")
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--data", str(path),
                              "--trials", "2", "--n-jobs", "1", "--study-name", "bad",
                              "--config-dir", str(CONFIGS)))
    assert "close is NaN" in line
    assert not (fresh_cwd / "runs").exists()


def test_a_folder_of_two_instruments_is_refused(cli, fresh_cwd, one_clear_line):
    folder = fresh_cwd / "candles"
    folder.mkdir()
    _candles(300, price=20000.0).to_csv(folder / "BTCUSDT.csv")
    _candles(300, start="2022-01-14", price=400.0, seed=1).to_csv(folder / "ETHUSDT.csv")
    for argv in (("data", "check", str(folder)),
                 ("backtest", "--strategy", "RSIEMAMomentum", "--data", str(folder),
                  "--no-plots")):
        line = one_clear_line(cli(*argv))
        assert "candles of 2 instruments: BTCUSDT (BTCUSDT.csv), ETHUSDT (ETHUSDT.csv)" in line
    assert not (fresh_cwd / "runs").exists()


@pytest.mark.parametrize("kind", ["nan", "high<low", "1h then 5m"])
def test_replay_data_refuses_what_backtest_refuses(kind, cli, fresh_cwd, one_clear_line):
    path = _write(fresh_cwd, kind)
    backtest = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data",
                                  str(path), "--no-plots"))
    replay = one_clear_line(cli("replay", "--data", str(path), "--symbol", "BTCUSDT",
                                "--port", "0"))
    assert replay == backtest


@pytest.mark.parametrize("kind", ["nan", "high<low"])
def test_paper_replay_data_refuses_before_any_ledger(kind, cli, fresh_cwd, one_clear_line):
    path = _write(fresh_cwd, kind)
    state = fresh_cwd / "state"
    line = one_clear_line(cli("paper", "--config-dir", str(CONFIGS), "--source", "replay",
                              "--replay-data", str(path), "--replay-speed", "0",
                              "--state", str(state), "--log-dir", str(fresh_cwd / "logs"),
                              "--max-bars", "1", "--duration", "30", "--no-metrics"))
    assert line.startswith(f"error: {path}: bar ")
    assert not state.exists() and not (fresh_cwd / "logs").exists()


@pytest.mark.parametrize(("start", "where"), [("2030-01-01", "after the last"),
                                              ("2010-01-01", "before the first")])
def test_replay_start_outside_the_data_is_refused_with_its_range(start, where, cli, fresh_cwd,
                                                                 one_clear_line):
    path = fresh_cwd / "clean.csv"
    _candles().to_csv(path)
    line = one_clear_line(cli("replay", "--data", str(path), "--symbol", "BTCUSDT",
                              "--port", "0", "--start", start))
    assert line == (f"error: --start {start}: {where} candle of the data (BTCUSDT 1h "
                    "2022-01-01 00:00 .. 2022-01-17 15:00); expected a time from 2022-01-01 "
                    "00:00 to 2022-01-17 15:00")
