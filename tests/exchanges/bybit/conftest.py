"""Shared factories: a small two-symbol DataStore of real candles and a replay server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.data import DataStore, load_ohlcv
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer


@pytest.fixture(scope="session")
def source_candles() -> dict[str, pd.DataFrame]:
    """One real day of BTCUSDT 1m candles, and a scaled copy standing in for ETHUSDT."""
    path = Path(__file__).resolve().parents[2] / "testdata" / "BTCUSDT-1m-2022-09-05.zip"
    btc = load_ohlcv(path)
    eth = btc.copy()
    eth[["open", "high", "low", "close"]] = (eth[["open", "high", "low", "close"]] / 13).round(2)
    return {"BTCUSDT": btc, "ETHUSDT": eth}


@pytest.fixture
def source_store(tmp_path: Path, source_candles: dict[str, pd.DataFrame]) -> Path:
    """A DataStore folder holding the source candles under exchange 'bybit'."""
    root = tmp_path / "source"
    store = DataStore(root)
    for symbol, frame in source_candles.items():
        store.write("bybit", symbol, "1m", frame)
    return root


@pytest.fixture
def replay_server(source_store: Path) -> Iterator[Callable[..., ReplayServer]]:
    """Factory: ``replay_server(rate_limit=None, stream={...}, **market_kwargs)`` on a free port.

    *stream* holds the stream keywords of :class:`ReplayServer` (speed, hold_when_idle,
    faults, start_ms).
    """
    started: list[ReplayServer] = []

    def factory(*, rate_limit: int | None = None, rate_limit_mode: str = "retcode",
                stream: dict[str, object] | None = None,
                **market_kwargs: object) -> ReplayServer:
        market = ReplayMarket.from_store(source_store, **market_kwargs)
        server = ReplayServer(market, rate_limit=rate_limit, rate_limit_mode=rate_limit_mode,
                              **(stream or {}))  # type: ignore[arg-type]
        started.append(server.start())
        return server

    yield factory
    for server in started:
        server.stop()
