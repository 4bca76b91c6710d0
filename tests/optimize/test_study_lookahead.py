"""A study's best params go through the look-ahead check; its outcome is one summary line."""

from __future__ import annotations

from pathlib import Path

from backtrader_engine.engine.backtest import BacktestRequest
from backtrader_engine.engine.job import BacktestJob, prepare_backtest
from backtrader_engine.engine.portfolio_job import prepare_portfolio
from backtrader_engine.optimize.lookahead_check import StudyLookahead, check_best_params
from tests.conftest import TESTDATA

LEAKY = Path(__file__).resolve().parents[1] / "testdata" / "leaky_strategies.py"
FEES = (0.00055, 0.0002)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def _request(strategy: str, end: str = "2017-08-31") -> BacktestRequest:
    request, _ = prepare_backtest(BacktestJob(strategy=strategy, end=end), FEES)
    return request


def test_best_params_that_leak_are_reported_with_the_first_finding() -> None:
    outcome = check_best_params(_request(f"{LEAKY}:ShiftedPandasSignal"), {"period": 12})
    assert outcome.report is not None and not outcome.report.clean
    assert outcome.report.findings[0].name == "signal"
    # The best trial's period is the one checked: the first decision comes at its bar 11.
    assert outcome.report.findings[0].bar >= 11
    assert outcome.line().startswith("look-ahead: FOUND 1: the signal at bar")
    assert outcome.as_dict()["clean"] is False


def test_a_check_that_cannot_run_says_why_instead_of_failing_the_study() -> None:
    outcome = check_best_params(_request(f"{LEAKY}:HonestCross", end="2017-07-01 20:00"), {})
    assert outcome.report is None and outcome.problem is not None
    assert "needs at least" in outcome.problem
    assert outcome.line() == f"look-ahead: not checked ({outcome.problem})"
    assert StudyLookahead(None, "x").as_dict() == {"clean": None, "problem": "x"}


def _portfolio_request(strategy: str) -> BacktestRequest:
    portfolio, _, _ = prepare_portfolio(BacktestJob(strategy=strategy, data=TESTDATA,
                                                    symbols=SYMBOLS, timeframe="1h",
                                                    start="2025-09-11"), FEES)
    return portfolio.as_request()


def test_a_portfolio_study_checks_every_symbol_on_its_own_candles() -> None:
    outcome = check_best_params(_portfolio_request(f"{LEAKY}:HonestCross"), {})
    assert list(outcome.by_symbol) == list(SYMBOLS)
    assert all(r.clean and r.signals_checked > 0 for r in outcome.by_symbol.values())
    # Each symbol is replayed on its own bars, not on the portfolio's headline frame.
    assert {r.bars for r in outcome.by_symbol.values()} == {1000}
    assert outcome.line().startswith("look-ahead: clean on 3 symbols (18 truncated histories, ")
    assert outcome.as_dict()["clean"] is True
    assert set(outcome.as_dict()["symbols"]) == set(SYMBOLS)  # type: ignore[arg-type]


def test_a_leak_in_a_portfolio_study_names_its_symbol() -> None:
    outcome = check_best_params(_portfolio_request(f"{LEAKY}:ShiftedPandasSignal"),
                                {"period": 12})
    assert not all(r.clean for r in outcome.by_symbol.values())
    assert outcome.line().startswith("look-ahead (BTCUSDT): FOUND ")
    assert outcome.as_dict()["clean"] is False
