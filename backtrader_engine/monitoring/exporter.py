"""HTTP endpoints for Prometheus: the bot's ``/metrics`` and the generic server under it.

Each exporter has its own :class:`~prometheus_client.CollectorRegistry` with custom collectors
that compute everything at scrape time. Nothing uses prometheus_client's global registry or its
multiprocess mode: one process owns each endpoint, so there are no shared files to go stale.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from backtrader_engine.errors import UserError
from backtrader_engine.monitoring.collector import (
    ErrorLogCounter,
    SessionCollector,
    SnapshotReader,
    StatusReader,
)

log = logging.getLogger(__name__)


@dataclass
class MetricsServer:
    """A running ``/metrics`` endpoint; :meth:`close` stops it and undoes its hooks."""

    host: str
    port: int
    registry: CollectorRegistry
    _server: Any
    _thread: threading.Thread
    _on_close: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``http://HOST:PORT/metrics`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None
        for undo in self._on_close:
            undo()
        self._on_close.clear()

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def serve(registry: CollectorRegistry, host: str, port: int, *,
          flag: str = "--metrics-port", host_flag: str = "--metrics-host",
          hint: str = "") -> MetricsServer:
    """Serve *registry* on ``http://host:port/metrics`` from a daemon thread.

    Parameters
    ----------
    registry : CollectorRegistry
        What to serve.
    host, port : str, int
        Where to listen; port 0 picks a free one (read it from the result).
    flag, host_flag : str
        The options that set the port and the host, named in errors.
    hint : str
        Extra advice appended to a port-in-use error.

    Raises
    ------
    UserError
        When the port is taken or the host cannot be bound.
    """
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except socket.gaierror as exc:
        raise UserError(f"{host_flag} {host}: not a usable address "
                        f"({exc.strerror})") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"{flag} {port}: {host}:{port} is already in use (another bot or "
                            f"exporter?); choose a free port with {flag}{hint}") from None
        raise UserError(f"{flag} {port}: cannot listen on {host}:{port} ({exc.strerror})"
                        ) from None
    bound = server.server_address[1]
    return MetricsServer(host, int(bound), registry, server, thread)


def start_exporter(state_dir: Path | str, host: str = "127.0.0.1", port: int = 8080, *,
                   portfolio: str | None = None, read_snapshot: SnapshotReader | None = None,
                   live_status: StatusReader | None = None,
                   flag: str = "--metrics-port") -> MetricsServer:
    """Serve the metrics of the paper session on *state_dir* at ``http://host:port/metrics``.

    The endpoint also counts ERROR log records of this process (``bt_log_errors_total``) and
    serves the standard ``process_*`` metrics where the platform has them.

    Parameters
    ----------
    state_dir : path
        The session's state folder; a session need not be running there yet.
    host, port : str, int
        Where to listen (default ``127.0.0.1:8080``, the seed system's endpoint); port 0
        picks a free one.
    portfolio : str, optional
        The ``portfolio`` label (default: the state folder's name).
    read_snapshot, live_status : callable, optional
        Readers of the ledger and the live session (default: :mod:`..runtime.snapshot`).
    flag : str
        The option that set the port, named in a port-in-use error.

    Returns
    -------
    MetricsServer
        Call ``close()`` to stop it.

    Raises
    ------
    UserError
        When the port is taken or the host cannot be bound.
    """
    errors = ErrorLogCounter()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SessionCollector(state_dir, portfolio=portfolio,
                                       read_snapshot=read_snapshot, live_status=live_status,
                                       errors=errors))
    ProcessCollector(registry=registry)
    server = serve(registry, host, port, flag=flag, hint=" or turn metrics off with "
                   "--no-metrics")
    root = logging.getLogger()
    root.addHandler(errors)
    server._on_close.append(lambda: root.removeHandler(errors))
    log.info("metrics for %s on %s", state_dir, server.url)
    return server


def start_collector_server(collector: Collector, host: str, port: int, *,
                           flag: str = "--port", host_flag: str = "--host") -> MetricsServer:
    """Serve one custom *collector* on its own registry (e.g. the study exporter)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return serve(registry, host, port, flag=flag, host_flag=host_flag)
