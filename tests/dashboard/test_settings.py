"""Panel options, where the panel binds, who may reach it, and the streamlit command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from backtrader_engine.dashboard import (
    PanelSettings,
    bind_host,
    check_exposure,
    check_port,
    is_loopback,
    panel_argv,
    panel_settings,
    parse_panel_args,
    streamlit_command,
)
from backtrader_engine.dashboard.launch import APP_SCRIPT, config_file_flags
from backtrader_engine.errors import UserError


def test_panel_options_survive_the_trip_through_streamlit(tmp_path: Path) -> None:
    settings = PanelSettings(run_dir=tmp_path / "run", state_dir=tmp_path / "st ate",
                             reports_dir=tmp_path / "r", studies_dir=tmp_path / "s",
                             config_dir=tmp_path / "c", refresh_s=1.5,
                             bot_args=("--no-metrics", "--source", "replay"))
    assert parse_panel_args(panel_argv(settings)) == settings


def test_defaults_are_the_cli_defaults_made_absolute() -> None:
    settings = parse_panel_args([])
    assert settings.run_dir == Path("run").resolve()
    assert settings.state_dir == Path("state/paper").resolve()
    assert settings.reports_dir == Path("runs").resolve()
    assert settings.studies_dir == Path("runs/optimize").resolve()
    assert settings.refresh_s == 2.0 and settings.bot_args == ()


def test_settings_from_plain_values_are_checked_and_absolute(tmp_path: Path) -> None:
    settings = panel_settings(run_dir=Path("r"), state_dir=tmp_path / "s", refresh_s=1,
                              bot_args=["--source", "replay"])
    assert settings.run_dir == Path("r").resolve() and settings.state_dir == tmp_path / "s"
    assert settings.refresh_s == 1.0 and settings.bot_args == ("--source", "replay")
    assert panel_settings() == parse_panel_args([])
    for refresh in (0.0, -1.0, float("nan"), float("inf"), 3601.0):
        with pytest.raises(UserError, match=f"--refresh {refresh:g}: expected"):
            panel_settings(refresh_s=refresh)


@pytest.mark.parametrize(("argv", "message"), [
    (["--refresh", "0"], "--refresh 0: expected a number of seconds above 0"),
    (["--refresh", "soon"], "invalid float value: 'soon'"),
    (["--bot-args", "'--source replay"], "No closing quotation"),
    (["--stat", "x", "--colour"], "unknown --colour"),
])
def test_bad_panel_options_name_the_option(argv: list[str], message: str) -> None:
    with pytest.raises(UserError, match=None) as caught:
        parse_panel_args(argv)
    assert message in str(caught.value)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("panel.example.org", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bind_host_prefers_the_flag_then_expose_then_config() -> None:
    assert bind_host("10.0.0.2", False, "127.0.0.1") == "10.0.0.2"
    assert bind_host(None, True, "127.0.0.1") == "0.0.0.0"
    assert bind_host(None, True, "10.0.0.3") == "10.0.0.3"
    assert bind_host(None, False, "127.0.0.1") == "127.0.0.1"


def test_exposing_needs_the_flag_and_a_password() -> None:
    check_exposure("127.0.0.1", False, None, "--host")
    check_exposure("0.0.0.0", True, "pw", "--host")
    with pytest.raises(UserError, match=r"0\.0\.0\.0 \(from configs/alert_config.json "
                                        r"dashboard.host\) would expose the panel.*--expose"):
        check_exposure("0.0.0.0", False, "pw", "configs/alert_config.json dashboard.host")
    with pytest.raises(UserError, match="--expose needs a password: set the environment "
                                        "variable DASHBOARD_PASSWORD"):
        check_exposure("0.0.0.0", True, "  ", "--host")
    with pytest.raises(UserError, match="--expose needs a password"):
        check_exposure("127.0.0.1", True, None, "--host")


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_outside_the_range_is_refused(port: int) -> None:
    with pytest.raises(UserError, match=f"--port {port}: expected 1 to 65535"):
        check_port(port)


def test_the_streamlit_command_serves_the_app_on_the_chosen_address() -> None:
    settings = parse_panel_args(["--bot-args", "--source replay", "--state", "elsewhere"])
    command = streamlit_command(settings, "127.0.0.1", 8600)
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT)]
    assert APP_SCRIPT.is_file()
    split = command.index("--")
    flags, script_args = command[5:split], command[split + 1:]
    assert {"--server.address=127.0.0.1", "--server.port=8600", "--server.headless=true",
            "--browser.gatherUsageStats=false", "--theme.base=dark"} <= set(flags)
    # The look comes from the repository's .streamlit/config.toml, option for option.
    assert flags[:len(config_file_flags())] == config_file_flags()
    assert parse_panel_args(script_args) == settings
