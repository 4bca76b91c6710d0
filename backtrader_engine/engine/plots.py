"""Report plots drawn with matplotlib's Agg backend.

backtrader's ``cerebro.plot()`` forces the TkAgg backend, which fails on a headless machine and
needs backtrader's observers; these plots only need the equity frame and the trade ledger.

Long series are thinned to the figure's pixel columns by :func:`.decimate.decimate`, which keeps
each column's extremes, so the picture is the one every bar would draw. The files carry no
software version or date: equal inputs give equal bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted for report files

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backtrader_engine.engine.decimate import decimate  # noqa: E402

DPI = 110
EQUITY_SIZE = (11.0, 6.5)
TRADES_SIZE = (11.0, 5.5)
#: PNG text chunks: matplotlib writes its version as "Software" unless told not to.
METADATA: dict[str, str | None] = {"Software": None}


def pixel_columns(size: tuple[float, float]) -> int:
    """How many pixel columns a figure of *size* inches has; no axes is wider."""
    return int(size[0] * DPI)


def _times(values: pd.Index | pd.Series) -> np.ndarray:
    """*values* as datetime64: matplotlib converts those as one array, but pandas timestamps
    one at a time (a tenth of a second for the markers of 20,000 trades)."""
    return pd.to_datetime(values).to_numpy()


def save(fig: Figure, path: Path) -> Path:
    """Write *fig* as a PNG without varying metadata and close it."""
    fig.savefig(path, dpi=DPI, metadata=METADATA)
    plt.close(fig)
    return path


def plot_equity(equity: pd.DataFrame, path: Path, title: str) -> Path:
    """Equity curve above its drawdown (percent below the running peak)."""
    fig, (ax_eq, ax_dd) = plt.subplots(2, 1, figsize=EQUITY_SIZE, sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    columns = pixel_columns(EQUITY_SIZE)
    curve = decimate(equity["equity"], columns)
    ax_eq.plot(_times(curve.index), curve.to_numpy(), color="#1f77b4", linewidth=1.1,
               label="equity")
    ax_eq.axhline(float(equity["equity"].iloc[0]), color="grey", linewidth=0.6, linestyle=":")
    _symbol_lines(ax_eq, equity, columns)
    ax_eq.set_ylabel("equity (USDT)")
    ax_eq.set_title(title)
    ax_eq.grid(alpha=0.3)
    drawdown = decimate(equity["drawdown_pct"], columns)
    ax_dd.fill_between(_times(drawdown.index), -drawdown.to_numpy(), 0.0, color="#d62728",
                       alpha=0.4)
    ax_dd.set_ylabel("drawdown %")
    ax_dd.grid(alpha=0.3)
    ax_dd.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_dd.xaxis.get_major_locator()))
    fig.tight_layout()
    return save(fig, path)


def _symbol_lines(ax_eq, equity: pd.DataFrame, columns: int) -> None:
    """A portfolio's per-symbol lines: each sub-account's equity on the equity axis, or each
    symbol's PnL in the shared account on a second axis. A single-symbol run has neither."""
    own = [c for c in equity.columns if c.startswith("equity_")]
    pnl = [c for c in equity.columns if c.startswith("pnl_")]
    for column in own:
        line = decimate(equity[column], columns)
        ax_eq.plot(_times(line.index), line.to_numpy(), linewidth=0.8,
                   label=column.removeprefix("equity_"))
    if pnl:
        ax_pnl = ax_eq.twinx()
        for column in pnl:
            line = decimate(equity[column], columns)
            ax_pnl.plot(_times(line.index), line.to_numpy(), linewidth=0.8, linestyle="--",
                        label=f"{column.removeprefix('pnl_')} PnL")
        ax_pnl.set_ylabel("PnL per symbol (dashed)")
        ax_pnl.legend(loc="lower right", fontsize=8)
    if own or pnl:
        ax_eq.legend(loc="upper left", fontsize=8)


def plot_trades(prices: pd.DataFrame, trades: pd.DataFrame, path: Path, title: str) -> Path:
    """Close price with entry (triangles) and exit (crosses) markers, longs green, shorts red."""
    fig, ax = plt.subplots(figsize=TRADES_SIZE)
    _draw_trades(ax, prices, trades, title)
    fig.tight_layout()
    return save(fig, path)


def plot_portfolio_trades(prices: dict[str, pd.DataFrame], trades: pd.DataFrame, path: Path,
                          title: str) -> Path:
    """One price panel per symbol, each with that symbol's entries and exits."""
    fig, axes = plt.subplots(len(prices), 1, figsize=(TRADES_SIZE[0], 2.4 * len(prices) + 1),
                             squeeze=False)
    for ax, (symbol, frame) in zip(axes[:, 0], prices.items(), strict=True):
        _draw_trades(ax, frame, trades[trades["symbol"] == symbol], f"{title}: {symbol}")
    fig.tight_layout()
    return save(fig, path)


def _draw_trades(ax, prices: pd.DataFrame, trades: pd.DataFrame, title: str) -> None:
    close = decimate(prices["close"], pixel_columns(TRADES_SIZE))
    ax.plot(_times(close.index), close.to_numpy(), color="#444444", linewidth=0.8, label="close")
    for side, colour, marker in (("long", "#2ca02c", "^"), ("short", "#d62728", "v")):
        rows = trades[trades["side"] == side]
        if rows.empty:
            continue
        ax.scatter(_times(rows["entry_time"]), rows["entry_price"].to_numpy(), marker=marker,
                   color=colour, s=36, zorder=3, label=f"{side} entry")
        closed = rows[rows["status"] == "closed"]
        ax.scatter(_times(closed["exit_time"]), closed["exit_price"].to_numpy(), marker="x",
                   color=colour, s=30, zorder=3, label=f"{side} exit")
    ax.set_title(title)
    ax.set_ylabel("price")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
