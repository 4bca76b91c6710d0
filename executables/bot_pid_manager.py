#!/usr/bin/env python3
"""PID manager of the paper bot: ``bot_pid_manager.py start|stop|force-stop|status|restart``.

A thin wrapper over :mod:`backtrader_engine.operations` (the same sub-commands as
``python -m backtrader_engine bot ...``). It runs from a checkout without installing the
package: the repository root is put on ``sys.path``. Arguments after ``start`` that the
runner does not know, or everything after ``--``, are passed through to ``paper``.

Exit codes: 0 ok / running, 1 not running (status) or failure, 2 bad input.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backtrader_engine.cli import run  # noqa: E402
from backtrader_engine.commands.bot import build_bot_parser  # noqa: E402

if __name__ == "__main__":
    sys.exit(run(build_bot_parser(Path(__file__).name), sys.argv[1:], Path(__file__).name))
