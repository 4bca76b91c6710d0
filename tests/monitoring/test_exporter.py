"""The /metrics endpoint: an HTTP scrape, a taken port, closing, and the paper flags."""

from __future__ import annotations

import argparse
import logging
import socket
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.commands.metrics import paper_metrics
from backtrader_engine.config.alerts import PrometheusConfig
from backtrader_engine.errors import UserError
from backtrader_engine.monitoring import start_exporter

from .conftest import CONFIGS, parse_exposition, sample, scrape


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_http_scrape_serves_the_session_metrics(
        tmp_path: Path, make_snapshot: Callable[..., Any]) -> None:
    with start_exporter(tmp_path / "run7", port=0, read_snapshot=lambda _: make_snapshot(),
                        live_status=lambda _: None) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/metrics"
        text = scrape(server.url)
        logging.getLogger("tests.monitoring").error("counted by the endpoint")
        again = parse_exposition(scrape(server.url))
    samples = parse_exposition(text)
    assert sample(samples, "bt_portfolio_value", portfolio="run7") == 5100.0
    assert sample(samples, "bt_session_up") == 0
    assert sample(again, "bt_log_errors_total") >= 1
    # The standard process metrics ride along on Linux.
    assert any(name == "process_start_time_seconds" for name, _ in samples)


def test_close_releases_the_port_and_unhooks_logging(tmp_path: Path) -> None:
    server = start_exporter(tmp_path, port=0, read_snapshot=lambda _: None,
                            live_status=lambda _: None)
    handlers = len(logging.getLogger().handlers)
    server.close()
    server.close()  # idempotent
    assert len(logging.getLogger().handlers) == handlers - 1
    with pytest.raises(urllib.error.URLError):
        scrape(server.url, timeout=2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", server.port))  # free again


def test_a_taken_port_is_a_clear_error_naming_the_flag(tmp_path: Path, busy_port: int) -> None:
    with pytest.raises(UserError) as caught:
        start_exporter(tmp_path, port=busy_port, read_snapshot=lambda _: None,
                       live_status=lambda _: None)
    message = str(caught.value)
    assert message.startswith(f"--metrics-port {busy_port}: 127.0.0.1:{busy_port} is "
                              "already in use")
    assert "--no-metrics" in message


def test_an_unusable_host_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^--metrics-host no-such-host\.invalid: not a usable"):
        start_exporter(tmp_path, host="no-such-host.invalid", port=0,
                       read_snapshot=lambda _: None, live_status=lambda _: None)


def _args(tmp_path: Path, **overrides: Any) -> argparse.Namespace:
    values = {"state": tmp_path, "metrics": None, "metrics_host": None, "metrics_port": None}
    values.update(overrides)
    return argparse.Namespace(**values)


def test_paper_flags_override_the_config(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    enabled = PrometheusConfig(enabled=True, host="127.0.0.1", port=8080)
    assert paper_metrics(_args(tmp_path, metrics=False), enabled) is None
    assert paper_metrics(_args(tmp_path), PrometheusConfig(enabled=False)) is None
    server = paper_metrics(_args(tmp_path, metrics=True, metrics_port=0),
                           PrometheusConfig(enabled=False))
    assert server is not None
    try:
        assert capsys.readouterr().out == f"metrics on {server.url}\n"
        assert server.host == "127.0.0.1" and server.port > 0
    finally:
        server.close()
    with pytest.raises(UserError, match=r"^--metrics-port 70000: expected 0 to 65535"):
        paper_metrics(_args(tmp_path, metrics_port=70000), enabled)


def test_paper_command_refuses_a_taken_metrics_port(
        tmp_path: Path, busy_port: int, cli: Callable[..., Any],
        one_clear_line: Callable[[Any], str]) -> None:
    result = cli("paper", "--config-dir", str(CONFIGS), "--source", "replay",
                 "--state", str(tmp_path / "s"), "--metrics-port", str(busy_port),
                 "--max-bars", "1", "--duration", "20")
    assert result.code == 2
    assert f"--metrics-port {busy_port}" in one_clear_line(result)
    assert not (tmp_path / "s").exists()  # refused before anything started
