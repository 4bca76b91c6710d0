"""``panel``: refuses to expose the panel without --expose and a password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CONFIGS


@pytest.fixture(autouse=True)
def _no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHBOARD_PASSWORD", raising=False)


def test_a_non_loopback_host_needs_expose(cli, one_clear_line) -> None:
    line = one_clear_line(cli("panel", "--host", "0.0.0.0", "--config-dir", str(CONFIGS)))
    assert line == ("error: dashboard host 0.0.0.0 (from --host) would expose the panel beyond "
                    "this machine; pass --expose (and set DASHBOARD_PASSWORD) to mean it, or "
                    "use --host 127.0.0.1")


def test_expose_needs_a_password(cli, one_clear_line) -> None:
    line = one_clear_line(cli("panel", "--expose", "--config-dir", str(CONFIGS)))
    assert "--expose needs a password: set the environment variable DASHBOARD_PASSWORD" in line


def test_a_configured_public_host_needs_expose_too(cli, one_clear_line, tmp_path: Path
                                                   ) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "alert_config.json").write_text(json.dumps(
        {"dashboard": {"host": "0.0.0.0", "port": 8502}}))
    line = one_clear_line(cli("panel", "--config-dir", str(configs)))
    assert f"0.0.0.0 (from {configs / 'alert_config.json'} dashboard.host)" in line


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "0"], "--port 0: expected 1 to 65535"),
    (["--refresh", "-1"], "--refresh -1: expected a number of seconds above 0"),
    (["--bot-args", "'--source"], "--bot-args \"'--source\": No closing quotation"),
])
def test_bad_options_are_one_line(cli, one_clear_line, args: list[str], message: str) -> None:
    assert message in one_clear_line(cli("panel", *args, "--config-dir", str(CONFIGS)))


def test_a_broken_alert_config_is_named(cli, one_clear_line, tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "alert_config.json").write_text(json.dumps({"dashboard": {"port": 99999}}))
    line = one_clear_line(cli("panel", "--config-dir", str(configs)))
    assert "alert_config.json" in line and "dashboard.port" in line


def test_a_broken_streamlit_config_is_named(cli, one_clear_line, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from backtrader_engine.dashboard import launch

    broken = tmp_path / ".streamlit" / "config.toml"
    broken.parent.mkdir()
    broken.write_text("[theme\nbase = 'dark'\n")
    monkeypatch.setattr(launch, "STREAMLIT_CONFIG", broken)
    line = one_clear_line(cli("panel", "--config-dir", str(CONFIGS)))
    assert line.startswith(f"error: {broken}: not valid TOML (")
