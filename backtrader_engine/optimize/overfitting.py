"""Overfitting diagnostics for parameter searches: Deflated Sharpe Ratio and PBO.

A search over many parameter sets almost always finds one with a good backtest, even on noise.
These two statistics ask how much of the winner's quality survives once the search is taken into
account:

- :func:`deflated_sharpe_ratio` (Bailey & López de Prado, 2014) is the probability that the
  winner's true Sharpe ratio is above the best Sharpe ratio expected from ``n_trials`` unskilled
  trials, corrected for the sample length and the non-normality of the returns.
- :func:`probability_of_backtest_overfitting` (Bailey, Borwein, López de Prado & Zhu, 2015) is the
  share of in-sample/out-of-sample splits (combinatorially symmetric cross-validation, CSCV) in
  which the in-sample winner ranks in the bottom half out of sample.

Sharpe ratios here are per period (mean over standard deviation of the returns as given, not
annualised) unless a name says otherwise; the study reports use daily returns, as the report
metrics do, so ``periods_per_year`` defaults to 365. The standard normal distribution comes from
:class:`statistics.NormalDist`, so no statistics package is needed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()
# Rows of the combination matrix handled at once: bounds memory at about
# _CHUNK_CELLS floats per intermediate array whatever the number of columns.
_CHUNK_CELLS = 1_000_000
# A variance this small relative to the mean square is rounding noise of a flat series.
_FLAT_TOLERANCE = 1e-10


@dataclass(frozen=True)
class DSRResult:
    """Deflated Sharpe Ratio of one candidate.

    Attributes
    ----------
    dsr : float
        Probability (0 to 1) that the candidate's true Sharpe ratio exceeds
        ``expected_max_sharpe``; 0.95 is the usual threshold for significance.
    sharpe : float
        The candidate's per-period Sharpe ratio (mean / sample standard deviation).
    sharpe_annualised : float
        ``sharpe * sqrt(periods_per_year)``.
    expected_max_sharpe : float
        Per-period Sharpe ratio the best of ``n_trials`` skill-less trials is expected to reach.
    n_trials : int
        Number of independent trials the candidate was selected from.
    n_obs : int
        Number of returns used.
    skew : float
        Sample skewness of the returns.
    kurtosis : float
        Sample kurtosis of the returns, not in excess (3 for a normal distribution).
    """

    dsr: float
    sharpe: float
    sharpe_annualised: float
    expected_max_sharpe: float
    n_trials: int
    n_obs: int
    skew: float
    kurtosis: float


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios whose true value is zero.

    Uses the extreme-value approximation of Bailey & López de Prado (2014):
    ``sqrt(V) * ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`` with γ the Euler–Mascheroni
    constant. A single trial involves no selection, so the benchmark is 0.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if n_trials == 1 or sharpe_variance <= 0:
        return 0.0
    first = _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    second = _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * first + EULER_GAMMA * second)


def deflated_sharpe_ratio(
    returns: np.ndarray,
    n_trials: int,
    trial_sharpes: np.ndarray | None = None,
    periods_per_year: float = 365.0,
) -> DSRResult | None:
    """Deflated Sharpe Ratio (Bailey & López de Prado, 2014) of the selected candidate.

    ``DSR = Φ((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1) / 4 SR²))`` where SR is
    the candidate's per-period Sharpe ratio over T returns and SR* the expected maximum Sharpe
    ratio of ``n_trials`` skill-less trials (:func:`expected_max_sharpe`). With one trial SR* is
    0 and the DSR reduces to the Probabilistic Sharpe Ratio against zero.

    Parameters
    ----------
    returns : ndarray
        Per-period returns of the selected candidate (daily for the study reports); NaNs are
        dropped.
    n_trials : int
        Number of independent trials the candidate was chosen from (at least 1).
    trial_sharpes : ndarray, optional
        Per-period Sharpe ratios of all trials, at the same frequency as *returns*; their
        variance is the dispersion of Sharpe ratios under the null. When missing or with fewer
        than two finite values, the asymptotic variance of the candidate's own Sharpe estimate,
        ``(1 - skew SR + (kurt - 1) / 4 SR²) / (T - 1)``, is used instead.
    periods_per_year : float
        Used only for ``sharpe_annualised``.

    Returns
    -------
    DSRResult or None
        None when there are fewer than 3 returns, they do not vary, or the moment term under
        the square root is not positive (a degenerate two-valued series).
    """
    values = np.asarray(returns, dtype=float).ravel()
    values = values[np.isfinite(values)]
    n_obs = len(values)
    if n_obs < 3:
        return None
    # Exact test: the standard deviation of a constant series is rounding noise, not zero.
    if np.ptp(values) == 0:
        return None
    std = float(values.std(ddof=1))
    sharpe = float(values.mean()) / std
    skew, kurtosis = _moments(values)
    # Sample moments satisfy kurt >= skew² + 1, so this term is at least (1 - skew SR / 2)²; it
    # can only vanish for a degenerate two-valued series, where the formula has no meaning.
    moment_term = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not moment_term > 0:
        return None
    sharpe_variance = _trial_sharpe_variance(trial_sharpes)
    if sharpe_variance is None:
        sharpe_variance = moment_term / (n_obs - 1)
    benchmark = expected_max_sharpe(n_trials, sharpe_variance)
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(moment_term)
    return DSRResult(
        dsr=_NORMAL.cdf(z),
        sharpe=sharpe,
        sharpe_annualised=sharpe * math.sqrt(periods_per_year),
        expected_max_sharpe=benchmark,
        n_trials=int(n_trials),
        n_obs=n_obs,
        skew=skew,
        kurtosis=kurtosis,
    )


def _moments(values: np.ndarray) -> tuple[float, float]:
    """Skewness and (non-excess) kurtosis from the population central moments, as in the paper."""
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5
    kurtosis = float(np.mean(centred**4)) / m2**2
    return skew, kurtosis


def _trial_sharpe_variance(trial_sharpes: np.ndarray | None) -> float | None:
    if trial_sharpes is None:
        return None
    finite = np.asarray(trial_sharpes, dtype=float).ravel()
    finite = finite[np.isfinite(finite)]
    if len(finite) < 2:
        return None
    return float(finite.var(ddof=1))


@dataclass(frozen=True)
class PBOResult:
    """Probability of Backtest Overfitting from CSCV.

    Attributes
    ----------
    pbo : float
        Share of combinations whose in-sample best column ranks at or below the out-of-sample
        median (logit <= 0). Near 0: the selection carries over; 0.5: no better than a random
        pick; above 0.5: the selection is worse than chance out of sample.
    n_splits : int
        Number of contiguous blocks S actually used (may be lower than requested).
    n_combinations : int
        C(S, S/2), the number of in-sample/out-of-sample splits evaluated.
    logits : ndarray
        One logit ``ln(ω / (1 - ω))`` per combination, ω the relative out-of-sample rank.
    performance_degradation : float
        Slope of the least-squares line of the in-sample best's out-of-sample metric against
        its in-sample metric across combinations. Negative means higher in-sample scores come
        with lower out-of-sample scores; NaN when the in-sample scores do not vary.
    prob_oos_loss : float
        Share of combinations in which the in-sample best has a negative out-of-sample metric
        (a negative Sharpe ratio by default).
    """

    pbo: float
    n_splits: int
    n_combinations: int
    logits: np.ndarray
    performance_degradation: float
    prob_oos_loss: float


def probability_of_backtest_overfitting(
    returns: pd.DataFrame | np.ndarray,
    n_splits: int = 16,
    metric: Callable[[np.ndarray], np.ndarray] | None = None,
) -> PBOResult | None:
    """Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado & Zhu, 2015).

    The T rows (periods) are cut into S contiguous blocks. Each of the C(S, S/2) ways of choosing
    half of the blocks as in-sample (the rest out-of-sample) picks the column (trial) with the
    best in-sample metric and finds its relative rank ω = rank / (N + 1) among the N columns out
    of sample (rank 1 is the worst; ties share their average rank). The logit
    λ = ln(ω / (1 - ω)) is positive when the pick beats the out-of-sample median; PBO is the
    share of λ <= 0.

    Parameters
    ----------
    returns : DataFrame or ndarray
        T x N per-period returns, one column per trial, rows in time order. Rows where every
        column is NaN are dropped; any other NaN counts as a zero return (the trial was flat
        then, e.g. a run that ended early or had no position).
    n_splits : int
        Requested number of blocks S, even and at least 2. It is lowered (staying even) when T
        is too short for two rows per block.
    metric : callable, optional
        ``metric(matrix) -> scores`` mapping a rows x N array to N scores, higher is better.
        Defaults to the per-period Sharpe ratio (mean / sample standard deviation, 0 for a flat
        column), computed for all combinations at once from per-block sums; a custom metric is
        called twice per combination and is correspondingly slower.

    Returns
    -------
    PBOResult or None
        None with fewer than 2 columns or fewer than 4 usable rows.
    """
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even number of at least 2, got {n_splits}")
    matrix = np.asarray(returns, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"returns must be 2-dimensional (periods x trials), got {matrix.ndim}-d")
    matrix = matrix[~np.all(np.isnan(matrix), axis=1)]
    matrix = np.nan_to_num(matrix, nan=0.0)
    n_rows, n_cols = matrix.shape
    if n_cols < 2 or n_rows < 4:
        return None
    splits = min(n_splits, (n_rows // 2) // 2 * 2)
    blocks = np.array_split(np.arange(n_rows), splits)
    combos = np.array(list(itertools.combinations(range(splits), splits // 2)), dtype=np.intp)
    if metric is None:
        outcome = _sharpe_selection(matrix, blocks, combos)
    else:
        outcome = _metric_selection(matrix, blocks, combos, metric)
    return _summarise(outcome, splits)


def _selection_outcome(is_scores: np.ndarray, oos_scores: np.ndarray) -> np.ndarray:
    """Per combination: the in-sample best's IS score, its OOS score and relative OOS rank ω."""
    rows = np.arange(len(is_scores))
    chosen = np.argmax(is_scores, axis=1)
    chosen_oos = oos_scores[rows, chosen]
    below = (oos_scores < chosen_oos[:, None]).sum(axis=1)
    # The chosen column ties with itself; genuine ties share the average rank so that a
    # constant metric gives the neutral ω = 0.5 rather than a best or worst rank.
    ties = (oos_scores == chosen_oos[:, None]).sum(axis=1) - 1
    omega = (1.0 + below + 0.5 * ties) / (is_scores.shape[1] + 1)
    return np.column_stack([is_scores[rows, chosen], chosen_oos, omega])


