"""An exception in the strategy's own code ends a backtest with exit 1 and a short message:
the strategy, the bar (or "while building"), the strategy file's frames with their source
lines, the exception. What ran before the failing bar is written, marked partial."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

SHORT = ("--from", "2018-01-01", "--to", "2018-01-21", "--no-plots")

FAILS_IN_NEXT = """
    import backtrader as bt


    class Boom(bt.Strategy):
        def __init__(self):
            self.sma = bt.ind.SMA(period=10)

        def next(self):
            if len(self) == 20:
                self.buy(size=0.01)
            if len(self) == 50:
                self.ratio()

        def ratio(self):
            return self.sma[0] / 0
"""

FAILS_IN_INIT = """
    import backtrader as bt


    class Broken(bt.Strategy):
        def __init__(self):
            self.sma = bt.ind.SMA(period=lenght)
"""

FAILS_IN_HOOK = """
    from backtrader_engine.strategies import RiskManagedStrategy


    class Hooked(RiskManagedStrategy):
        def entry_signal(self):
            if len(self) > 40:
                return self.missing_attribute
            return None
"""

EXITS_IN_NEXT = """
    import sys

    import backtrader as bt


    class Quits(bt.Strategy):
        def next(self):
            if len(self) == 5:
                sys.exit(3)
