"""One-port replay server: Bybit V5 REST and the public WebSocket stream on the same port.

Built on ``websockets``: its ``process_request`` hook sees every incoming request first, so
plain HTTP GETs are answered there with an HTTP response, and only requests for the stream
path continue to the WebSocket handshake. Clients therefore need a single base URL for both
protocols.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay.faults import FaultSpec
from backtrader_engine.exchanges.bybit.replay.market import ReplayMarket
from backtrader_engine.exchanges.bybit.replay.rest import RATE_LIMIT_ERROR, answer, envelope
from backtrader_engine.exchanges.bybit.replay.stream import ReplayStream

STREAM_PATHS = ("/v5/public/linear",)
log = logging.getLogger(__name__)
RATE_LIMIT_MODES = ("retcode", "http")


def _response(status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None,
              ) -> Response:
    headers = Headers({"Content-Type": content_type, "Content-Length": str(len(body)),
                       "Connection": "close", **(extra or {})})
    reason = {200: "OK", 403: "Forbidden", 404: "Not Found"}.get(status, "Error")
    return Response(status, reason, headers, body)


def json_response(status: int, payload: dict[str, Any],
                  extra: dict[str, str] | None = None) -> Response:
    """An HTTP response carrying *payload* as JSON."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _response(status, body, "application/json", extra)


def text_response(status: int, text: str) -> Response:
    """A plain-text HTTP response."""
    return _response(status, text.encode(), "text/plain; charset=utf-8")


