"""Where a paper session's market data comes from: Bybit, or a replay server.

``--source bybit`` (the default) is Bybit's mainnet (``--testnet``: testnet); ``--source
URL`` is a running replay server (``python -m backtrader_engine replay``); ``--source
replay`` starts one in-process on the bundled candles (or ``--replay-data``/``--replay-store``),
so the whole live path runs with no keys and no network. The in-process replay holds its
clock while no client is subscribed and starts far enough into its data to leave room for
the warm-up history.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.data import default_dataset, parse_timeframe
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import interval_for
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer

BUNDLED_SYMBOL = "BTCUSDT"  # the bundled BTC-USD candles stand in for the perpetual


@dataclass
class Source:
    """A resolved market-data source."""

    base_url: str | None  # None: Bybit itself
    testnet: bool = False
    server: ReplayServer | None = None  # an in-process replay to stop at the end

    def exhausted(self) -> bool:
        """The in-process replay has published its last candle (never for other sources).

        Bybit's protocol has no end of data, so only a replay run in this process can say
        when it is done; a replay server reached by URL looks like an open-ended market.
        """
        return self.server is not None and self.server.stream.finished

    def close(self) -> None:
        """Stop the in-process replay, if any."""
        if self.server is not None:
            self.server.stop("paper session ended")


def replay_market(data: Path | None, store: Path | None, symbol: str) -> ReplayMarket:
    """The market an in-process replay serves.

    ``--replay-data`` is served as *symbol* (the first of ``--symbols``); the bundled
    candles always as BTCUSDT, since that is what they are.
    """
    if data is not None and store is not None:
        raise UserError("give at most one of --replay-data and --replay-store")
    if store is not None:
        return ReplayMarket.from_store(store)
    if data is None:
        return ReplayMarket.from_files({BUNDLED_SYMBOL: default_dataset()})
    return ReplayMarket.from_files({symbol: data})


def start_replay(market: ReplayMarket, *, speed: float, warmup_bars: int,
                 timeframe: str, resume_ms: int | None = None) -> Source:
    """Serve *market* on a free loopback port, starting after *warmup_bars* of history.

    A resumed session passes *resume_ms*, the close of its last logged bar, so the replay
    continues where the session stopped instead of streaming bars it already has.
    """
    first = min(market.candles(s, interval_for(market.base_timeframe(s))[1]).index[0]
                for s in market.symbols)
    start_ms = int((first + warmup_bars * parse_timeframe(timeframe)).value // 1_000_000)
    if resume_ms is not None:
        start_ms = max(start_ms, resume_ms)
    server = ReplayServer(market, speed=speed, hold_when_idle=True,
                          start_ms=start_ms).start()
    server.start_clock()
    return Source(server.base_url, server=server)


def check_replay_symbols(market: ReplayMarket, symbols: list[str],
                         timeframe: str | None) -> None:
    """One clear line when the replay cannot serve what the session wants."""
    missing = [s for s in symbols if s not in market.symbols]
    if missing:
        raise UserError(f"the replay has no candles for {', '.join(missing)}; it has "
                        f"{', '.join(market.symbols)} (choose with --symbols, or replay "
                        "other data with --replay-store)")
    if timeframe is None:
        return
    for symbol in symbols:
        base = market.base_timeframe(symbol)
        if parse_timeframe(timeframe) < parse_timeframe(base):
            raise UserError(f"the replay's {symbol} candles are {base}; a {timeframe} "
                            f"strategy needs --timeframe {base} or coarser")


def resolve_source(source: str, testnet: bool) -> Source | None:
    """``bybit`` or a URL; ``None`` for ``replay`` (the caller starts it)."""
    if source == "replay":
        return None
    if source == "bybit":
        return Source(None, testnet=testnet)
    if source.startswith(("http://", "https://")):
        return Source(source.rstrip("/"), testnet=testnet)
    raise UserError(f"--source {source!r}: expected bybit, replay or http://HOST:PORT")
