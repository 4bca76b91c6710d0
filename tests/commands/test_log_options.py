"""The ``--log-*`` options: parsed, checked, and turned into the logging they describe."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from backtrader_engine.commands.log_options import (
    add_log_options,
    check_log_args,
    setup_logging_from_args,
)
from backtrader_engine.errors import UserError


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_log_options(parser)
    return parser.parse_args(list(argv))


def test_defaults() -> None:
    args = _parse()
    assert (args.log_dir, args.log_level, args.log_max_mb, args.log_backups) == (
        None, "INFO", 10.0, 5)


def test_the_options_set_up_the_rotating_log(tmp_path: Path) -> None:
    args = _parse("--log-dir", str(tmp_path / "logs"), "--log-level", "debug",
                  "--log-max-mb", "0.5", "--log-backups", "2")
    check_log_args(args)
    with setup_logging_from_args("paper", args) as logs:
        assert logs.path == tmp_path / "logs" / "paper.jsonl"
        assert logging.getLogger().level == logging.DEBUG
        [handler] = [h for h in logs.handlers if hasattr(h, "maxBytes")]
        assert (handler.maxBytes, handler.backupCount) == (2**19, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("argv", "message"), [
    (["--log-max-mb", "nan"], "--log-max-mb nan: expected a size in MB"),
    (["--log-max-mb", "inf"], "--log-max-mb inf: expected a size in MB"),
    (["--log-max-mb", "0.0001"], "at least 1 KB per file"),
    (["--log-backups", "0"], "1 backup"),
])
def test_refused_values_are_named_before_anything_is_set_up(
        tmp_path: Path, argv: list[str], message: str) -> None:
    args = _parse("--log-dir", str(tmp_path / "logs"), *argv)
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        check_log_args(args)
    assert not (tmp_path / "logs").exists()
