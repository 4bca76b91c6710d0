"""The report's files: equal inputs give equal bytes; the Parquet equity is the run's equity."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.engine.backtest import BacktestResult
from backtrader_engine.engine.job import BacktestJob, data_path, run_backtest_job
from backtrader_engine.engine.report import write_report

COMMAND = ["bte", "backtest", "--strategy", "RSIEMAMomentum", "--to", "2017-09-30"]


@pytest.fixture(scope="module")
def run() -> tuple[BacktestResult, Path]:
    job = BacktestJob(strategy="RSIEMAMomentum", end="2017-09-30")
    result, _ = run_backtest_job(job, (0.00055, 0.0002))
    assert not result.trades.empty
    return result, data_path(job)


def test_equal_inputs_give_equal_bytes_in_every_file(run, tmp_path: Path) -> None:
    result, data = run
    first = write_report(result, tmp_path / "a", data, command=COMMAND)
    second = write_report(result, tmp_path / "b", data, command=COMMAND)
    names = [path.name for path in first.all()]
    assert names == ["report.json", "trades.csv", "equity.csv", "equity.parquet", "equity.png",
                     "trades.png"]
    for path in first.all():
        assert path.read_bytes() == (second.directory / path.name).read_bytes(), path.name
    assert b"Software" not in first.equity_plot.read_bytes()  # no matplotlib version stamp


def test_parquet_equity_is_the_runs_equity(run, tmp_path: Path) -> None:
    result, data = run
    paths = write_report(result, tmp_path, data, plots=False, command=COMMAND)
    pd.testing.assert_frame_equal(pd.read_parquet(paths.equity_parquet), result.equity,
                                  check_freq=False)
    assert not paths.equity_plot.exists() and not paths.trades_plot.exists()


def test_loading_the_engine_does_not_load_matplotlib() -> None:
    code = ("import sys, backtrader_engine.engine, backtrader_engine.engine.report; "
            "print('matplotlib' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=Path(__file__).resolve().parents[2])
    assert shown.stdout.strip() == "False"


def test_a_plot_that_fails_fails_the_report_with_its_own_error(run, tmp_path: Path,
                                                               monkeypatch) -> None:
    import backtrader_engine.engine.plots as plots

    def broken(*_args: object) -> None:
        raise ValueError("no room for the legend")

    monkeypatch.setattr(plots, "plot_trades", broken)
    result, data = run
    with pytest.raises(ValueError, match="no room for the legend"):
        write_report(result, tmp_path, data, command=COMMAND)
    assert (tmp_path / "equity.csv").is_file()  # the files were written all the same
