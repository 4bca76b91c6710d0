"""``study-exporter`` and ``dashboards``, and the metrics endpoint of the ``paper`` command."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError
from backtrader_engine.monitoring.exporter import (
    MetricsServer,
    start_collector_server,
    start_exporter,
)


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


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_study_exporter(args: argparse.Namespace) -> int:
    from backtrader_engine.monitoring.studies import StudyCollector

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: expected 0 to 65535")
    collector = StudyCollector(args.storage)
    with start_collector_server(collector, args.host, args.port) as server:
        print(f"study metrics of {collector.name} on {server.url}; Ctrl-C or SIGTERM stops",
              flush=True)
        _wait_for_stop()
    return 0


def start_dashboards(args: argparse.Namespace) -> int:
    from backtrader_engine.config import load_config
    from backtrader_engine.monitoring.dashboards import (
        Thresholds,
        check_dashboards,
        write_dashboards,
    )

    out = Path(args.out)
    if not str(args.out).strip() or str(args.out) == ".":
        # Path("") is the current folder: the JSON would land next to the user's own files.
        raise UserError(f"--out '{args.out}': expected the dashboards' folder, e.g. "
                        "monitoring/grafana/dashboards")
    thresholds = Thresholds.from_config(load_config(args.config_dir))
    if args.check:
        stale = check_dashboards(out, thresholds)
        if stale:
            raise UserError(f"{out}: {', '.join(stale)} differ from the dashboards generated "
                            f"with {args.config_dir}; regenerate with 'dashboards --out {out}'")
        print(f"{out}: dashboards up to date")
        return 0
    _check_out_folder(out)
    try:
        written = write_dashboards(out, thresholds)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write the dashboards there "
                        f"({exc.strerror or exc}); give a writable folder") from None
    for path in written:
        print(path)
    return 0


def _check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` that is, or lies below, a file, before anything is written."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == out else f"lies below the file {existing}"
        raise UserError(f"--out {out}: {where}, not a folder; give the dashboards' folder, "
                        "e.g. monitoring/grafana/dashboards")
