"""Is the bot process running, and how: what the service knows without reading the ledger.

:func:`process_status` never starts or stops anything and takes no lock, so it can be called
as often as a status page likes. The trading figures are not the service's business:
:func:`backtrader_engine.operations.bot_status` adds them from the ledger to make the full
``bot status``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from backtrader_engine.service.endpoints import (
    Endpoint,
    EndpointCheck,
    check_endpoints,
    default_endpoints,
)
from backtrader_engine.service.logtail import tail_lines
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.pidfile import PidRecord, process_state, read_pid_file
from backtrader_engine.service.session import session_pid

BotState = Literal["running", "stopped", "stale"]


@dataclass(frozen=True)
class ProcessStatus:
    """The bot process of one run folder.

    Attributes
    ----------
    state
        ``running``; ``stopped`` (no PID file); ``stale`` (the PID file names a process that
        is gone, or a PID now used by another process).
    message
        One line saying so, with what to do next.
    pid, started_at, uptime_s, cpu_percent, rss_bytes, command, state_dir
        The bot process (``None`` when unknown; resource figures only while it runs).
    ready
        The session has finished starting (its control channel is up).
    endpoints
        Whether the metrics endpoint, Prometheus and Grafana answer.
    log_file, log_tail
        The bot's console log and its last lines.
    """

    state: BotState
    message: str
    run_dir: str
    pid: int | None = None
    started_at: float | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    command: list[str] | None = None
    state_dir: str | None = None
    ready: bool = False
    endpoints: list[EndpointCheck] = field(default_factory=list)
    log_file: str | None = None
    log_tail: list[str] = field(default_factory=list)


def process_status(*, run_dir: Path | str | None = None,
                   endpoints: Sequence[Endpoint] | None = None, timeout: float = 0.5,
                   log_lines: int = 5, cpu_interval: float = 0.2) -> ProcessStatus:
    """The state of the bot process managed in *run_dir* (default ``./run``).

    Parameters
    ----------
    endpoints
        URLs to check (default: the metrics endpoint from the bot's ``alert_config.json`` and
        its command line's ``--metrics-port/--metrics-host/--no-metrics``, Prometheus on :9090
        and Grafana on :3000, all on 127.0.0.1).
    timeout
        Seconds each endpoint may take to answer.
    log_lines
        How many of the console log's last lines to include.
    cpu_interval
        Seconds over which the CPU share is measured.

    Raises
    ------
    UserError
        When the PID file exists but cannot be read or is corrupt.
    """
    paths = RunPaths.of(run_dir)
    record = read_pid_file(paths.pid_file)
    config_dir = Path(record.config_dir) if record is not None else Path("configs").resolve()
    checks = check_endpoints(endpoints if endpoints is not None
                             else default_endpoints(config_dir, record.command if record else ()),
                             timeout)
    log_file = Path(record.log_file) if record is not None else paths.console_log
    common: dict[str, Any] = {"run_dir": str(paths.run_dir), "endpoints": checks,
                              "log_file": str(log_file),
                              "log_tail": tail_lines(log_file, log_lines)}
    if record is None:
        return ProcessStatus("stopped", f"no bot running (no PID file in {paths.run_dir}); "
                                        "start it with 'bot start'", **common)
    common.update(pid=record.pid, started_at=record.started_at, command=record.command,
                  state_dir=record.state_dir)
    state = process_state(record)
    if state != "running":
        why = "no longer runs" if state == "gone" else "now belongs to another process"
        return ProcessStatus("stale", f"the bot is not running: {paths.pid_file} names PID "
                                      f"{record.pid}, which {why}; 'bot start' replaces it",
                             **common)
    try:
        cpu, rss = _usage(record, cpu_interval)
    except psutil.NoSuchProcess:  # ended while we looked
        return ProcessStatus("stale", f"the bot (PID {record.pid}) has just ended", **common)
    return ProcessStatus("running", f"bot running (PID {record.pid})",
                         uptime_s=max(0.0, time.time() - record.create_time), cpu_percent=cpu,
                         rss_bytes=rss, ready=_ready(record), **common)


def _usage(record: PidRecord, interval: float) -> tuple[float | None, int | None]:
    """CPU share and resident memory; ``None`` for what the OS does not let us read."""
    process = psutil.Process(record.pid)
    try:
        rss: int | None = int(process.memory_info().rss)
        cpu: float | None = float(process.cpu_percent(interval=interval))
    except psutil.AccessDenied:  # another user's bot (Windows, hardened kernels)
        rss = cpu = None
    return cpu, rss


def _ready(record: PidRecord) -> bool:
    return session_pid(Path(record.state_dir)) == record.pid
