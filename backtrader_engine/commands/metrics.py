"""The metrics endpoint of the ``paper`` command: its options, address and server."""

from __future__ import annotations

import argparse
from typing import Any

from backtrader_engine.argtypes import port
from backtrader_engine.errors import UserError
from backtrader_engine.monitoring.exporter import MetricsServer, start_exporter


def add_metrics_options(p: argparse.ArgumentParser) -> None:
    """``--metrics``/``--no-metrics``, ``--metrics-host`` and ``--metrics-port``."""
    m = p.add_argument_group("metrics (defaults: alert_config.json's prometheus section)")
    m.add_argument("--metrics", action=argparse.BooleanOptionalAction, default=None,
                   help="serve Prometheus metrics at http://HOST:PORT/metrics (default: "
                        "prometheus.enabled, on)")
    m.add_argument("--metrics-host", metavar="HOST",
                   help="interface of the metrics endpoint (default 127.0.0.1)")
    m.add_argument("--metrics-port", type=port, metavar="PORT",
                   help="port of the metrics endpoint (default 8080; 0: any free port)")


def paper_metrics(args: argparse.Namespace, prometheus: Any) -> MetricsServer | None:
    """Start the bot's ``/metrics`` for ``paper`` (``None`` when switched off).

    ``--metrics``/``--no-metrics``, ``--metrics-host`` and ``--metrics-port`` override
    ``alert_config.json``'s ``prometheus`` section (*prometheus*).
    """
    address = metrics_address(args, prometheus)
    if address is None:
        return None
    server = start_exporter(args.state, *address)
    print(f"metrics on {server.url}", flush=True)
    return server


def metrics_address(args: argparse.Namespace, prometheus: Any) -> tuple[str, int] | None:
    """``(host, port)`` of the bot's ``/metrics``, checked; ``None`` when switched off."""
    enabled = prometheus.enabled if args.metrics is None else args.metrics
    if not enabled:
        return None
    host = args.metrics_host or prometheus.host
    port = prometheus.port if args.metrics_port is None else args.metrics_port
    if not 0 <= port <= 65535:
        raise UserError(f"--metrics-port {port}: expected 0 to 65535 (0: any free port)")
    return host, port
