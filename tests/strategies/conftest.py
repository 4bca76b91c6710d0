"""Data and backtest fixtures for the strategy tests.

``make_ohlcv`` builds a deterministic hourly OHLCV frame: a GARCH(1,1) random walk (so
volatility clusters), slowly switching drift regimes (so trend rules have trends to follow) and
volume that rises with the absolute return plus occasional independent spikes.

The tests run in pytest's importlib mode, so they reach the data and backtest functions through
fixtures rather than imports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

COINBASE_BTC_1H = Path(__file__).resolve().parents[1] / "testdata" / "Coinbase_BTCUSD_1h.csv"


def make_ohlcv(
    n: int = 3000, seed: int = 7, start_price: float = 30_000.0, freq: str = "1h"
) -> pd.DataFrame:
    """Return an OHLCV frame of *n* bars indexed by a naive UTC ``DatetimeIndex``."""
    rng = np.random.default_rng(seed)
    omega, alpha, beta = 2e-7, 0.08, 0.9
    variance = omega / (1 - alpha - beta)
    shocks = rng.standard_t(df=5, size=n) / np.sqrt(5 / 3)  # unit variance, fat tails
    # Drift regimes of a few hundred bars, so the walk has stretches of up- and down-trend.
    regime_drift = rng.choice([-4e-4, 0.0, 4e-4], size=n // 250 + 1)
    drift = np.repeat(regime_drift, 250)[:n]

    returns = np.empty(n)
    sigmas = np.empty(n)
    for i in range(n):
        sigma = np.sqrt(variance)
        sigmas[i] = sigma
        returns[i] = drift[i] + sigma * shocks[i]
        variance = omega + alpha * returns[i] ** 2 + beta * variance

    close = start_price * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[start_price], close[:-1]])
    wick_up = np.abs(rng.normal(0.0, 0.6, n)) * sigmas
    wick_down = np.abs(rng.normal(0.0, 0.6, n)) * sigmas
    high = np.maximum(open_, close) * np.exp(wick_up)
    low = np.minimum(open_, close) * np.exp(-wick_down)

    base_volume = 100.0 * rng.lognormal(0.0, 0.3, n)
    move = np.abs(returns) / sigmas
    spikes = np.where(rng.random(n) < 0.03, rng.uniform(2.0, 6.0, n), 1.0)
    volume = base_volume * (1.0 + 0.8 * move) * spikes

    index = pd.date_range("2022-01-01", periods=n, freq=freq, name="datetime")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def load_coinbase_btc_1h(path: Path = COINBASE_BTC_1H) -> pd.DataFrame:
    """Load the CryptoDataDownload-style Coinbase BTC/USD hourly file, oldest bar first."""
    raw = pd.read_csv(path, skiprows=1)  # line 1 is a banner, not the header
    index = pd.DatetimeIndex(pd.to_datetime(raw["date"], format="%Y-%m-%d %I-%p"), name="datetime")
    # "volume_btc" is in base units like every other feed; "volume" is the quote (USD) volume.
    frame = pd.DataFrame(
        {
            "open": raw["open"].to_numpy(float),
            "high": raw["high"].to_numpy(float),
            "low": raw["low"].to_numpy(float),
            "close": raw["close"].to_numpy(float),
            "volume": raw["volume_btc"].to_numpy(float),
        },
        index=index,
    )
    # Newest first in the file, with a few rows out of order: a stable sort fixes both.
    return frame.sort_index(kind="stable")


class OrderLog(bt.Analyzer):
    """Records every order notification and the broker value at the end of every bar."""

    def start(self) -> None:
        self.orders: list[dict[str, object]] = []
        self.values: list[float] = []
        self.positions: list[float] = []

    def next(self) -> None:
        self.values.append(self.strategy.broker.getvalue())
        self.positions.append(self.strategy.position.size)

    def notify_order(self, order: bt.Order) -> None:
        if order.status in (order.Submitted, order.Accepted):
            return
        self.orders.append(
            {
                "ref": order.ref,
                "bar": len(self.strategy),
                "status": order.getstatusname(),
                "side": "buy" if order.isbuy() else "sell",
                "exectype": order.getordername(),
                "created_price": order.created.price,
                "size": order.executed.size,
                "bar_open": self.strategy.data.open[0],
                "price": order.executed.price,
                "info": dict(order.info),
                # Position once this bar's executions are done (entries open, exits flatten).
                "position_after": self.strategy.position.size,
                # The last recorded value is the equity at the end of the previous bar, which
                # for an entry is the bar whose signal sized the order.
                "equity_before": self.values[-1] if self.values else None,
            }
        )

    def get_analysis(self) -> dict[str, object]:
        return {"orders": self.orders, "values": self.values, "positions": self.positions}

    def entries(self) -> list[dict[str, object]]:
        """Notifications of entry orders (the ones that carry a confidence)."""
        return [o for o in self.orders if "confidence" in o["info"]]


def run_backtest(
    strategy: type[bt.Strategy],
    frame: pd.DataFrame,
    *,
    stocklike: bool = False,
    confirm_minutes: int | None = None,
    cerebro_kwargs: dict[str, object] | None = None,
    **params: object,
) -> tuple[bt.Strategy, OrderLog]:
    """Run *strategy* on *frame* with 10k cash and a taker-like 0.055% commission.

    ``stocklike=False`` models a perpetual future with 1x margin (margin per unit = price);
    ``confirm_minutes`` adds a resampled higher-timeframe confirmation feed.
    """
    cerebro = bt.Cerebro(stdstats=False, **(cerebro_kwargs or {}))
    data = bt.feeds.PandasData(dataname=frame, timeframe=bt.TimeFrame.Minutes, compression=60)
    cerebro.adddata(data)
    if confirm_minutes is not None:
        cerebro.resampledata(data, timeframe=bt.TimeFrame.Minutes, compression=confirm_minutes)
    cerebro.broker.setcash(10_000.0)
    if stocklike:
        cerebro.broker.setcommission(commission=0.00055)
    else:
        cerebro.broker.setcommission(
            commission=0.00055,
            margin=None,
            commtype=bt.CommInfoBase.COMM_PERC,
            stocklike=False,
            automargin=1.0,
        )
    cerebro.addstrategy(strategy, **params)
    cerebro.addanalyzer(OrderLog, _name="orderlog")
    strat = cerebro.run()[0]
    return strat, strat.analyzers.orderlog


@pytest.fixture(scope="session")
def ohlcv() -> pd.DataFrame:
    """3000 synthetic hourly bars shared by the tests (read-only)."""
    return make_ohlcv()


@pytest.fixture
def ohlcv_factory() -> Callable[..., pd.DataFrame]:
    """The :func:`make_ohlcv` factory, for tests that need other sizes or seeds."""
    return make_ohlcv


@pytest.fixture(scope="session")
def backtest() -> Callable[..., tuple[bt.Strategy, OrderLog]]:
    """The :func:`run_backtest` function."""
    return run_backtest


@pytest.fixture(scope="session")
def coinbase_btc_1h() -> pd.DataFrame:
    """Real Coinbase BTC/USD hourly candles; skips the test when the file is not there."""
    if not COINBASE_BTC_1H.exists():
        pytest.skip(
            f"real-data file {COINBASE_BTC_1H} is not present (tests/testdata is filled separately)"
        )
    return load_coinbase_btc_1h()
