"""Backtests launched from the panel: the command line, and the child process to its report."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import BacktestForm, BacktestRun, backtest_command
from backtrader_engine.dashboard.model.launcher import RunState, param_items, report_folder
from backtrader_engine.errors import UserError

from .conftest import CONFIGS


def test_the_command_is_what_a_user_would_type(tmp_path: Path) -> None:
    form = BacktestForm(strategy=" RSIEMAMomentum ", data="candles.csv", start="2018-01-01",
                        end="2018-02-01", cash=5000, leverage=2, params="a=1, b=2\nc=x",
                        risk_gate=True)
    assert backtest_command(form, tmp_path / "out", CONFIGS, python="py") == [
        "py", "-m", "backtrader_engine", "backtest", "--strategy", "RSIEMAMomentum", "--out",
        str(tmp_path / "out"), "--config-dir", str(CONFIGS), "--cash", "5000", "--leverage",
        "2", "--data", "candles.csv", "--from", "2018-01-01", "--to", "2018-02-01", "--param",
        "a=1", "--param", "b=2", "--param", "c=x", "--risk-gate"]


def test_bad_form_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="choose a strategy"):
        backtest_command(BacktestForm(strategy=" "), tmp_path, CONFIGS)
    with pytest.raises(UserError, match="--param 'fast': expected name=value"):
        param_items("slow=3, fast")


def test_report_folders_are_new_and_named_after_the_strategy(tmp_path: Path) -> None:
    first = report_folder(tmp_path, "my/strats.py:Fancy", now=0)
    assert first == tmp_path / "panel" / "Fancy-19700101-000000"
    first.mkdir(parents=True)
    assert report_folder(tmp_path, "my/strats.py:Fancy", now=0).name == \
        "Fancy-19700101-000000-2"


def _wait(run: BacktestRun) -> RunState:
    deadline = time.monotonic() + 180
    while (state := run.poll()).status == "running":
        assert time.monotonic() < deadline, "the backtest did not end"
        time.sleep(0.2)
    return state


def test_a_backtest_runs_to_its_report(tmp_path: Path) -> None:
    out = tmp_path / "bt"
    form = BacktestForm(strategy="RSIEMAMomentum", start="2018-01-01", end="2018-02-15")
    run = BacktestRun(backtest_command(form, out, CONFIGS), out)
    state = _wait(run)
    assert state.status == "finished" and state.exit_code == 0
    assert state.report == out / "report.json" and state.report.is_file()
    assert any("report written to" in line for line in state.output)
    assert (out / "backtest.log").is_file() and state.elapsed_s > 0
    assert run.poll().elapsed_s == state.elapsed_s  # the clock stops at the end


def test_a_failing_backtest_reports_its_exit_code_and_message(tmp_path: Path) -> None:
    out = tmp_path / "bt"
    run = BacktestRun(backtest_command(BacktestForm(strategy="NoSuchStrategy"), out, CONFIGS),
                      out)
    state = _wait(run)
    assert (state.status, state.exit_code, state.report) == ("failed", 2, None)
    assert any("NoSuchStrategy" in line for line in state.output)


def test_cancel_ends_the_child(tmp_path: Path) -> None:
    run = BacktestRun([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "x")
    run.cancel()
    state = run.poll()
    assert state.status == "failed" and state.exit_code is not None
