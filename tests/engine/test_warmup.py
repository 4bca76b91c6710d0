"""The warm-up check: an SMA is exact from its minimum period, an EMA carries its seed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtrader_engine.engine.job import BacktestJob, prepare_backtest
from backtrader_engine.engine.warmup import (
    REL_TOL,
    WarmupReport,
    analyse_warmup,
    start_offsets,
)
from backtrader_engine.engine.warmup_text import format_warmup, warmup_warnings
from backtrader_engine.errors import UserError

LEAKY = Path(__file__).resolve().parents[1] / "testdata" / "leaky_strategies.py"
FEES = (0.00055, 0.0002)


@pytest.fixture(scope="module")
def honest_cross() -> WarmupReport:
    request, _ = prepare_backtest(BacktestJob(strategy=f"{LEAKY}:HonestCross",
                                              end="2017-12-31"), FEES)
    return analyse_warmup(request, starts=3, window=1500)


def test_sma_converges_at_its_minimum_period(honest_cross: WarmupReport) -> None:
    sma = next(i for i in honest_cross.indicators if i.name == "fast")
    assert sma.minperiod == 5 and sma.converged_after == 5


def test_ema_converges_well_after_its_minimum_period(honest_cross: WarmupReport) -> None:
    ema = next(i for i in honest_cross.indicators if i.name == "slow")
    assert ema.minperiod == 20
    # EMA(20) forgets its seed by (19/21) per bar: below 1e-6 relative after ~100-140 bars.
    assert ema.converged_after is not None and 60 < ema.converged_after < 250
    assert honest_cross.needed == max(i.converged_after or 0 for i in honest_cross.indicators)


def test_the_table_names_indicators_tolerance_and_maximum(honest_cross: WarmupReport) -> None:
    text = format_warmup(honest_cross)
    assert f"relative {REL_TOL:g}" in text
    assert "INDICATOR" in text and "fast" in text and "slow" in text
    assert text.splitlines()[-1] == f"warm-up needed: {honest_cross.needed} bars"


def test_a_short_paper_or_in_sample_warmup_is_warned(honest_cross: WarmupReport) -> None:
    needed = honest_cross.needed
    assert warmup_warnings(honest_cross, paper_warmup=needed) == []
    short = warmup_warnings(honest_cross, paper_warmup=needed - 1, in_sample=needed - 1)
    assert len(short) == 2
    assert f"--warmup-bars {needed}" in short[0] and "in-sample" in short[1]


def test_starts_are_spread_beyond_twice_the_minimum_period() -> None:
    assert start_offsets(10, 3) == [0, 100, 200]
    assert start_offsets(80, 2) == [0, 160]


def test_too_short_data_is_refused() -> None:
    request, _ = prepare_backtest(BacktestJob(strategy=f"{LEAKY}:HonestCross",
                                              end="2017-07-10"), FEES)
    with pytest.raises(UserError, match="warm-up check starts runs"):
        analyse_warmup(request, starts=4)
