"""Endpoint checks of ``status``: up, down, HTTP errors, URLs from the config."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from backtrader_engine.operations import Endpoint, check_endpoints
from backtrader_engine.service.endpoints import default_endpoints, metrics_endpoint
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.pidfile import write_pid_file
from backtrader_engine.service.process_status import process_status

from .conftest import CONFIGS


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        code = 200 if self.path in ("/-/ready", "/metrics") else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_up_down_and_http_errors(http_url: str) -> None:
    checks = check_endpoints([
        Endpoint("prometheus", f"{http_url}/-/ready"),
        Endpoint("grafana", f"{http_url}/api/health"),
        Endpoint("metrics", f"http://127.0.0.1:{_closed_port()}/metrics"),
        Endpoint("off", "http://127.0.0.1:1/", note="disabled"),
    ], timeout=2)
    assert [(c.name, c.ok) for c in checks] == [("prometheus", True), ("grafana", False),
                                                ("metrics", False), ("off", False)]
    assert checks[0].detail == "HTTP 200" and checks[1].detail == "HTTP 503"
    assert "refused" in checks[2].detail.lower()
    assert checks[3].detail == "disabled"


def _config_dir(tmp_path: Path, prometheus: dict[str, object]) -> Path:
    folder = tmp_path / "configs"
    shutil.copytree(CONFIGS, folder)
    path = folder / "alert_config.json"
    data = json.loads(path.read_text())
    data["prometheus"].update(prometheus)
    path.write_text(json.dumps(data))
    return folder


def test_metrics_url_comes_from_the_alert_config(tmp_path: Path) -> None:
    assert [e.url for e in default_endpoints(CONFIGS)] == [
        "http://127.0.0.1:8080/metrics", "http://127.0.0.1:9090/-/ready",
        "http://127.0.0.1:3000/api/health"]
    custom = _config_dir(tmp_path / "a", {"host": "0.0.0.0", "port": 9108})
    assert metrics_endpoint(custom) == Endpoint("metrics", "http://127.0.0.1:9108/metrics")
    off = _config_dir(tmp_path / "b", {"enabled": False})
    assert "disabled" in (metrics_endpoint(off).note or "")
    # A broken or missing config does not break status: the default is checked.
    assert metrics_endpoint(tmp_path / "none").url == "http://127.0.0.1:8080/metrics"


@pytest.mark.parametrize(("command", "url", "disabled"), [
    (["paper", "--metrics-port", "18080"], "http://127.0.0.1:18080/metrics", False),
    (["paper", "--metrics-port=9200", "--metrics-host", "0.0.0.0"],
     "http://127.0.0.1:9200/metrics", False),
    (["paper", "--metrics-host", "127.0.0.2", "--metrics-port", "1", "--metrics-port", "9300"],
     "http://127.0.0.2:9300/metrics", False),
    (["paper", "--no-metrics"], "http://127.0.0.1:8080/metrics", True),
    (["paper", "--source", "replay"], "http://127.0.0.1:8080/metrics", False),
])
def test_the_bots_own_metrics_options_win_over_the_config(command: list[str], url: str,
                                                          disabled: bool) -> None:
    endpoint = metrics_endpoint(CONFIGS, command)
    assert endpoint.url == url
    assert (endpoint.note == "disabled (the bot runs with --no-metrics)") is disabled


def test_status_checks_the_port_the_running_bot_was_started_with(
        tmp_path: Path, record_for, http_url: str) -> None:
    port = http_url.rsplit(":", 1)[1]
    record = record_for(os.getpid())
    record.command[:] = [sys.executable, "-m", "backtrader_engine", "paper", "--metrics-port",
                         port]
    write_pid_file(RunPaths.of(tmp_path / "run").pid_file, record)
    status = process_status(run_dir=tmp_path / "run", timeout=2.0, cpu_interval=0)
    metrics = next(check for check in status.endpoints if check.name == "metrics")
    assert (metrics.url, metrics.ok) == (f"http://127.0.0.1:{port}/metrics", True)
