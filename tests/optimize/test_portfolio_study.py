"""``optimize --symbols``: one study of the portfolio objective.

The study's request stands for the whole portfolio: every trial runs all symbols in one
backtest and is scored on the portfolio's equity; the out-of-sample split cuts every symbol at
the same time inside the range all symbols have candles for.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from backtrader_engine.cli import main
from backtrader_engine.engine.job import BacktestJob
from backtrader_engine.engine.portfolio import portfolio_window, run_portfolio
from backtrader_engine.errors import UserError
from backtrader_engine.optimize.objectives import evaluate, score
from backtrader_engine.optimize.plan import OptimizeJob, prepare_optimization
from tests.conftest import TESTDATA, synthetic_ohlcv

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
FEES = (0.00055, 0.0002)


def _job(tmp_path: Path, **backtest: object) -> OptimizeJob:
    fields: dict[str, object] = {"strategy": "RSIEMAMomentum", "data": TESTDATA,
                                 "symbols": SYMBOLS, "timeframe": "1h", "start": "2025-09-11"}
    fields.update(backtest)
    return OptimizeJob(BacktestJob(**fields),  # type: ignore[arg-type]
                       trials=2, oos_fraction=0.3, out=tmp_path / "study", min_trades=1)


def test_the_split_cuts_every_symbol_at_the_same_time(tmp_path: Path) -> None:
    plan = prepare_optimization(_job(tmp_path), FEES)
    portfolio = plan.request.portfolio
    assert portfolio is not None and portfolio.symbols == list(SYMBOLS)
    assert plan.out_of_sample is not None
    cut = plan.out_of_sample.index[0]
    for part in (plan.in_sample, plan.out_of_sample):
        window = portfolio_window(plan.task(part, "s").request())
        assert [leg.symbol for leg in window.legs] == list(SYMBOLS)
        for leg in window.legs:
            assert leg.frame.index[0] == part.index[0]
            assert leg.frame.index[-1] == part.index[-1]
            assert (leg.frame.index < cut).all() or (leg.frame.index >= cut).all()


def test_a_trial_is_scored_on_the_portfolio_equity(tmp_path: Path) -> None:
    plan = prepare_optimization(_job(tmp_path), FEES)
    request = plan.task(plan.in_sample, "s").request()
    suggested = {"rsi_period": 10, "ema_period": 30}
    outcome = evaluate(request, suggested, "return", 1)
    direct = run_portfolio(portfolio_window(
        replace(request, params={**request.params, **suggested})))
    assert outcome.result.final_value == direct.final_value
    assert outcome.value == score(direct.metrics, "return", 1)[0]
    assert outcome.metrics["trades"] == sum(row.trades for row in direct.symbols[:-1]) > 0
    assert outcome.value == pytest.approx(
        100.0 * (direct.final_value / request.cash - 1.0), abs=1e-9)


def test_symbols_without_a_common_range_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "apart"
    folder.mkdir()
    synthetic_ohlcv(300, freq="1h", start="2022-01-01").to_csv(folder / "AAAUSDT-1h.csv")
    synthetic_ohlcv(300, freq="1h", start="2023-01-01").to_csv(folder / "BBBUSDT-1h.csv")
    job = _job(tmp_path, data=folder, symbols=("AAAUSDT", "BBBUSDT"), start=None)
    with pytest.raises(UserError, match="share no time range"):
        prepare_optimization(job, FEES)


def test_a_portfolio_study_runs_from_the_command_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["optimize", "--strategy", "RSIEMAMomentum", "--data", str(TESTDATA),
                     "--symbols", ",".join(SYMBOLS), "--timeframe", "1h", "--from",
                     "2025-09-11", "--trials", "2", "--n-jobs", "1", "--min-trades", "1",
                     "--no-plots", "--out", str(tmp_path / "study"), "--seed", "1"])
    assert code == 0, err.getvalue()
    assert "portfolio BTCUSDT,ETHUSDT,SOLUSDT (shared account)" in out.getvalue()
    summary = json.loads((tmp_path / "study" / "optimization_summary.json").read_text())
    assert summary["best"] is not None


def test_a_portfolio_study_refuses_a_pruner_rather_than_ignoring_it(tmp_path: Path) -> None:
    # Pruning reads one broker's equity at checkpoints; a portfolio runs without them, so a
    # pruner there would be silently inert.
    with pytest.raises(UserError, match=r"^--pruner median: a portfolio study \(--symbols\) "
                                        r"cannot be pruned; use --pruner none or one symbol$"):
        prepare_optimization(replace(_job(tmp_path), pruner="median"), FEES)
    assert not (tmp_path / "study").exists()
