"""Deflated Sharpe Ratio and PBO against independent computations and constructed cases."""

from __future__ import annotations

import itertools
import math
import statistics
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.optimize.overfitting import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probability_of_backtest_overfitting,
)

N01 = NormalDist()
SMALL_RETURNS = [0.01, -0.005, 0.02, 0.0, -0.01, 0.015, 0.005, -0.002, 0.03, -0.012]
TRIAL_SHARPES = [0.1, 0.3, -0.2, 0.05, 0.22]


def _hand_moments(values: list[float]) -> tuple[float, float, float]:
    """Sharpe (sample std), skewness and kurtosis (population moments), in plain Python."""
    n = len(values)
    mean = sum(values) / n
    sharpe = mean / statistics.stdev(values)
    m2 = sum((v - mean) ** 2 for v in values) / n
    m3 = sum((v - mean) ** 3 for v in values) / n
    m4 = sum((v - mean) ** 4 for v in values) / n
    return sharpe, m3 / m2**1.5, m4 / m2**2


@pytest.fixture
def noisy_returns() -> np.ndarray:
    return np.random.default_rng(11).normal(0.001, 0.02, 400)


# --- Deflated Sharpe Ratio -------------------------------------------------------------------

def test_dsr_matches_hand_computation_with_trial_sharpes():
    sharpe, skew, kurt = _hand_moments(SMALL_RETURNS)
    n_obs, n_trials = len(SMALL_RETURNS), 7
    variance = statistics.variance(TRIAL_SHARPES)
    benchmark = math.sqrt(variance) * (
        (1 - 0.5772156649015329) * N01.inv_cdf(1 - 1 / n_trials)
        + 0.5772156649015329 * N01.inv_cdf(1 - 1 / (n_trials * math.e))
    )
    term = 1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2
    expected = N01.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(term))

    result = deflated_sharpe_ratio(np.array(SMALL_RETURNS), n_trials, np.array(TRIAL_SHARPES))

    assert result is not None
    assert result.dsr == pytest.approx(expected, rel=1e-12)
    assert result.sharpe == pytest.approx(sharpe, rel=1e-12)
    assert result.sharpe_annualised == pytest.approx(sharpe * math.sqrt(365), rel=1e-12)
    assert result.expected_max_sharpe == pytest.approx(benchmark, rel=1e-12)
    assert result.skew == pytest.approx(skew, rel=1e-12)
    assert result.kurtosis == pytest.approx(kurt, rel=1e-12)
    assert (result.n_trials, result.n_obs) == (n_trials, n_obs)


def test_dsr_without_trial_sharpes_uses_the_asymptotic_variance():
    sharpe, skew, kurt = _hand_moments(SMALL_RETURNS)
    n_obs, n_trials = len(SMALL_RETURNS), 20
    term = 1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2
    benchmark = math.sqrt(term / (n_obs - 1)) * (
        (1 - EULER_GAMMA) * N01.inv_cdf(1 - 1 / n_trials)
        + EULER_GAMMA * N01.inv_cdf(1 - 1 / (n_trials * math.e))
    )
    expected = N01.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(term))

    for trial_sharpes in (None, np.array([0.4]), np.array([np.nan, 0.2, np.nan])):
        result = deflated_sharpe_ratio(np.array(SMALL_RETURNS), n_trials, trial_sharpes)
        assert result is not None
        assert result.dsr == pytest.approx(expected, rel=1e-12)


def test_single_trial_is_the_probabilistic_sharpe_ratio_against_zero(noisy_returns):
    values = noisy_returns.tolist()
    sharpe, skew, kurt = _hand_moments(values)
    term = 1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2
    psr = N01.cdf(sharpe * math.sqrt(len(values) - 1) / math.sqrt(term))

    result = deflated_sharpe_ratio(noisy_returns, 1, np.array(TRIAL_SHARPES))

    assert result is not None
    assert result.expected_max_sharpe == 0.0
    assert result.dsr == pytest.approx(psr, rel=1e-12)


def test_more_trials_lower_the_dsr(noisy_returns):
    trial_sharpes = np.random.default_rng(3).normal(0.0, 0.05, 50)
    for sharpes in (trial_sharpes, None):
        values = [deflated_sharpe_ratio(noisy_returns, n, sharpes).dsr
                  for n in (1, 2, 5, 10, 100, 1000)]
        assert all(a > b for a, b in zip(values, values[1:], strict=False)), values


