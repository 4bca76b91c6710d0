"""Renamed commands: ``dashboard`` is ``panel`` and ``dashboards`` is ``grafana``.

The former names still run the new commands, with one note on stderr naming the new one, and
are not listed in ``bte --help``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backtrader_engine.cli import build_parser, main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_help_lists_the_new_names_only(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.splitlines()
              if line.startswith("    ") and line.strip()]
    assert "panel" in listed and "grafana" in listed
    assert "dashboard" not in listed and "dashboards" not in listed
    assert "dashboard" not in result.out.replace("dashboards' JSON", "")


def test_a_misspelt_command_lists_only_the_new_names(cli, one_clear_line) -> None:
    line = one_clear_line(cli("grafan"))
    assert "did you mean 'grafana'" in line
    assert "dashboard" not in line


def test_the_parser_maps_the_old_names_to_the_new_commands() -> None:
    parser = build_parser()
    args = parser.parse_args(["dashboards", "--check"])
    assert args.command == "grafana" and args.check is True
    assert args.alias_note == "note: 'bte dashboards' is now 'bte grafana'"
    args = parser.parse_args(["dashboard", "--port", "8600"])
    assert args.command == "panel" and args.port == 8600
    assert args.alias_note == "note: 'bte dashboard' is now 'bte panel'"
    assert args.handler is parser.parse_args(["panel"]).handler
    assert not hasattr(parser.parse_args(["panel"]), "alias_note")


def test_dashboards_writes_the_grafana_json_with_a_note(cli, tmp_path: Path) -> None:
    out = tmp_path / "boards"
    result = cli("dashboards", "--out", str(out), "--config-dir", str(CONFIGS))
    assert result.code == 0, result.err
    assert result.err == "note: 'bte dashboards' is now 'bte grafana'\n"
    assert sorted(p.name for p in out.glob("*.json")) == [
        "advanced_trading_dashboard.json", "trading_dashboard.json"]


def test_the_new_name_prints_no_note(cli, tmp_path: Path) -> None:
    result = cli("grafana", "--out", str(tmp_path / "boards"), "--config-dir", str(CONFIGS))
    assert result.code == 0 and result.err == ""


class _Served(Exception):
    """Raised in place of ``os.execv``: the command got as far as starting the server."""


@pytest.mark.skipif(os.name != "posix", reason="elsewhere the panel runs Streamlit as a child")
def test_dashboard_serves_the_panel_with_a_note(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    started: list[list[str]] = []

    def execv(path: str, command: list[str]) -> None:
        started.append(command)
        raise _Served

    monkeypatch.setattr(os, "execv", execv)
    monkeypatch.delenv("DASHBOARD_PASSWORD", raising=False)
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(_Served):
        main(["dashboard", "--port", str(port), "--config-dir", str(CONFIGS), "--run-dir",
              str(tmp_path / "run"), "--state", str(tmp_path / "state")])
    captured = capsys.readouterr()
    assert captured.err == "note: 'bte dashboard' is now 'bte panel'\n"
    assert f"control panel on http://127.0.0.1:{port}" in captured.out
    [command] = started
    assert command[2:4] == ["streamlit", "run"] and f"--server.port={port}" in command


def test_an_argument_error_under_the_old_name_is_one_line(cli, one_clear_line) -> None:
    line = one_clear_line(cli("dashboards", "--chek"))
    assert "did you mean '--check'" in line and "bte grafana" in line


def test_the_entry_point_prints_the_note_before_the_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "backtrader_engine", "dashboards", "--check",
                           "--out", str(tmp_path / "none"), "--config-dir", str(CONFIGS)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0] == "note: 'bte dashboards' is now 'bte grafana'"
    assert lines[1].startswith("error: ") and len(lines) == 2
