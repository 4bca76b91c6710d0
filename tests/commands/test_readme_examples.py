"""Every command of the README's Backtests section runs as printed, from a clone's root."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_backtests() -> list[list[str]]:
    """The ``bte backtest`` commands of the README's "### Backtests" code block, as argv."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Backtests", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    joined = block.replace("\\\n", " ")
    return [shlex.split(line)[1:] for line in joined.splitlines() if line.startswith("bte ")]


@pytest.fixture
def clone_root(fresh_cwd: Path) -> Path:
    """*fresh_cwd* laid out like a clone's root (the files the examples name), runs/ its own."""
    for name in ("backtrader_engine", "configs", "examples", "tests"):
        (fresh_cwd / name).symlink_to(ROOT / name)
    return fresh_cwd


def test_readme_lists_the_examples() -> None:
    commands = readme_backtests()
    assert len(commands) >= 4 and all(argv[0] == "backtest" for argv in commands)


@pytest.mark.parametrize("index", range(len(readme_backtests())))
def test_readme_backtest_example_runs(cli, clone_root: Path, index: int) -> None:
    argv = readme_backtests()[index]
    # Plots are not what the examples show; skipping them keeps the suite quick.
    result = cli(*argv, "--no-plots")
    assert result.code == 0, (argv, result.err)
    written = re.search(r"report written to (\S+)/", result.out)
    assert written is not None and (clone_root / written.group(1) / "report.json").is_file()