def _sharpe_selection(
    matrix: np.ndarray, blocks: list[np.ndarray], combos: np.ndarray
) -> np.ndarray:
    """Sharpe-based selection for every combination from per-block sums (no per-combo pass)."""
    n_splits = len(blocks)
    column_mean = matrix.mean(axis=0)
    # Sums of squares of centred data: the variance is shift-invariant and centring keeps the
    # sum-of-squares formula from cancelling catastrophically when the mean dominates.
    centred = matrix - column_mean
    block_sum = np.stack([centred[b].sum(axis=0) for b in blocks])
    block_sq = np.stack([(centred[b] ** 2).sum(axis=0) for b in blocks])
    block_len = np.array([len(b) for b in blocks], dtype=float)
    indicator = np.zeros((len(combos), n_splits))
    indicator[np.arange(len(combos))[:, None], combos] = 1.0
    total_sum, total_sq, total_len = block_sum.sum(0), block_sq.sum(0), block_len.sum()
    step = max(1, _CHUNK_CELLS // matrix.shape[1])
    outcome = []
    for start in range(0, len(combos), step):
        part = indicator[start:start + step]
        s_is, q_is, n_is = part @ block_sum, part @ block_sq, part @ block_len
        is_scores = _sharpe_from_sums(s_is, q_is, n_is[:, None], column_mean)
        oos_scores = _sharpe_from_sums(total_sum - s_is, total_sq - q_is,
                                       (total_len - n_is)[:, None], column_mean)
        outcome.append(_selection_outcome(is_scores, oos_scores))
    return np.concatenate(outcome)


def _sharpe_from_sums(
    sums: np.ndarray, squares: np.ndarray, counts: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """Sharpe ratios from sums and sums of squares of centred data; 0 where the data is flat."""
    centred_mean = sums / counts
    variance = (squares - counts * centred_mean**2) / (counts - 1)
    mean = centred_mean + shift
    flat = variance <= _FLAT_TOLERANCE * (squares / counts)
    std = np.sqrt(np.where(flat, 1.0, variance))
    return np.where(flat, 0.0, mean / std)


def _metric_selection(
    matrix: np.ndarray,
    blocks: list[np.ndarray],
    combos: np.ndarray,
    metric: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    n_cols = matrix.shape[1]
    is_scores = np.empty((len(combos), n_cols))
    oos_scores = np.empty((len(combos), n_cols))
    all_blocks = set(range(len(blocks)))
    for i, combo in enumerate(combos):
        oos_blocks = sorted(all_blocks.difference(combo.tolist()))
        is_scores[i] = _checked(metric(matrix[np.concatenate([blocks[b] for b in combo])]),
                                n_cols)
        oos_scores[i] = _checked(metric(matrix[np.concatenate([blocks[b] for b in oos_blocks])]),
                                 n_cols)
    # NaN scores would break argmax and the ranking; an undefined score ranks lowest.
    is_scores[np.isnan(is_scores)] = -np.inf
    oos_scores[np.isnan(oos_scores)] = -np.inf
    return _selection_outcome(is_scores, oos_scores)


def _checked(scores: np.ndarray, n_cols: int) -> np.ndarray:
    values = np.asarray(scores, dtype=float).ravel()
    if values.shape != (n_cols,):
        raise ValueError(f"metric must return one score per column ({n_cols}), "
                         f"got shape {np.shape(scores)}")
    return values


def _summarise(outcome: np.ndarray, n_splits: int) -> PBOResult:
    is_best, oos_best, omega = outcome[:, 0], outcome[:, 1], outcome[:, 2]
    logits = np.log(omega / (1.0 - omega))
    finite = np.isfinite(is_best) & np.isfinite(oos_best)
    degradation = float("nan")
    if finite.sum() >= 2 and np.ptp(is_best[finite]) > 0:
        degradation = float(np.polyfit(is_best[finite], oos_best[finite], 1)[0])
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)),
        n_splits=n_splits,
        n_combinations=len(logits),
        logits=logits,
        performance_degradation=degradation,
        prob_oos_loss=float(np.mean(oos_best < 0.0)),
    )
