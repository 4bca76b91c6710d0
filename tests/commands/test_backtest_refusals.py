"""Input a backtest cannot use is refused in one line (exit 2) before any work, writing
nothing: a strategy whose indicators need more bars than the data has, an ``--out`` that is a
file or below one, a ``--params-file`` that is not a JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# Three weeks of the bundled hourly candles (504 bars) and no plots keep each run short.
SHORT = ("--from", "2018-01-01", "--to", "2018-01-21", "--no-plots")


def test_an_indicator_longer_than_the_date_range_is_refused(one_clear_line, cli,
                                                             fresh_cwd: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum",
                              "--param", "rsi_period=700", *SHORT))
    assert line.startswith("error: RSIEMAMomentum needs at least ")
    assert "bars of 1h data (its longest indicator period) but --from/--to leaves 504" in line
    assert not (fresh_cwd / "runs").exists()


def test_a_user_strategy_longer_than_a_tiny_file_is_refused(one_clear_line, cli,
                                                            fresh_cwd: Path,
                                                            testdata: Path) -> None:
    data = fresh_cwd / "tiny.csv"
    data.write_text("datetime,open,high,low,close,volume\n"
                    "2022-01-01 00:00,1,2,0.5,1.5,10\n2022-01-01 01:00,1.5,2,1,1.2,10\n"
                    "2022-01-01 02:00,1.2,1.6,1,1.4,10\n")
    strategy = fresh_cwd / "slow.py"
    strategy.write_text("import backtrader as bt\n\n\nclass Slow(bt.Strategy):\n"
                        "    def __init__(self):\n"
                        "        self.sma = bt.ind.SMA(period=30)\n")
    line = one_clear_line(cli("backtest", "--strategy", f"{strategy}:Slow", "--data", str(data),
                              "--no-plots"))
    assert line == ("error: Slow needs at least 30 bars of 1h data (its longest indicator "
                    "period) but tiny.csv has 3")
    assert not (fresh_cwd / "runs").exists()


def test_a_confirmation_feed_too_short_for_its_ema_names_its_timeframe(one_clear_line, cli,
                                                                       fresh_cwd: Path) -> None:
    # 504 hourly bars are 21 daily bars; the confirmation EMA needs 40 of them.
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--confirm-timeframes",
                              "1d", "--param", "confirm_ema_period=40", *SHORT))
    assert "needs at least 40 bars of 1d data" in line and "leaves 21" in line


@pytest.mark.parametrize("out", ["a_file", "a_file/below"])
def test_out_that_is_or_lies_below_a_file_is_refused(one_clear_line, cli, fresh_cwd: Path,
                                                     out: str) -> None:
    (fresh_cwd / "a_file").write_text("not a folder")
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT, "--out", out))
    assert line.startswith(f"error: --out {out}: ")
    assert "expected a folder" in line
    assert (fresh_cwd / "a_file").read_text() == "not a folder"
    assert not (fresh_cwd / "runs").exists()


def test_a_runs_file_in_the_way_of_the_default_folder_is_refused(one_clear_line, cli,
                                                                 fresh_cwd: Path) -> None:
    (fresh_cwd / "runs").write_text("")
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT))
    assert line.startswith("error: the default report folder runs: is a file")


@pytest.mark.parametrize("content, expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a UTF-8 text file"),
    ("caf\u00e9 = 1".encode("latin-1"), "not a UTF-8 text file"),
    (b"rsi_period: 9", "invalid JSON at line 1"),
    (b"[9, 40]", "expected {\"strategy\""),
    (b"17", "expected {\"strategy\""),
])
def test_a_params_file_that_is_not_a_json_object_is_refused(one_clear_line, cli,
                                                            fresh_cwd: Path, content: bytes,
                                                            expected: str) -> None:
    path = fresh_cwd / "params.bin"
    path.write_bytes(content)
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT,
                              "--params-file", str(path)))
    assert line.startswith(f"error: --params-file {path}: ")
    assert expected in line
    assert not (fresh_cwd / "runs").exists()


def test_a_params_file_is_read_the_same_way_by_paper(tmp_path: Path) -> None:
    from backtrader_engine.config import AppConfig
    from backtrader_engine.errors import UserError
    from backtrader_engine.paper.plan import wanted_from_args

    path = tmp_path / "best.bin"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(UserError, match=r"^--params-file .*best\.bin: not a UTF-8 text file"):
        wanted_from_args("RSIEMAMomentum", "BTCUSDT", "1m", path, AppConfig())
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(UserError, match=r"^--params-file .*best\.bin: expected"):
        wanted_from_args("RSIEMAMomentum", "BTCUSDT", "1m", path, AppConfig())


def test_paper_refuses_a_binary_params_file_before_starting(one_clear_line, cli,
                                                           fresh_cwd: Path) -> None:
    configs = Path(__file__).resolve().parents[2] / "configs"
    path = fresh_cwd / "best.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    line = one_clear_line(cli("paper", "--config-dir", str(configs), "--strategy",
                              "RSIEMAMomentum", "--params-file", str(path), "--source", "replay",
                              "--state", "state", "--max-bars", "1", "--no-metrics"))
    assert line == (f"error: --params-file {path}: not a UTF-8 text file; expected JSON such as "
                    "an optimisation's best_params.json")
    assert not (fresh_cwd / "state").exists()


@pytest.mark.parametrize("n", ["0", "-3"])
def test_an_indicator_period_below_one_is_refused(one_clear_line, cli, fresh_cwd: Path,
                                                  n: str) -> None:
    strategy = fresh_cwd / "per.py"
    strategy.write_text("import backtrader as bt\n\n\nclass Per(bt.Strategy):\n"
                        "    params = (('n', 10),)\n\n"
                        "    def __init__(self):\n"
                        "        self.sma = bt.ind.SMA(period=self.p.n)\n")
    line = one_clear_line(cli("backtest", "--strategy", f"{strategy}:Per", "--param", f"n={n}",
                              *SHORT))
    assert line == (f"error: Per builds SMA with period {n}; an indicator period must be a "
                    "whole number of at least 1 (check the params that set it)")
    assert not (fresh_cwd / "runs").exists()


def test_a_nested_indicator_period_is_checked_too(one_clear_line, cli,
                                                  fresh_cwd: Path) -> None:
    # MACD has no "period" of its own; it builds two EMAs with period_me1 and period_me2.
    strategy = fresh_cwd / "macd.py"
    strategy.write_text("import backtrader as bt\n\n\nclass Macd(bt.Strategy):\n"
                        "    def __init__(self):\n"
                        "        self.macd = bt.ind.MACD(period_me1=0)\n")
    line = one_clear_line(cli("backtest", "--strategy", f"{strategy}:Macd", *SHORT))
    assert line.startswith("error: Macd builds ExponentialMovingAverage with period 0; ")


def test_resampled_bars_are_counted_at_their_timeframe(one_clear_line, cli,
                                                       fresh_cwd: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--timeframe", "1d",
                              *SHORT))
    assert line == ("error: RSIEMAMomentum needs at least 23 bars of 1d data (its longest "
                    "indicator period) but --from/--to leaves 21 at --timeframe 1d")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", [("backtest", "--strategy", "RSIEMAMomentum", *SHORT),
                                     ("optimize", "--strategy", "RSIEMAMomentum", "--trials",
                                      "2", *SHORT)])
def test_an_out_that_cannot_be_created_is_refused_before_the_run(one_clear_line, cli,
                                                                 fresh_cwd: Path,
                                                                 command: tuple[str, ...]
                                                                 ) -> None:
    # /proc refuses new folders even to root, whom permission bits would let through.
    line = one_clear_line(cli(*command, "--out", "/proc/bte-report"))
    assert line == ("error: --out /proc/bte-report: cannot create it in /proc: No such file or "
                    "directory; expected a folder (new or existing) to write into")
    assert not (fresh_cwd / "runs").exists()
