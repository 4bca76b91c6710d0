"""Decimation keeps each pixel column's extremes: a thinned line draws the full line's picture."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from backtrader_engine.engine.decimate import decimate, extreme_points  # noqa: E402


def _walk(n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(0.0, 1.0, n))
    values[rng.integers(0, n, 5)] += rng.normal(0.0, 300.0, 5)  # one-bar spikes
    return pd.Series(values, index=pd.date_range("2022-01-01", periods=n, freq="1min"))


def test_every_slice_keeps_its_first_lowest_highest_and_last_point() -> None:
    series = _walk(100_000, seed=1)
    x = series.index.asi8
    columns = 700
    kept = set(extreme_points(x, series.to_numpy(), columns).tolist())
    assert len(kept) <= 4 * columns
    slices = np.minimum((x - x[0]) * columns // (x[-1] - x[0]), columns - 1)
    for column in np.unique(slices):
        rows = np.flatnonzero(slices == column)
        values = series.to_numpy()[rows]
        assert {rows[0], rows[-1], rows[np.argmin(values)], rows[np.argmax(values)]} <= kept


def test_short_series_are_kept_whole() -> None:
    series = _walk(400, seed=2)
    assert decimate(series, 100).equals(series)


def test_nan_is_never_an_extreme_and_times_out_of_order_fall_back_to_positions() -> None:
    values = np.array([np.nan, 5.0, -3.0, np.nan, 1.0, 2.0] * 1_000)
    kept = extreme_points(np.arange(len(values)), values, 10)
    for part in np.array_split(kept, 10):  # 600 points a slice: first, lowest, highest, last
        assert set(values[part][~np.isnan(values[part])]) >= {-3.0, 5.0}
    shuffled = _walk(10_000, seed=3).sample(frac=1.0, random_state=1)
    thinned = decimate(shuffled, 100)
    assert shuffled.max() in thinned.to_numpy() and shuffled.min() in thinned.to_numpy()


def _pixels(series: pd.Series) -> np.ndarray:
    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=100)
    ax.plot(series.index.to_numpy(), series.to_numpy(), color="#1f77b4", linewidth=1.0)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    plt.close(fig)
    return image


def _reach_beyond(image: np.ndarray, other: np.ndarray) -> int:
    """How many pixels the line in *image* reaches above or below the line in *other*, in any
    pixel column (against the neighbouring columns too: a point may fall either side of a
    column edge)."""
    def extent(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ink = (img[..., 2] - img[..., 0]) > 60  # the blue line, not black axes or grey grid
        rows = np.arange(img.shape[0])[:, None]
        return np.where(ink, rows, 10**6).min(0), np.where(ink, rows, -1).max(0), ink.any(0)

    top, bottom, drawn = extent(image)
    other_top, other_bottom, _ = extent(other)
    padded_top = np.pad(other_top, 1, constant_values=10**6)
    padded_bottom = np.pad(other_bottom, 1, constant_values=-1)
    near_top = np.minimum.reduce([padded_top[:-2], padded_top[1:-1], padded_top[2:]])
    near_bottom = np.maximum.reduce([padded_bottom[:-2], padded_bottom[1:-1], padded_bottom[2:]])
    return int(max(np.maximum(near_top - top, 0)[drawn].max(),
                   np.maximum(bottom - near_bottom, 0)[drawn].max()))


def test_the_thinned_line_reaches_as_far_as_every_bar_does() -> None:
    series = _walk(200_000, seed=4)
    full = _pixels(series)
    thinned = _pixels(decimate(series, 1_100))  # the figure's pixel columns
    assert _reach_beyond(full, thinned) <= 1 and _reach_beyond(thinned, full) <= 1
    # Every n-th point, as the plots drew before, loses the spikes.
    assert _reach_beyond(full, _pixels(series.iloc[::40])) > 50
