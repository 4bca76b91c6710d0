"""The look-ahead check catches strategies that read the future and passes honest ones.

The leaking strategies live in ``tests/testdata/leaky_strategies.py``; every check runs on
the first months of the bundled BTC 1h candles, so that each takes a second or two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backtrader_engine.engine.backtest import BacktestRequest
from backtrader_engine.engine.job import BacktestJob, prepare_backtest
from backtrader_engine.engine.lookahead import check_lookahead, choose_cuts
from backtrader_engine.engine.lookahead_text import format_lookahead, lookahead_line
from backtrader_engine.engine.run_capture import record_run
from backtrader_engine.strategies import BUILTIN_STRATEGIES

LEAKY = Path(__file__).resolve().parents[1] / "testdata" / "leaky_strategies.py"
FEES = (0.00055, 0.0002)


def _request(strategy: str, end: str = "2017-09-15") -> BacktestRequest:
    request, _ = prepare_backtest(BacktestJob(strategy=strategy, end=end), FEES)
    return request


def test_reading_the_next_close_is_caught_at_the_first_decision_bar() -> None:
    request = _request(f"{LEAKY}:PeekNextClose")
    report = check_lookahead(request, cuts=6)
    assert not report.clean
    first = report.findings[0]
    # close[1] exists at every bar of the full run but the last; a history ending at the
    # first bar next() runs on (SMA(10): bar 9) has no next close there.
    assert (first.kind, first.name, first.bar) == ("error", "error", 9)
    assert first.time == request.frame.index[9]
    assert "IndexError" in first.truncated and first.full == "completed the bar"
    assert "LOOK-AHEAD" in format_lookahead(report)


def test_a_signal_shifted_from_the_future_with_pandas_is_caught_at_its_first_signal() -> None:
    request = _request(f"{LEAKY}:ShiftedPandasSignal")
    close = request.frame["close"].to_numpy()
    # The strategy buys at the first bar from its SMA's period on whose next close is higher.
    expected = next(i for i in range(9, len(close) - 1) if close[i + 1] > close[i])
    report = check_lookahead(request, cuts=6)
    signal = next(f for f in report.findings if f.name == "signal")
    assert signal.bar == expected == report.findings[0].bar
    assert signal.full.startswith("buy 0.01 Market") and signal.truncated == "no order"


def test_an_indicator_computed_from_the_next_bar_is_named_with_its_first_bar() -> None:
    request = _request(f"{LEAKY}:CentredAverage")
    report = check_lookahead(request, cuts=6)
    names = {f.name: f for f in report.findings}
    line = names["centred.lines.centred"]
    assert line.bar == 1  # its first value (minimum period 2) already averages in bar 2
    close = request.frame["close"].to_numpy()
    assert float(line.full) == pytest.approx(close[0:3].mean(), rel=1e-9)
    assert float(line.truncated) == pytest.approx(close[0:2].mean(), rel=1e-9)


def test_an_honest_strategy_is_clean_with_its_signals_compared() -> None:
    report = check_lookahead(_request(f"{LEAKY}:HonestCross"), cuts=6)
    assert report.clean, report.findings
    assert report.signals_checked > 10 and report.signal_cuts >= 1
    assert set(report.lines) == {"fast.lines.sma", "slow.lines.ema", "cross.lines.crossover"}
    assert lookahead_line(report).startswith("look-ahead: clean")


@pytest.mark.parametrize("name", sorted(BUILTIN_STRATEGIES))
def test_every_builtin_strategy_is_clean_on_the_bundled_candles(name: str) -> None:
    report = check_lookahead(_request(name, end="2017-12-31"), cuts=6)
    assert report.clean, format_lookahead(report)
    # Not a pass over nothing: signals were made and compared, and histories ended at them.
    assert report.signals_checked > 0 and report.signal_cuts > 0
    assert len(report.lines) >= 2


def test_cuts_include_the_first_signal_and_the_first_decision_bar_and_stay_bounded() -> None:
    full = record_run(_request(f"{LEAKY}:HonestCross"))
    cuts, at_signals = choose_cuts(full, 8)
    first_signal = min(full.signals_by_bar)
    assert len(cuts) <= 8 and at_signals == 4
    assert first_signal in cuts and full.first_decision in cuts
    assert max(cuts) < len(full.times) - 1  # the full history itself is no cut
    assert choose_cuts(full, 0) == ([], 0)


def test_the_recorded_lines_are_the_indicators_values() -> None:
    request = _request(f"{LEAKY}:HonestCross")
    run = record_run(request)
    sma = run.lines["fast.lines.sma"]
    expected = request.frame["close"].rolling(5).mean().to_numpy()
    assert np.allclose(sma.values[4:], expected[4:], rtol=1e-12)
    assert sma.minperiod == 5 and run.first_decision == 20  # CrossOver(SMA5, EMA20): 21


def test_a_higher_timeframe_bar_is_seen_only_once_it_has_closed() -> None:
    request, _ = prepare_backtest(BacktestJob(strategy="RSIEMAMomentum", end="2017-12-31",
                                              confirm_timeframes=("4h",)), FEES)
    full = record_run(request)
    # next() first runs once the 4h EMA(20) has its 20 bars: 80 hourly bars in, not at the
    # base feed's own minimum period.
    assert full.first_decision >= 79
    report = check_lookahead(request, cuts=6)
    assert report.clean, format_lookahead(report)
    assert report.signals_checked > 0 and min(report.cuts) == full.first_decision
