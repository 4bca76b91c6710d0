"""Do the bot's metrics endpoint, Prometheus and Grafana answer? (short HTTP checks)

``status`` only *looks*: each URL gets one GET with a short timeout, all in parallel, so a
stack that is down costs at most one timeout.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from backtrader_engine.config import AlertConfig, PrometheusConfig, load_section
from backtrader_engine.errors import UserError

PROMETHEUS_READY_URL = "http://127.0.0.1:9090/-/ready"
GRAFANA_HEALTH_URL = "http://127.0.0.1:3000/api/health"
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})


@dataclass(frozen=True)
class Endpoint:
    """A named URL to check; *note* replaces the check when set (e.g. disabled in config)."""

    name: str
    url: str
    note: str | None = None


@dataclass(frozen=True)
class EndpointCheck:
    """The answer of one endpoint: ``ok`` when it replied with HTTP 2xx/3xx."""

    name: str
    url: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _option(command: Sequence[str], name: str) -> str | None:
    """The value of ``name VALUE`` or ``name=VALUE`` in *command* (the last one given wins, as
    argparse takes it), or None."""
    value = None
    for index, arg in enumerate(command):
        if arg == name and index + 1 < len(command):
            value = command[index + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1:]
    return value


def metrics_endpoint(config_dir: Path, command: Sequence[str] = ()) -> Endpoint:
    """The bot's metrics URL: ``alert_config.json`` ``prometheus`` (127.0.0.1:8080), with the
    bot's own ``--metrics-port``, ``--metrics-host`` and ``--no-metrics`` from *command* (the
    command line the PID file recorded) taking precedence, as they do in the bot."""
    try:
        prometheus = load_section(config_dir / "alert_config.json", AlertConfig).prometheus
    except UserError:
        # status must work with a broken config too ('config check' reports the problem):
        # the bot would not have started with it, so check the default.
        prometheus = PrometheusConfig()
    port = _option(command, "--metrics-port")
    if port is not None and port.isdigit():
        prometheus = prometheus.model_copy(update={"port": int(port)})
    host_arg = _option(command, "--metrics-host")
    if host_arg is not None:
        prometheus = prometheus.model_copy(update={"host": host_arg})
    if "--no-metrics" in command:
        prometheus = prometheus.model_copy(update={"enabled": False})
        note = "disabled (the bot runs with --no-metrics)"
    else:
        note = "disabled (alert_config.json prometheus.enabled)"
    host = "127.0.0.1" if prometheus.host in _WILDCARD_HOSTS else prometheus.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    url = f"http://{host}:{prometheus.port}/metrics"
    if not prometheus.enabled:
        return Endpoint("metrics", url, note)
    return Endpoint("metrics", url)


def default_endpoints(config_dir: Path, command: Sequence[str] = ()) -> list[Endpoint]:
    """The bot's metrics endpoint (as *command*, the bot's command line, sets it), Prometheus's
    readiness and Grafana's health URLs."""
    return [metrics_endpoint(config_dir, command), Endpoint("prometheus", PROMETHEUS_READY_URL),
            Endpoint("grafana", GRAFANA_HEALTH_URL)]


def check_endpoints(endpoints: Sequence[Endpoint], timeout: float = 0.5) -> list[EndpointCheck]:
    """Check every endpoint in parallel, each with *timeout* seconds."""
    if not endpoints:
        return []
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        return list(pool.map(lambda e: _check(e, timeout), endpoints))


# Loopback checks must not go through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _check(endpoint: Endpoint, timeout: float) -> EndpointCheck:
    if endpoint.note is not None:
        return EndpointCheck(endpoint.name, endpoint.url, False, endpoint.note)
    try:
        with _OPENER.open(endpoint.url, timeout=timeout) as reply:
            return EndpointCheck(endpoint.name, endpoint.url, True, f"HTTP {reply.status}")
    except urllib.error.HTTPError as exc:
        return EndpointCheck(endpoint.name, endpoint.url, False, f"HTTP {exc.code}")
    except urllib.error.URLError as exc:
        return EndpointCheck(endpoint.name, endpoint.url, False, str(exc.reason))
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        return EndpointCheck(endpoint.name, endpoint.url, False, str(exc) or type(exc).__name__)
