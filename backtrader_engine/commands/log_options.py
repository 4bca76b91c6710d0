"""The ``--log-*`` options of a long-running command, and the logging they set up.

:mod:`backtrader_engine.service.logging_setup` takes plain values; this module is the
command-line side: the options, their checks, and the call that turns them into a
:class:`~backtrader_engine.service.logging_setup.LogSetup`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.service.logging_setup import (
    DEFAULT_BACKUPS,
    DEFAULT_LOG_DIR,
    DEFAULT_MAX_BYTES,
    LEVELS,
    LogSetup,
    check_rotation,
    setup_logging,
)

_MB = 2**20


def add_log_options(parser: argparse.ArgumentParser) -> None:
    """The ``--log-*`` options of a long-running command."""
    g = parser.add_argument_group("logs")
    g.add_argument("--log-dir", type=Path, metavar="DIR",
                   help=f"folder of the JSON-lines log NAME.jsonl (default {DEFAULT_LOG_DIR})")
    g.add_argument("--log-level", default="INFO", choices=LEVELS, type=str.upper,
                   help="lowest level logged (default INFO)")
    g.add_argument("--log-max-mb", type=float, default=DEFAULT_MAX_BYTES / _MB, metavar="MB",
                   help="rotate the JSON log at this size (default 10)")
    g.add_argument("--log-backups", type=int, default=DEFAULT_BACKUPS, metavar="N",
                   help="rotated JSON logs kept (default 5)")


def check_log_args(args: argparse.Namespace) -> None:
    """What :func:`setup_logging_from_args` would refuse, checked without setting anything up.

    Raises
    ------
    UserError
        A log size that is not a finite number, or a rotation below the minimums.
    """
    if not math.isfinite(args.log_max_mb):
        raise UserError(f"--log-max-mb {args.log_max_mb:g}: expected a size in MB, at least "
                        "0.001 (1 KB)")
    check_rotation(int(args.log_max_mb * _MB), args.log_backups)


def setup_logging_from_args(name: str, args: argparse.Namespace) -> LogSetup:
    """:func:`~backtrader_engine.service.logging_setup.setup_logging` with the options of
    :func:`add_log_options`."""
    return setup_logging(name, log_dir=args.log_dir or DEFAULT_LOG_DIR, level=args.log_level,
                         max_bytes=int(args.log_max_mb * _MB), backups=args.log_backups)
