"""The short report of an exception in a strategy's own code: which frames count as the
strategy's, when it happened, and the one-line and multi-line forms every mode uses."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import backtrader as bt
import pytest

from backtrader_engine.cli import run
from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.strategies import (
    RiskManagedStrategy,
    RSIEMAMomentumStrategy,
    resolve_strategy,
)
from backtrader_engine.strategies.failure import (
    StrategyFailure,
    StrategyRunError,
    UserFrame,
    error_line,
    shadowed_methods,
    strategy_files,
)

FAILURE = StrategyFailure("Boom", "at bar 2018-01-03 01:00 UTC", "ZeroDivisionError",
                          "division by zero",
                          (UserFrame("/elsewhere/boom.py", 14, "next", "self.helper()"),
                           UserFrame("/elsewhere/boom.py", 17, "helper", "return 1 / 0")),
                          "2018-01-03 01:00")


def test_the_long_form_lists_the_strategy_frames_with_their_source() -> None:
    assert str(FAILURE).splitlines() == [
        "strategy Boom raised an exception at bar 2018-01-03 01:00 UTC: ZeroDivisionError: "
        "division by zero",
        "  /elsewhere/boom.py:14 in next",
        "    self.helper()",
        "  /elsewhere/boom.py:17 in helper",
        "    return 1 / 0",
    ]


def test_the_one_line_form_names_the_innermost_frame() -> None:
    assert FAILURE.one_line() == ("Boom raised ZeroDivisionError: division by zero at bar "
                                  "2018-01-03 01:00 UTC (/elsewhere/boom.py:17)")
    assert str(StrategyRunError(FAILURE)) == FAILURE.one_line()


def test_error_line_keeps_one_line_messages_and_types_the_rest() -> None:
    assert error_line(StrategyRunError(FAILURE)) == FAILURE.one_line()
    assert error_line(NotEnoughBars("X", "1h", 30, 2)) == (
        "X needs at least 30 bars of 1h data (its longest indicator period) but the data has 2")
    assert error_line(KeyError("k")) == "KeyError: 'k'"


def test_a_subclass_of_the_base_counts_its_own_file_not_the_base(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent("""
        from backtrader_engine.strategies import RiskManagedStrategy


        class Mine(RiskManagedStrategy):
            pass
    """))
    assert strategy_files(resolve_strategy(f"{path}:Mine")) == {path.resolve()}
    # A built-in's own file counts; its base class's (this package's) does not.
    builtin = strategy_files(RSIEMAMomentumStrategy)
    assert [p.name for p in builtin] == ["rsi_ema_momentum.py"]
    assert strategy_files(RiskManagedStrategy) != set()
    assert strategy_files(bt.Strategy) == set()


def test_the_cli_reports_an_unhandled_strategy_failure_with_exit_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise StrategyRunError(FAILURE)

    parser = argparse.ArgumentParser()
    parser.set_defaults(handler=handler)
    assert run(parser, [], "bte") == 1
    err = capsys.readouterr().err
    assert err == f"error: {FAILURE}\n"


SHADOWING = '''
import backtrader as bt


class KeepsItsStop(bt.Strategy):
    def __init__(self):
        self.sma = bt.ind.SMA(self.data.close, period=20)
        self.stop = None

    def next(self):
        if not self.position and self.data.close[0] > self.sma[0]:
            self.buy()
            self.stop = self.data.close[0] * 0.95


class ClosesByName(bt.Strategy):
    def next(self):
        if len(self) == 30:
            self.close = self.data.close[0]
        if len(self) == 40:
            self.close()
'''


def _line_of(source: str) -> int:
    return next(number for number, line in enumerate(SHADOWING.splitlines(), start=1)
                if line.strip() == source)


def test_an_attribute_that_hides_a_strategy_method_is_named_where_it_is_set(
        cli, tmp_path: Path) -> None:
    path = tmp_path / "shadowing.py"
    path.write_text(SHADOWING)
    # backtrader calls stop() after the last bar and fails in its own frames: the report points
    # at the assignment instead, and says what to do.
    result = cli("backtest", "--strategy", f"{path}:KeepsItsStop", "--to", "2017-08-31",
                 "--out", str(tmp_path / "run"), "--no-plots")
    assert result.code == 1
    lines = result.err.splitlines()
    assert "after the last bar (in stop()): TypeError: 'float' object is not callable" in lines[0]
    assert "the strategy sets self.stop, which hides backtrader's Strategy method" in lines[0]
    assert "rename the attribute (e.g. self.stop_price)" in lines[0]
    assert lines[1:] == [f"  {path}:{_line_of('self.stop = None')} in __init__",
                         "    self.stop = None"]
    # When the strategy's own code calls the hidden method, its frame is kept and the hint added.
    result = cli("backtest", "--strategy", f"{path}:ClosesByName", "--to", "2017-08-31",
                 "--out", str(tmp_path / "run2"), "--no-plots")
    assert result.code == 1
    lines = result.err.splitlines()
    assert "the strategy sets self.close" in lines[0]
    assert lines[1:] == [f"  {path}:{_line_of('self.close()')} in next", "    self.close()"]


@pytest.mark.parametrize("name", ["VolatilityBreakout", "RSIEMAMomentum", "BollingerReversion",
                                  "EMABreakoutConservative", "ContrarianVolumeSpike",
                                  "TrendFollowingADXEMA"])
def test_no_builtin_strategy_hides_a_strategy_method(name: str, make_ohlcv) -> None:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=make_ohlcv(400, freq="1h")))
    cerebro.addstrategy(resolve_strategy(name))
    [strategy] = cerebro.run()
    assert shadowed_methods([strategy]) == []