def test_higher_sharpe_raises_the_dsr(noisy_returns):
    # Adding a constant raises the mean only: same spread, skewness and kurtosis.
    results = [deflated_sharpe_ratio(noisy_returns + shift, 50) for shift in
               (-0.002, 0.0, 0.001, 0.002, 0.004)]
    sharpes = [r.sharpe for r in results]
    dsrs = [r.dsr for r in results]
    assert sharpes == sorted(sharpes)
    assert all(a < b for a, b in zip(dsrs, dsrs[1:], strict=False)), dsrs
    assert all(0.0 <= d <= 1.0 for d in dsrs)


def test_expected_max_sharpe_approximates_the_maximum_of_normals():
    # E[max of 100 standard normals] is about 2.5; the paper's approximation is close.
    draws = np.random.default_rng(5).standard_normal((20_000, 100)).max(axis=1)
    assert expected_max_sharpe(100, 1.0) == pytest.approx(float(draws.mean()), abs=0.05)
    assert expected_max_sharpe(100, 4.0) == pytest.approx(2 * expected_max_sharpe(100, 1.0))
    assert expected_max_sharpe(1, 1.0) == 0.0


def test_dsr_none_cases():
    assert deflated_sharpe_ratio(np.array([0.01, 0.02]), 5) is None
    assert deflated_sharpe_ratio(np.array([0.01, np.nan, 0.02, np.nan]), 5) is None
    assert deflated_sharpe_ratio(np.full(100, 0.001), 5) is None
    assert deflated_sharpe_ratio(np.array([]), 5) is None


def test_dsr_rejects_zero_trials(noisy_returns):
    with pytest.raises(ValueError, match="n_trials"):
        deflated_sharpe_ratio(noisy_returns, 0)


# --- Probability of Backtest Overfitting -----------------------------------------------------