class RateLimiter:
    """At most *per_second* requests in any sliding one-second window."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._stamps: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """Record a request at *now*; return ``None`` if allowed, else when the window resets."""
        while self._stamps and now - self._stamps[0] >= 1.0:
            self._stamps.popleft()
        if len(self._stamps) >= self.per_second:
            return self._stamps[0] + 1.0
        self._stamps.append(now)
        return None


class ReplayServer:
    """Serve a :class:`ReplayMarket` as Bybit V5 on ``http://host:port``.

    Parameters
    ----------
    market : ReplayMarket
        The historical data to answer from.
    host, port : str, int
        Bind address; port 0 picks a free port (see :attr:`base_url` after :meth:`start`).
    rate_limit : int, optional
        Requests per second before the rate-limit answer; ``None`` disables the limit.
    rate_limit_mode : {"retcode", "http"}
        ``"retcode"`` answers HTTP 200 with retCode 10006 and the ``X-Bapi-Limit-*`` headers
        (Bybit's per-endpoint API limit); ``"http"`` answers HTTP 403 (Bybit's IP limit).
    speed : float or None
        Replay speed of the stream clock (1 = real time; ``None`` or 0 = as fast as possible).
    hold_when_idle : bool
        Hold the replay clock while no stream client has a subscription.
    faults : str or FaultSpec, optional
        Faults injected into stream connections (grammar in :mod:`.faults`).
    start_ms : int, optional
        Where the replay starts; default the first candle.

    Notes
    -----
    The replay clock starts with the first stream connection or :meth:`start_clock`; from
    then on it is the market clock the REST routes answer at. Before that they answer at the
    market's own clock (by default the close of the newest candle).
    """

    def __init__(self, market: ReplayMarket, *, host: str = "127.0.0.1", port: int = 0,
                 rate_limit: int | None = None, rate_limit_mode: str = "retcode",
                 speed: float | None = None, hold_when_idle: bool = False,
                 faults: str | FaultSpec | None = None, start_ms: int | None = None) -> None:
        if rate_limit_mode not in RATE_LIMIT_MODES:
            raise UserError(f"rate_limit_mode '{rate_limit_mode}'; expected one of "
                            f"{', '.join(RATE_LIMIT_MODES)}")
        if rate_limit is not None and rate_limit < 1:
            raise UserError(f"rate_limit {rate_limit}; expected at least 1 request per second")
        self.market = market
        self.stream = ReplayStream(market, speed=speed, hold_when_idle=hold_when_idle,
                                   faults=faults, start_ms=start_ms)
        self.host, self.port = host, port
        self.rate_limit_mode = rate_limit_mode
        self._limiter = RateLimiter(rate_limit) if rate_limit else None
        self.paths: list[str] = []  # every request path, so tests can see what clients asked
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        """``ws://host:port/v5/public/linear`` of the running server."""
        return f"ws://{self.host}:{self.port}{STREAM_PATHS[0]}"

    def _rate_limited(self) -> Response | None:
        if self._limiter is None:
            return None
        reset = self._limiter.admit(time.time())
        if reset is None:
            return None
        if self.rate_limit_mode == "http":
            return text_response(403, "access too frequent")
        headers = {"X-Bapi-Limit": str(self._limiter.per_second), "X-Bapi-Limit-Status": "0",
                   "X-Bapi-Limit-Reset-Timestamp": str(int(reset * 1000))}
        body = envelope({}, self.market.now_ms, RATE_LIMIT_ERROR, "Too many visits!")
        return json_response(200, body, headers)

    def process_request(self, connection: ServerConnection, request: Request
                        ) -> Response | None:
        """Answer a plain HTTP request; let requests for the stream path go to the handshake."""
        url = urlsplit(request.path)
        self.paths.append(url.path)
        if url.path in STREAM_PATHS:
            return None  # websockets answers 426 itself when it is not an upgrade
        limited = self._rate_limited()
        if limited is not None:
            return limited
        reply = answer(self.market, url.path, dict(parse_qsl(url.query)))
        if reply is None:
            return text_response(404, f"{url.path}: not a served Bybit V5 market endpoint")
        return json_response(*reply)

    async def _handler(self, connection: ServerConnection) -> None:
        await self.stream.handle(connection)

    def start_clock(self) -> None:
        """Start the replay clock now rather than at the first stream connection."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.stream.ensure_running)

    async def _main(self) -> None:
        self._server = await serve(self._handler, self.host, self.port,
                                   process_request=self.process_request)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._server.wait_closed()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the thread that called start()
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    def loaded(self) -> list[str]:
        """What is served, a line per symbol: timeframe, candles, their range, the start."""
        lines = []
        for symbol in self.market.symbols:
            frame = self.market.candles(symbol, self.stream.intervals[symbol][0])
            first, last = (f"{t:%Y-%m-%d %H:%M}" for t in (frame.index[0], frame.index[-1]))
            start = self.stream.start_ms
            begins = (f"; the clock starts at {pd.Timestamp(start, unit='ms'):%Y-%m-%d %H:%M}"
                      if start is not None else "")
            lines.append(f"{symbol} {self.market.base_timeframe(symbol)}: {len(frame)} bars, "
                         f"{first} .. {last}{begins}")
        return lines

    def start(self) -> ReplayServer:
        """Run the server in a daemon thread; return once it accepts connections."""
        self._thread = threading.Thread(target=self._run, name="bybit-replay", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise UserError(f"replay server on {self.host}:{self.port} failed to start: "
                            f"{self._error}")
        self.log_loaded()
        return self

    def log_loaded(self) -> None:
        """Log what is served (:meth:`loaded`) and where."""
        for line in self.loaded():
            log.info("replay serving %s", line)
        log.info("replay listening on %s", self.base_url)

    def stop(self, reason: str = "stopped") -> None:
        """Close the server and wait for its thread; log *reason* and the bars served."""
        if self._thread is not None and self._thread.is_alive():
            log.info("replay stopping (%s): %s, clock at %s, %d REST requests", reason,
                     self.stream.served_text(),
                     f"{pd.Timestamp(self.market.now_ms, unit='ms'):%Y-%m-%d %H:%M}",
                     sum(p not in STREAM_PATHS for p in self.paths))
        if self._loop is not None and self._server is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.stream.close)
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
