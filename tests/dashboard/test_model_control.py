"""The control card's model: buttons by bot state, START arguments, the followed ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import (
    control_view,
    followed_state_dir,
    parse_start_args,
    start_args,
)
from backtrader_engine.errors import UserError
from backtrader_engine.operations import BotStatus

from .conftest import PanelDirs, write_pid_record


def _status(state: str, **kwargs) -> BotStatus:
    return BotStatus(state, f"{state} message", "/run", **kwargs)


def test_running_enables_stop_only_and_shows_the_process() -> None:
    view = control_view(_status("running", pid=42, uptime_s=3725.0, ready=True,
                                command=["python", "-m", "backtrader_engine", "paper",
                                         "--state", "my state"]))
    assert (view.can_start, view.can_stop) == (False, True)
    assert (view.badge, view.colour) == ("RUNNING", "green")
    assert view.uptime == "1h 02m" and view.pid == 42 and view.ready
    assert view.command_line == "python -m backtrader_engine paper --state 'my state'"


@pytest.mark.parametrize(("state", "badge"), [("stopped", "STOPPED"),
                                              ("stale", "NOT RUNNING (stale PID file)")])
def test_a_bot_that_is_down_enables_start_only(state: str, badge: str) -> None:
    view = control_view(_status(state))
    assert (view.can_start, view.can_stop) == (True, False)
    assert view.badge == badge and view.uptime is None and view.command_line is None
    assert view.message == f"{state} message"


def test_start_args_add_the_panel_folders_unless_given(tmp_path: Path) -> None:
    state, configs = tmp_path / "s", tmp_path / "c"
    assert start_args(["--source", "replay"], state, configs) == [
        "--source", "replay", "--state", str(state), "--config-dir", str(configs)]
    assert start_args(["--state=elsewhere", "--config-dir", "mine"], state, configs) == [
        "--state=elsewhere", "--config-dir", "mine"]


def test_start_args_typed_in_the_panel_split_like_a_shell() -> None:
    assert parse_start_args("--source replay --state 'a b'") == [
        "--source", "replay", "--state", "a b"]
    with pytest.raises(UserError, match="No closing quotation; close the quote"):
        parse_start_args("--state 'a b")


def test_the_panel_follows_the_managed_bots_ledger(dirs: PanelDirs, sleeper,
                                                   tmp_path: Path) -> None:
    default = tmp_path / "default"
    assert followed_state_dir(dirs.run, default) == default
    write_pid_record(dirs, sleeper().pid)
    assert followed_state_dir(dirs.run, default) == dirs.state
    (dirs.run / "bot.pid").write_text("garbage")
    assert followed_state_dir(dirs.run, default) == default
