"""Report plots drawn with matplotlib's Agg backend.

backtrader's ``cerebro.plot()`` forces the TkAgg backend, which fails on a headless machine and
needs backtrader's observers; these plots only need the equity frame and the trade ledger.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted for report files

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

_MAX_POINTS = 5_000  # a line of more points than the figure has pixels only costs time


def _thin(series: pd.Series) -> pd.Series:
    step = max(1, len(series) // _MAX_POINTS)
    return series.iloc[::step] if step > 1 else series


def plot_equity(equity: pd.DataFrame, path: Path, title: str) -> Path:
    """Equity curve above its drawdown (percent below the running peak)."""
    fig, (ax_eq, ax_dd) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    curve = _thin(equity["equity"])
    ax_eq.plot(curve.index, curve.to_numpy(), color="#1f77b4", linewidth=1.1, label="equity")
    ax_eq.axhline(float(equity["equity"].iloc[0]), color="grey", linewidth=0.6, linestyle=":")
    ax_eq.set_ylabel("equity (USDT)")
    ax_eq.set_title(title)
    ax_eq.grid(alpha=0.3)
    drawdown = _thin(equity["drawdown_pct"])
    ax_dd.fill_between(drawdown.index, -drawdown.to_numpy(), 0.0, color="#d62728", alpha=0.4)
    ax_dd.set_ylabel("drawdown %")
    ax_dd.grid(alpha=0.3)
    ax_dd.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_dd.xaxis.get_major_locator()))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_trades(prices: pd.DataFrame, trades: pd.DataFrame, path: Path, title: str) -> Path:
    """Close price with entry (triangles) and exit (crosses) markers, longs green, shorts red."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    close = _thin(prices["close"])
    ax.plot(close.index, close.to_numpy(), color="#444444", linewidth=0.8, label="close")
    for side, colour, marker in (("long", "#2ca02c", "^"), ("short", "#d62728", "v")):
        rows = trades[trades["side"] == side]
        if rows.empty:
            continue
        ax.scatter(pd.to_datetime(rows["entry_time"]), rows["entry_price"], marker=marker,
                   color=colour, s=36, zorder=3, label=f"{side} entry")
        closed = rows[rows["status"] == "closed"]
        ax.scatter(pd.to_datetime(closed["exit_time"]), closed["exit_price"], marker="x",
                   color=colour, s=30, zorder=3, label=f"{side} exit")
    ax.set_title(title)
    ax.set_ylabel("price")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
