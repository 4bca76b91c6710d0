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
