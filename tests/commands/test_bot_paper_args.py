"""The bot's paper command line: pass-through, runner options, refused arguments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from backtrader_engine.commands.bot_paper_args import paper_command
from backtrader_engine.errors import UserError
from backtrader_engine.operations import RunPaths


def test_arguments_pass_through_and_runner_options_are_added(tmp_path: Path) -> None:
    paths = RunPaths.of(tmp_path / "run")
    cmd = paper_command(["--", "--source", "replay", "--state", "st"], paths, tmp_path)
    assert cmd.args == ["--source", "replay", "--state", "st"]
    assert cmd.command == [sys.executable, "-m", "backtrader_engine", "paper", "--source",
                           "replay", "--state", "st", "--log-dir", str(paths.log_dir),
                           "--stop-file", str(paths.stop_file)]
    assert cmd.state_dir == tmp_path / "st"
    assert cmd.config_dir == tmp_path / "configs"
    assert cmd.stop_file == paths.stop_file


def test_defaults_and_explicit_runner_options(tmp_path: Path) -> None:
    paths = RunPaths.of(tmp_path / "run")
    cmd = paper_command([], paths, tmp_path)
    assert cmd.state_dir == tmp_path / "state" / "paper"  # paper's own default
    cmd = paper_command(["--log-dir", "mylogs", "--stop-file", "halt"], paths, tmp_path)
    assert cmd.command[4:] == ["--log-dir", "mylogs", "--stop-file", "halt"]  # none added
    assert cmd.stop_file == tmp_path / "halt"


@pytest.mark.parametrize(("args", "message"), [
    (["--no-such-option"], "unknown paper argument(s) --no-such-option"),
    (["--replay-speed", "fast"], "invalid float value: 'fast'"),
    (["--fill-model", "magic"], "'magic' is not a fill model"),
    (["--", "--help"], "paper --help"),
])
def test_refused_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(UserError) as info:
        paper_command(args, RunPaths.of(tmp_path), tmp_path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)

