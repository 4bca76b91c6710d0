"""System health: the bot process, market data, the monitoring stack and disk space.

Each check is a :class:`HealthCheck` with a verdict (``ok``, ``warn``, ``down`` or ``off``);
the figures come from :func:`~backtrader_engine.operations.bot_status`, the running session's
:func:`~backtrader_engine.operations.live_status` and the ledger snapshot.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from backtrader_engine.config import AlertConfig, AlertThresholds, load_section
from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.errors import UserError
from backtrader_engine.operations import STREAM_LIVE, BotStatus, SessionSnapshot

Verdict = Literal["ok", "warn", "down", "off"]

#: Free space below which the state folder's disk is a warning (fraction, and bytes).
LOW_DISK_FRACTION = 0.10
LOW_DISK_BYTES = 1 << 30

#: Labels of the endpoints ``bot_status`` checks, in the order the panel lists them.
ENDPOINT_LABELS = {"metrics": "Metrics endpoint", "prometheus": "Prometheus",
                   "grafana": "Grafana"}


@dataclass(frozen=True)
class HealthCheck:
    """One line of the health page: what, its verdict, a short value and the details."""

    key: str
    name: str
    verdict: Verdict
    value: str
    detail: str


@dataclass(frozen=True)
class DiskSpace:
    """Disk usage of the file system holding a folder."""

    path: Path
    total: int
    free: int

    @property
    def free_fraction(self) -> float:
        return self.free / self.total if self.total else 0.0


def no_data_seconds(config_dir: Path) -> float:
    """When market data counts as stale: ``alert_config.json`` ``alerts.no_data_seconds``.

    A missing or broken alert config gives the default (the config page reports why).
    """
    path = Path(config_dir) / "alert_config.json"
    try:
        return load_section(path, AlertConfig).alerts.no_data_seconds if path.is_file() \
            else AlertThresholds().no_data_seconds
    except UserError:
        return AlertThresholds().no_data_seconds


def disk_space(folder: Path) -> DiskSpace | None:
    """Usage of the disk that holds *folder* (or its nearest existing parent)."""
    probe = Path(folder).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return None
    return DiskSpace(probe, int(usage.total), int(usage.free))


def process_check(status: BotStatus) -> HealthCheck:
    """Is the bot running; its PID, uptime, CPU and memory."""
    if status.state != "running":
        verdict: Verdict = "warn" if status.state == "stale" else "off"
        return HealthCheck("bot", "Bot process", verdict, status.state, status.message)
    cpu = f"{status.cpu_percent:.0f}% CPU" if status.cpu_percent is not None else "CPU n/a"
    rss = fmt.size_bytes(status.rss_bytes) if status.rss_bytes is not None else "memory n/a"
    ready = "" if status.ready else "; still starting"
    return HealthCheck("bot", "Bot process", "ok", f"PID {status.pid}",
                       f"up {fmt.duration(status.uptime_s)}, {cpu}, {rss}{ready}")


def market_data_check(live: dict[str, Any] | None, snapshot: SessionSnapshot | None,
                      now: float, stale_after_s: float) -> HealthCheck:
    """The stream connection (while the bot runs) and the age of the last stored bar.

    Parameters
    ----------
    now
        Current Unix time.
    stale_after_s
        Age of the newest bar beyond which data counts as stale (``alert_config.json``
        ``alerts.no_data_seconds``).
    """
    logged = [at for s in (snapshot.streams.values() if snapshot else [])
              if (at := s.get("logged_at")) is not None]
    age = now - max(logged) if logged else None
    age_text = f"last bar {fmt.duration(age)} ago" if age is not None else "no bar stored yet"
    stream = (live or {}).get("stream") or {}
    if live is None:
        return HealthCheck("market_data", "Market data", "off", "not connected",
                           f"the bot is not running; {age_text}")
    state = str(stream.get("state") or "unknown")
    detail = (f"{age_text}; {stream.get('reconnects', 0)} reconnects, "
              f"{stream.get('malformed', 0)} malformed messages")
    if age is not None and age > stale_after_s:
        return HealthCheck("market_data", "Market data", "warn", f"{state}, stale",
                           f"{detail}; stale after {fmt.duration(stale_after_s)}")
    verdict: Verdict = "ok" if state == STREAM_LIVE else "warn"
    return HealthCheck("market_data", "Market data", verdict, state, detail)


def endpoint_checks(status: BotStatus) -> list[HealthCheck]:
    """The metrics endpoint, Prometheus and Grafana, as ``bot_status`` found them."""
    checks = []
    for endpoint in status.endpoints:
        label = ENDPOINT_LABELS.get(endpoint.name, endpoint.name)
        verdict: Verdict = "ok" if endpoint.ok else "down"
        checks.append(HealthCheck(endpoint.name, label, verdict,
                                  "reachable" if endpoint.ok else "unreachable",
                                  f"{endpoint.url}: {endpoint.detail}"))
    return checks


def disk_check(disk: DiskSpace | None, state_dir: Path) -> HealthCheck:
    """Free space on the disk holding the ledger."""
    if disk is None:
        return HealthCheck("disk", "Disk space", "warn", "unknown",
                           f"cannot read the disk usage of {state_dir}")
    low = disk.free_fraction < LOW_DISK_FRACTION or disk.free < LOW_DISK_BYTES
    return HealthCheck("disk", "Disk space", "warn" if low else "ok",
                       f"{fmt.size_bytes(disk.free)} free",
                       f"{disk.free_fraction:.0%} of {fmt.size_bytes(disk.total)} free on the "
                       f"disk of {disk.path}")


def health_checks(status: BotStatus, live: dict[str, Any] | None,
                  snapshot: SessionSnapshot | None, disk: DiskSpace | None, state_dir: Path,
                  *, now: float, stale_after_s: float) -> list[HealthCheck]:
    """Every check of the health page, in display order."""
    return [process_check(status), market_data_check(live, snapshot, now, stale_after_s),
            *endpoint_checks(status), disk_check(disk, state_dir)]
