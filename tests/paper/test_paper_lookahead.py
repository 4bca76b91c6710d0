"""``paper`` refuses a strategy that reads future bars, unless ``--allow-lookahead``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult, run_cli

ROOT = Path(__file__).resolve().parents[2]
LEAKY = ROOT / "tests" / "testdata" / "leaky_strategies.py"


def _paper(state: Path, strategy: str, *extra: str) -> CliResult:
    return run_cli("paper", "--config-dir", str(ROOT / "configs"), "--source", "replay",
                   "--strategy", strategy, "--timeframe", "1h", "--replay-speed", "0",
                   "--max-bars", "1", "--state", str(state), "--no-manual",
                   "--status-every", "0", "--no-metrics", *extra)


def test_a_leaking_strategy_is_refused_in_one_line_before_anything_starts(
        tmp_path: Path, one_clear_line: Callable[[CliResult], str]) -> None:
    state = tmp_path / "state"
    line = one_clear_line(_paper(state, f"{LEAKY}:ShiftedPandasSignal"))
    assert line.startswith("error: ShiftedPandasSignal fails the look-ahead check: the signal "
                           "at bar ")
    assert re.search(r"\(buy 0\.01 Market @ [0-9.]+ with them, no order without\)", line)
    assert line.endswith("or pass --allow-lookahead")
    assert not state.exists()  # no ledger, no lock file


def test_allow_lookahead_trades_it_anyway(tmp_path: Path) -> None:
    result = _paper(tmp_path / "state", f"{LEAKY}:PeekNextClose", "--allow-lookahead")
    assert result.code == 0, result.err
    assert (tmp_path / "state" / "ledger.sqlite").is_file()


def test_a_builtin_strategy_passes_the_check_and_runs(tmp_path: Path) -> None:
    result = _paper(tmp_path / "state", "RSIEMAMomentum")
    assert result.code == 0, result.err
    assert "look-ahead" not in result.err


def test_a_strategy_the_check_cannot_run_is_noted_not_refused() -> None:
    from types import SimpleNamespace

    from backtrader_engine.commands.paper_lookahead import CHECK_BARS, check_paper_strategies
    from backtrader_engine.strategies.registry import resolve_strategy

    strategy = resolve_strategy(f"{LEAKY}:HonestCross")
    # An SMA longer than the candles the check runs on: nothing to check, nothing found.
    leaky = resolve_strategy(f"{LEAKY}:PeekNextClose")
    accounts = [SimpleNamespace(strategy=strategy, params={}, confirm_timeframes=(),
                                strategy_spec="HonestCross"),
                SimpleNamespace(strategy=leaky, params={"period": CHECK_BARS + 1},
                                confirm_timeframes=("4h",), strategy_spec="PeekNextClose")]
    notes: list[str] = []
    check_paper_strategies(accounts, notes)
    assert len(notes) == 1
    assert notes[0].startswith("note: PeekNextClose was not checked for look-ahead (")
    assert "needs at least 2001 bars" in notes[0]
