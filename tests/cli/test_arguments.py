"""Every argument error is one line on stderr and exit code 2; numbers are finite and in range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_a_misspelt_metric_is_one_line_with_a_suggestion(cli, one_clear_line, tmp_path):
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--metric", "sharp",
                              "--out", str(tmp_path / "study")))
    assert line == ("error: --metric 'sharp' is not a metric; expected one of rmd, sharpe, "
                    "sortino, calmar, return, profit_factor (did you mean 'sharpe'?)")
    assert not (tmp_path / "study").exists()


def test_optimize_py_gives_the_same_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "optimize.py"), "--strategy", "X",
                             "--metric", "sharp"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --metric 'sharp' is not a metric; expected one of rmd, sharpe, sortino, "
        "calmar, return, profit_factor (did you mean 'sharpe'?)"]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["backtst"], "error: bte: 'backtst' is not a command; expected one of backtest, "),
    (["config", "chek"], "error: bte config: 'chek' is not an action; expected one of check, "
                         "show (did you mean 'check'?)"),
    (["paper", "--fill-model", "boo"], "error: --fill-model 'boo' is not a fill model; "
                                       "expected one of book, bar (did you mean 'book'?)"),
    (["backtest"], "error: the following arguments are required: --strategy "
                   "(see bte backtest --help)"),
    (["backtest", "--strategy", "X", "--cahs", "5"],
     "error: unrecognized arguments: --cahs 5 (did you mean '--cash'?)"),
    (["backtest", "--strategy", "X", "--cash"], "error: --cash: expected one argument"),
    (["download"], "error: the following arguments are required: --symbols"),
    (["optimize", "--strategy", "X", "--trials", "ten"],
     "error: --trials: invalid int value: 'ten'; expected a whole number"),
    ([], "error: the following arguments are required: COMMAND (see bte --help)"),
])
def test_usage_errors_are_one_line(cli, one_clear_line, argv, expected):
    assert one_clear_line(cli(*argv)).startswith(expected)


def test_help_still_prints_the_usage(cli):
    result = cli("optimize", "--help")
    assert result.code == 0 and result.out.startswith("usage: bte optimize")


@pytest.mark.parametrize(("argv", "flag"), [
    (["backtest", "--strategy", "RSIEMAMomentum", "--cash", "inf"], "--cash 'inf'"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--cash", "1e400"], "--cash '1e400'"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--cash", "-5"], "--cash -5"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--leverage", "nan"], "--leverage 'nan'"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--taker-fee", "inf"], "--taker-fee 'inf'"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--maker-fee=-inf"], "--maker-fee '-inf'"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--slippage-bps", "-1"], "--slippage-bps -1"),
    (["backtest", "--strategy", "RSIEMAMomentum", "--maintenance-margin", "nan"],
     "--maintenance-margin 'nan'"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--n-jobs", "0"], "--n-jobs 0"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--n-jobs", "-2"], "--n-jobs -2"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--trials", "0"], "--trials 0"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--timeout", "inf"], "--timeout 'inf'"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--seed", "-1"], "--seed -1"),
    (["optimize", "--strategy", "RSIEMAMomentum", "--oos-fraction", "nan"],
     "--oos-fraction 'nan'"),
    (["paper", "--warmup-bars", "-1"], "--warmup-bars -1"),
    (["paper", "--duration", "-5"], "--duration -5"),
    (["paper", "--cash-per-account", "inf"], "--cash-per-account 'inf'"),
    (["paper", "--max-bars", "1e9"], "--max-bars: invalid int value: '1e9'"),
    (["paper", "--metrics-port", "70000"], "--metrics-port 70000"),
    (["stream", "--symbols", "BTCUSDT", "--seconds", "-3"], "--seconds -3"),
    (["stream", "--symbols", "BTCUSDT", "--bars", "0"], "--bars 0"),
    (["stream", "--symbols", "BTCUSDT", "--book-depth", "7"], "--book-depth '7'"),
    (["download", "--symbols", "BTCUSDT", "--days", "inf"], "--days 'inf'"),
    (["replay", "--symbol", "BTCUSDT", "--speed", "-1"], "--speed -1"),
    (["inject", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "nan"], "--qty 'nan'"),
])
def test_number_flags_refuse_non_finite_and_out_of_range_values(cli, one_clear_line, tmp_path,
                                                                 argv, flag):
    line = one_clear_line(cli(*argv))
    assert line.startswith(f"error: {flag}"), line


@pytest.mark.parametrize(("argv", "expected"), [
    (["download", "--symbols", "BTCUSDT", "--base-url", "garbage"],
     "error: --base-url 'garbage' is not a URL; expected https://HOST[:PORT]"),
    (["download", "--symbols", "BTCUSDT", "--base-url", "http://example.com"],
     "error: --base-url 'http://example.com': plain http is only for a replay server on this "
     "machine"),
    (["download", "--symbols", "BTCUSDT", "--base-url", "ftp://example.com"],
     "error: --base-url 'ftp://example.com': scheme 'ftp' is not https or http"),
    (["download", "--symbols", "BTCUSDT", "--base-url", "http://127.0.0.1:99999"],
     "error: --base-url 'http://127.0.0.1:99999' is not a URL"),
    (["stream", "--symbols", "BTCUSDT", "--base-url", "https://"],
     "error: --base-url 'https://' is not a URL"),
    (["paper", "--source", "garbage"],
     "error: --source 'garbage' is not bybit, replay or a URL"),
    (["paper", "--source", "http://10.1.2.3:8765"],
     "error: --source 'http://10.1.2.3:8765': plain http is only for a replay server"),
    (["paper", "--source", "ftp://x"],
     "error: --source 'ftp://x': scheme 'ftp' is not https or http; expected bybit, replay or "
     "http://HOST:PORT of a replay server on this machine"),
])
def test_url_flags_are_checked_before_anything_starts(cli, one_clear_line, tmp_path, argv,
                                                      expected):
    store = tmp_path / "store"
    line = one_clear_line(cli(*argv, *(["--store", str(store)] if argv[0] == "download"
                                       else [])))
    assert line.startswith(expected), line
    assert not store.exists()


def test_url_forms_that_are_accepted():
    from backtrader_engine.argtypes import paper_source, rest_base_url

    assert rest_base_url("https://api.bybit.com/") == "https://api.bybit.com"
    assert rest_base_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765"
    assert rest_base_url("http://localhost:8765") == "http://localhost:8765"
    assert paper_source("replay") == "replay" and paper_source("bybit") == "bybit"