"""


def _strategy(folder: Path, source: str) -> Path:
    path = folder / "user_strategy.py"
    path.write_text(textwrap.dedent(source))
    return path


def _no_engine_frames(err: str) -> None:
    assert "Traceback" not in err
    assert "site-packages" not in err and "backtrader_engine" not in err
    assert "cerebro" not in err


def test_an_error_in_next_exits_1_with_the_strategy_frames_and_a_partial_report(
        cli, fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, FAILS_IN_NEXT)
    result = cli("backtest", "--strategy", f"{path}:Boom", *SHORT, "--out", "partial")
    assert result.code == 1, result.err
    assert result.err.splitlines() == [
        "error: strategy Boom raised an exception at bar 2018-01-03 01:00 UTC: "
        "ZeroDivisionError: float division by zero",
        "  user_strategy.py:13 in next",
        "    self.ratio()",
        "  user_strategy.py:16 in ratio",
        "    return self.sma[0] / 0",
    ]
    _no_engine_frames(result.err)
    # The 50 bars before the failure are kept, and marked as such everywhere.
    assert "PARTIAL: the run stopped early at bar 2018-01-03 01:00 UTC" in result.out
    assert "report written to partial/ (partial: the strategy raised an error)" in result.out
    report = json.loads((fresh_cwd / "partial" / "report.json").read_text())
    assert report["partial"] is True
    stopped = report["stopped_early"]
    assert stopped["reason"] == "strategy error" and stopped["strategy"] == "Boom"
    assert stopped["bar_time"] == "2018-01-03 01:00"
    assert stopped["error"] == "ZeroDivisionError: float division by zero"
    assert [f["line"] for f in stopped["frames"]] == [13, 16]
    equity = (fresh_cwd / "partial" / "equity.csv").read_text().splitlines()
    assert len(equity) == 1 + 50 and equity[-1].startswith("2018-01-03 01:00:00,")
    trades = (fresh_cwd / "partial" / "trades.csv").read_text().splitlines()
    assert len(trades) == 2 and ",open," in trades[1]


def test_a_complete_report_has_no_partial_marks(cli, fresh_cwd: Path) -> None:
    result = cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT, "--out", "whole")
    assert result.code == 0, result.err
    report = json.loads((fresh_cwd / "whole" / "report.json").read_text())
    assert "partial" not in report and "stopped_early" not in report
    assert "PARTIAL" not in result.out


def test_an_error_in_init_says_while_building_and_writes_nothing(cli, fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, FAILS_IN_INIT)
    result = cli("backtest", "--strategy", f"{path}:Broken", *SHORT)
    assert result.code == 1, result.err
    assert result.err.splitlines() == [
        "error: strategy Broken raised an exception while building: NameError: name "
        "'lenght' is not defined",
        "  user_strategy.py:7 in __init__",
        "    self.sma = bt.ind.SMA(period=lenght)",
    ]
    _no_engine_frames(result.err)
    assert result.out == ""
    assert not (fresh_cwd / "runs").exists()


def test_a_subclass_of_the_base_shows_only_its_own_frames(cli, fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, FAILS_IN_HOOK)
    result = cli("backtest", "--strategy", f"{path}:Hooked", *SHORT, "--out", "hooked")
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    # Bar 41: the first where entry_signal() runs with len(self) > 40.
    assert lines[0].startswith("error: strategy Hooked raised an exception at bar "
                               "2018-01-02 16:00 UTC: AttributeError: ")
    assert lines[0].endswith(" has no attribute 'missing_attribute'")
    assert lines[1:] == ["  user_strategy.py:8 in entry_signal",
                         "    return self.missing_attribute"]
    _no_engine_frames(result.err)
    assert json.loads((fresh_cwd / "hooked" / "report.json").read_text())["partial"] is True


def test_sys_exit_in_next_is_a_strategy_error_not_the_exit_status(cli, fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, EXITS_IN_NEXT)
    result = cli("backtest", "--strategy", f"{path}:Quits", *SHORT, "--out", "quits")
    assert result.code == 1, result.err
    assert result.err.splitlines()[0] == ("error: strategy Quits raised an exception at bar "
                                          "2018-01-01 04:00 UTC: SystemExit: sys.exit(3) "
                                          "called")


def test_the_panel_lists_a_partial_report_as_partial(cli, fresh_cwd: Path) -> None:
    from backtrader_engine.dashboard.model import find_reports
    from backtrader_engine.dashboard.model.research import reports_frame

    path = _strategy(fresh_cwd, FAILS_IN_NEXT)
    assert cli("backtest", "--strategy", f"{path}:Boom", *SHORT).code == 1
    assert cli("backtest", "--strategy", "RSIEMAMomentum", *SHORT).code == 0
    entries = {e.strategy: e for e in find_reports(fresh_cwd / "runs")}
    assert entries["Boom"].partial == (
        "partial: the run stopped at bar 2018-01-03 01:00 UTC on a strategy error "
        "(ZeroDivisionError: float division by zero)")
    assert entries["RSIEMAMomentumStrategy"].partial is None
    problems = dict(zip(reports_frame(list(entries.values()))["strategy"],
                        reports_frame(list(entries.values()))["problem"], strict=True))
    assert problems == {"Boom": entries["Boom"].partial, "RSIEMAMomentumStrategy": ""}


def test_an_error_in_stop_keeps_every_bar_and_says_when(cli, fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, """
        import backtrader as bt


        class Stopper(bt.Strategy):
            def stop(self):
                raise RuntimeError("cannot save")
    """)
    result = cli("backtest", "--strategy", f"{path}:Stopper", *SHORT, "--out", "stopper")
    assert result.code == 1, result.err
    assert result.err.splitlines()[0] == ("error: strategy Stopper raised an exception after the "
                                          "last bar (in stop()): RuntimeError: cannot save")
    assert ("PARTIAL: the strategy raised RuntimeError after the last bar (in stop()), so the "
            "run did not end cleanly (numbers cover the bars up to 2018-01-21 23:00)") in result.out
    report = json.loads((fresh_cwd / "stopper" / "report.json").read_text())
    assert report["partial"] is True and report["metrics"]["bars"] == 504


def test_an_indicator_of_the_strategy_file_failing_before_the_first_bar(cli,
                                                                       fresh_cwd: Path) -> None:
    path = _strategy(fresh_cwd, """
        import backtrader as bt


        class Ratio(bt.Indicator):
            lines = ("ratio",)

            def next(self):
                self.lines.ratio[0] = self.data.close[0] / (self.data.volume[0] * 0)


        class UsesRatio(bt.Strategy):
            def __init__(self):
                self.ratio = Ratio()
    """)
    result = cli("backtest", "--strategy", f"{path}:UsesRatio", *SHORT)
    assert result.code == 1, result.err
    assert result.err.splitlines() == [
        "error: strategy UsesRatio raised an exception while computing its indicators: "
        "ZeroDivisionError: float division by zero",
        "  user_strategy.py:9 in next",
        "    self.lines.ratio[0] = self.data.close[0] / (self.data.volume[0] * 0)",
    ]
    assert not (fresh_cwd / "runs").exists()
