"""docs/exit-codes.md names every command and sub-command the CLI has, so the page cannot
silently fall behind a new command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from backtrader_engine.cli import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    names: list[str] = []
    for action in parser._actions:  # argparse keeps its sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = _commands(sub, f"{prefix}{name} ")
                names.extend(inner or [f"{prefix}{name}"])
    return names


def _documented() -> set[str]:
    """The commands in the first cell of each row of the per-command table."""
    table = DOC.read_text().split("## Per command", 1)[1]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([a-z][a-z -]*)`", row.split("|")[1]))
    return names


def test_every_command_has_its_exit_codes_documented() -> None:
    commands = _commands(build_parser(eager=True))
    assert len(commands) > 15  # the walk found the sub-commands, not just the top level
    missing = [name for name in commands if name not in _documented()]
    assert not missing, f"docs/exit-codes.md lacks {missing}"


def test_the_documented_inject_codes_are_the_ones_it_uses() -> None:
    from backtrader_engine.commands.inject import EXIT_NOT_PLACED, EXIT_REJECTED

    row = next(r for r in DOC.read_text().splitlines() if r.startswith("| `inject`"))
    assert f"{EXIT_REJECTED} the risk gate" in row and f"{EXIT_NOT_PLACED} it did not" in row