def _brute_force_pbo(matrix: list[list[float]], n_splits: int) -> tuple[float, list[float]]:
    """CSCV written out with plain loops over combinations, columns and rows."""
    n_rows, n_cols = len(matrix), len(matrix[0])
    base, extra = divmod(n_rows, n_splits)
    blocks, start = [], 0
    for b in range(n_splits):
        size = base + (1 if b < extra else 0)
        blocks.append(list(range(start, start + size)))
        start += size

    def sharpe(rows: list[int], col: int) -> float:
        values = [matrix[r][col] for r in rows]
        std = statistics.stdev(values)
        return 0.0 if std == 0 else statistics.fmean(values) / std

    logits = []
    for combo in itertools.combinations(range(n_splits), n_splits // 2):
        is_rows = [r for b in combo for r in blocks[b]]
        oos_rows = [r for b in range(n_splits) if b not in combo for r in blocks[b]]
        is_scores = [sharpe(is_rows, c) for c in range(n_cols)]
        oos_scores = [sharpe(oos_rows, c) for c in range(n_cols)]
        best = max(range(n_cols), key=lambda c: (is_scores[c], -c))
        below = sum(1 for c in range(n_cols) if oos_scores[c] < oos_scores[best])
        ties = sum(1 for c in range(n_cols) if c != best and oos_scores[c] == oos_scores[best])
        omega = (1 + below + 0.5 * ties) / (n_cols + 1)
        logits.append(math.log(omega / (1 - omega)))
    return sum(1 for lam in logits if lam <= 0) / len(logits), logits


@pytest.mark.parametrize(("n_rows", "n_cols", "n_splits"), [(24, 5, 6), (27, 4, 4), (40, 7, 8)])
def test_pbo_equals_a_brute_force_implementation(n_rows, n_cols, n_splits):
    rng = np.random.default_rng(n_rows * 100 + n_cols)
    matrix = rng.normal(0.0005, 0.01, (n_rows, n_cols))

    result = probability_of_backtest_overfitting(matrix, n_splits=n_splits)
    pbo, logits = _brute_force_pbo(matrix.tolist(), n_splits)

    assert result is not None
    assert result.pbo == pbo
    np.testing.assert_allclose(result.logits, logits, rtol=0, atol=1e-12)


def test_custom_metric_path_matches_the_vectorised_sharpe():
    matrix = np.random.default_rng(8).normal(0.0, 0.01, (60, 6))

    def sharpe(block: np.ndarray) -> np.ndarray:
        return block.mean(axis=0) / block.std(axis=0, ddof=1)

    default = probability_of_backtest_overfitting(matrix, n_splits=6)
    custom = probability_of_backtest_overfitting(matrix, n_splits=6, metric=sharpe)

    assert default is not None and custom is not None
    assert custom.pbo == default.pbo
    np.testing.assert_allclose(custom.logits, default.logits, atol=1e-12)
    assert custom.prob_oos_loss == default.prob_oos_loss
    assert custom.performance_degradation == pytest.approx(default.performance_degradation)


def test_pure_noise_gives_pbo_near_one_half():
    # The combinations of one data set share most of their rows, so a single noise matrix can
    # land anywhere from about 0.1 to 0.75; the average over independent matrices is near 0.5.
    pbos = [probability_of_backtest_overfitting(
        np.random.default_rng(seed).normal(0.0, 0.01, (1000, 50))).pbo for seed in range(10)]
    assert 0.3 < float(np.mean(pbos)) < 0.7


def test_a_real_edge_gives_pbo_near_zero():
    matrix = np.random.default_rng(1).normal(0.0, 0.01, (1000, 50))
    matrix[:, 17] += 0.005  # half a standard deviation per period, in every period
    result = probability_of_backtest_overfitting(matrix)
    assert result is not None
    assert result.pbo < 0.05
    assert result.prob_oos_loss < 0.05


def test_performance_that_reverses_gives_a_high_pbo():
    # Every column earns +d in half of the blocks and -d in the other half (a different half per
    # column): whatever wins in-sample has lost the same amount in the blocks left out.
    rng = np.random.default_rng(9)
    n_splits, rows_per_block, n_cols = 8, 25, 30
    drift = np.zeros((n_splits, n_cols))
    for col in range(n_cols):
        signs = np.array([1.0] * (n_splits // 2) + [-1.0] * (n_splits // 2))
        drift[:, col] = rng.permutation(signs) * 0.004
    matrix = np.repeat(drift, rows_per_block, axis=0) + rng.normal(0, 0.01, (200, n_cols))

    result = probability_of_backtest_overfitting(matrix, n_splits=n_splits)

    assert result is not None
    assert result.pbo > 0.8
    assert result.performance_degradation < 0
    assert result.prob_oos_loss > 0.8


@pytest.mark.parametrize(("n_rows", "requested", "used"),
                         [(1000, 16, 16), (200, 6, 6), (30, 16, 14), (10, 16, 4), (5, 16, 2)])
def test_combination_count_and_split_reduction(n_rows, requested, used):
    matrix = np.random.default_rng(2).normal(0.0, 0.01, (n_rows, 3))
    result = probability_of_backtest_overfitting(matrix, n_splits=requested)
    assert result is not None
    assert result.n_splits == used
    assert result.n_combinations == math.comb(used, used // 2) == len(result.logits)


def test_nan_rows_are_dropped_and_other_nans_count_as_zero():
    rng = np.random.default_rng(4)
    matrix = rng.normal(0.0, 0.01, (80, 5))
    holey = matrix.copy()
    holey[10, 2] = np.nan
    holey[50:53, 0] = np.nan
    with_gaps = np.insert(holey, [0, 40, 80], np.nan, axis=0)
    expected = np.nan_to_num(holey, nan=0.0)

    result = probability_of_backtest_overfitting(pd.DataFrame(with_gaps), n_splits=8)
    reference = probability_of_backtest_overfitting(expected, n_splits=8)

    assert result is not None and reference is not None
    np.testing.assert_array_equal(result.logits, reference.logits)


def test_flat_columns_do_not_break_the_ranking():
    matrix = np.random.default_rng(6).normal(0.0, 0.01, (64, 4))
    matrix[:, 1] = 0.0  # a trial that never traded
    result = probability_of_backtest_overfitting(matrix, n_splits=4)
    assert result is not None
    assert np.all(np.isfinite(result.logits))


def test_pbo_none_cases_and_bad_splits():
    rng = np.random.default_rng(0)
    assert probability_of_backtest_overfitting(rng.normal(size=(100, 1))) is None
    assert probability_of_backtest_overfitting(rng.normal(size=(3, 10))) is None
    assert probability_of_backtest_overfitting(np.full((50, 4), np.nan)) is None
    with pytest.raises(ValueError, match="even"):
        probability_of_backtest_overfitting(rng.normal(size=(100, 4)), n_splits=5)
    with pytest.raises(ValueError, match="2-dimensional"):
        probability_of_backtest_overfitting(rng.normal(size=100))


def test_pbo_of_a_realistic_noise_study_is_near_a_coin_flip():
    # 1,000 periods x 200 trials of pure noise, 16 splits: every one of C(16, 8) = 12,870
    # combinations is evaluated (speed is a benchmark's business, not a unit test's).
    matrix = np.random.default_rng(12).normal(0.0, 0.01, (1000, 200))
    result = probability_of_backtest_overfitting(matrix, n_splits=16)
    assert result is not None and result.n_combinations == 12870
    assert len(result.logits) == 12870
    # With no skill anywhere, the in-sample best is out-of-sample median-ish: PBO near 0.5.
    assert 0.3 < result.pbo < 0.7
