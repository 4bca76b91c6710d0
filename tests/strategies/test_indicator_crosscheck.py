"""The backtrader indicators the built-ins use agree with the independent ``ta`` library.

Both libraries use Wilder smoothing for RSI, ATR and ADX, but seed their recursions
differently, so early values differ and the difference decays geometrically:

* EMA: backtrader seeds with the SMA of the first ``period`` closes, ``ta`` (pandas ``ewm``,
  ``adjust=False``) with the first close.
* RSI: backtrader seeds the average gain/loss with an SMA, ``ta`` runs ``ewm(alpha=1/n)`` from
  the first change.
* ATR: ``ta`` counts the first bar's high - low as a true range, backtrader starts one bar later.
* ADX / +DI / -DI and Bollinger Bands are seeded identically and match from the first value
  (``ta`` leaves its last ADX value at 0, so the last bar is excluded).

So values are compared only after a warm-up of many periods, where the seed's weight is far
below the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import backtrader as bt
import numpy as np
import pandas as pd
import pytest
import ta

from backtrader_engine.strategies import (
    BollingerReversionStrategy,
    RSIEMAMomentumStrategy,
    TrendFollowingADXEMAStrategy,
)

WARMUP = 300  # 6 periods of the slow EMA (50) and over 20 of the 14-bar Wilder averages

Backtest = Callable[..., tuple[bt.Strategy, Any]]


def _values(line: Any) -> np.ndarray:
    # After a preloaded (runonce) run every line holds one value per bar.
    return np.asarray(line.array, dtype=float)


def _assert_close(mine: Any, reference: pd.Series, rtol: float, start: int = WARMUP) -> None:
    ours = _values(mine)
    theirs = reference.to_numpy(dtype=float)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours[start:-1], theirs[start:-1], rtol=rtol, atol=1e-9)


@pytest.fixture(scope="module")
def trend(ohlcv: pd.DataFrame, backtest: Backtest) -> bt.Strategy:
    return backtest(TrendFollowingADXEMAStrategy, ohlcv)[0]


def test_adx_and_directional_indicators(trend: bt.Strategy, ohlcv: pd.DataFrame) -> None:
    ref = ta.trend.ADXIndicator(ohlcv.high, ohlcv.low, ohlcv.close, window=14)
    # Identical seeding: compare from well before the usual warm-up.
    _assert_close(trend.dmi.adx, ref.adx(), rtol=1e-9, start=60)
    _assert_close(trend.dmi.plusDI, ref.adx_pos(), rtol=1e-9, start=60)
    _assert_close(trend.dmi.minusDI, ref.adx_neg(), rtol=1e-9, start=60)


def test_atr(trend: bt.Strategy, ohlcv: pd.DataFrame) -> None:
    ref = ta.volatility.AverageTrueRange(ohlcv.high, ohlcv.low, ohlcv.close, window=14)
    _assert_close(trend.atr, ref.average_true_range(), rtol=1e-7)


def test_trend_emas(trend: bt.Strategy, ohlcv: pd.DataFrame) -> None:
    for line, window in ((trend.fast, 20), (trend.slow, 50)):
        ref = ta.trend.EMAIndicator(ohlcv.close, window=window).ema_indicator()
        _assert_close(line, ref, rtol=1e-7)


def test_rsi_and_ema(ohlcv: pd.DataFrame, backtest: Backtest) -> None:
    strat = backtest(RSIEMAMomentumStrategy, ohlcv)[0]
    rsi = ta.momentum.RSIIndicator(ohlcv.close, window=14).rsi()
    # RSI is on a 0..100 scale: an absolute tolerance is the meaningful one.
    np.testing.assert_allclose(
        _values(strat.rsi)[WARMUP:], rsi.to_numpy()[WARMUP:], rtol=0, atol=1e-4
    )
    ema = ta.trend.EMAIndicator(ohlcv.close, window=20).ema_indicator()
    _assert_close(strat.ema, ema, rtol=1e-7)


def test_bollinger_bands(ohlcv: pd.DataFrame, backtest: Backtest) -> None:
    strat = backtest(BollingerReversionStrategy, ohlcv)[0]
    ref = ta.volatility.BollingerBands(ohlcv.close, window=20, window_dev=2.0)
    # Both use the population standard deviation (ddof=0); identical from the first full window.
    _assert_close(strat.bb.mid, ref.bollinger_mavg(), rtol=1e-10, start=19)
    _assert_close(strat.bb.top, ref.bollinger_hband(), rtol=1e-10, start=19)
    _assert_close(strat.bb.bot, ref.bollinger_lband(), rtol=1e-10, start=19)


def test_seeding_difference_is_real_but_decays(trend: bt.Strategy, ohlcv: pd.DataFrame) -> None:
    """Guards the module docstring: early EMA values differ, late ones do not."""
    ours = _values(trend.fast)
    theirs = ta.trend.EMAIndicator(ohlcv.close, window=20).ema_indicator().to_numpy()
    early = np.abs(ours[19:25] - theirs[19:25]).max()
    late = np.abs(ours[WARMUP:] - theirs[WARMUP:]).max()
    assert early > 1e-4 * ohlcv.close.iloc[0]  # a visible difference right after the seed
    assert late < early * 1e-6
