"""``bot start|stop|force-stop|status|restart|resume-entries``: the paper bot as a service.

The same sub-commands back ``python -m backtrader_engine bot ...`` and
``executables/bot_pid_manager.py ...``. Arguments after ``start``/``restart`` that the runner
does not know (or everything after ``--``) are passed through to ``paper``.
Exit codes: 0 ok / running, 1 not running (``status``) or the operation failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from backtrader_engine.cli_parser import OneLineParser, SubCommands
from backtrader_engine.commands.bot_paper_args import paper_command
from backtrader_engine.errors import UserError
from backtrader_engine.operations import (
    DEFAULT_RUN_DIR,
    RunPaths,
    bot_status,
    force_stop,
    format_status,
    read_pid_file,
    restart_bot,
    resume_entries,
    start_bot,
    stop_bot,
)

#: The paper command's default state folder, used when no managed bot names one.
DEFAULT_STATE_DIR = Path("state/paper")

PASS_THROUGH = ("arguments it does not know, or everything after '--', are passed to "
                "'paper', e.g. --source replay --state DIR")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, metavar="DIR",
                   help="folder of the PID file, its lock and the bot's logs "
                        f"(default: {DEFAULT_RUN_DIR})")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def register(subparsers: SubCommands) -> None:
    """Add ``bot`` and its sub-commands to the CLI's sub-commands."""
    p = subparsers.add_parser("bot")
    add_bot_commands(p.add_subparsers(dest="bot_command", required=True, metavar="ACTION"))


def add_bot_commands(sub: SubCommands) -> None:
    """Add start/stop/force-stop/status/restart/resume-entries to the sub-parsers *sub*."""
    p = sub.add_parser("start", help="start the paper bot detached", allow_abbrev=False,
                       description="Start 'python -m backtrader_engine paper ARGS' detached "
                                   "and PID-managed; " + PASS_THROUGH + ".")
    _common(p)
    p.add_argument("--start-timeout", type=float, default=20.0, metavar="S",
                   help="wait up to S seconds for the session to finish starting (default 20)")
    p.set_defaults(handler=start_bot_command, pass_through=True, paper_args=[])

    p = sub.add_parser("stop", help="stop the bot gracefully (SIGTERM; a stop file on Windows)")
    _common(p)
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for it to end (default 30); it keeps running after")
    p.set_defaults(handler=stop_bot_command, force=False)

    p = sub.add_parser("force-stop", help="stop gracefully, kill (SIGKILL) after a timeout")
    _common(p)
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait before killing it (default 10)")
    p.set_defaults(handler=stop_bot_command, force=True)

    p = sub.add_parser("status", help="state, resources, key figures, endpoints, last log lines")
    _common(p)
    p.add_argument("--http-timeout", type=float, default=0.5, metavar="S",
                   help="seconds each endpoint check may take (default 0.5)")
    p.add_argument("--lines", type=int, default=5, metavar="N",
                   help="last console log lines to show (default 5)")
    p.set_defaults(handler=status_command)

    p = sub.add_parser("restart", help="stop gracefully and start again", allow_abbrev=False,
                       description="Stop the bot gracefully and start it again, with the same "
                                   "paper arguments unless new ones are given; "
                                   + PASS_THROUGH + ".")
    _common(p)
    p.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for the old bot to end (default 30)")
    p.add_argument("--start-timeout", type=float, default=20.0, metavar="S",
                   help="wait up to S seconds for the new session to start (default 20)")
    p.set_defaults(handler=restart_bot_command, pass_through=True, paper_args=[])

    p = sub.add_parser("resume-entries",
                       help="accept new entries again and clear circuit breakers halted until "
                            "an operator resumes (what Telegram's /start_trading does)")
    _common(p)
    p.add_argument("--state", type=Path, metavar="DIR",
                   help="the running session's state folder (default: the managed bot's, "
                        f"else {DEFAULT_STATE_DIR})")
    p.set_defaults(handler=resume_entries_command)


def build_bot_parser(prog: str) -> argparse.ArgumentParser:
    """Stand-alone parser of the bot sub-commands (``executables/bot_pid_manager.py``)."""
    parser = OneLineParser(prog=prog, description="Start, stop and watch the paper bot as a "
                                                  "PID-managed process.")
    add_bot_commands(parser.add_subparsers(dest="bot_command", required=True,
                                           metavar="ACTION"))
    return parser


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text, flush=True)


def _check_seconds(args: argparse.Namespace, *options: str, zero: bool = False) -> None:
    """Waits must be finite and not negative: a negative or nan one means no wait at all.

    With *zero*, 0 is allowed (stop: do not wait; force-stop: kill at once).
    """
    for dest in options:
        value = getattr(args, dest)
        if not (math.isfinite(value) and (value > 0 or (zero and value == 0))):
            expected = "0 or more seconds" if zero else "a positive number of seconds"
            raise UserError(f"--{dest.replace('_', '-')} {value:g}: expected {expected}")


def start_bot_command(args: argparse.Namespace) -> int:
    _check_seconds(args, "start_timeout")
    bot = start_bot(args.paper_args, check=paper_command, run_dir=args.run_dir,
                    ready_timeout=args.start_timeout)
    _print(args, bot.to_dict(), _started_text(bot))
    return 0


def restart_bot_command(args: argparse.Namespace) -> int:
    _check_seconds(args, "timeout", zero=True)
    _check_seconds(args, "start_timeout")
    bot = restart_bot(args.paper_args or None, check=paper_command, run_dir=args.run_dir,
                      timeout=args.timeout, ready_timeout=args.start_timeout)
    _print(args, bot.to_dict(), _started_text(bot))
    return 0


def _started_text(bot: Any) -> str:
    lines = [bot.recovered] if bot.recovered else []
    lines.append(f"bot started (PID {bot.pid}{'' if bot.ready else ', still starting'}); "
                 f"state {bot.record.state_dir}, log {bot.record.log_file}")
    return "\n".join(lines)


#: More log lines than any status display can use: a typo, not a wish.
MAX_LOG_LINES = 10_000


def stop_bot_command(args: argparse.Namespace) -> int:
    _check_seconds(args, "timeout", zero=True)
    _check_run_dir(args.run_dir)
    stop = force_stop if args.force else stop_bot
    result = stop(run_dir=args.run_dir, timeout=args.timeout)
    _print(args, result.to_dict(), result.message)
    return 0


def status_command(args: argparse.Namespace) -> int:
    _check_seconds(args, "http_timeout")
    if not 0 <= args.lines <= MAX_LOG_LINES:
        raise UserError(f"--lines {args.lines}: expected 0 to {MAX_LOG_LINES} log lines")
    status = bot_status(run_dir=args.run_dir, timeout=args.http_timeout, log_lines=args.lines)
    _print(args, status.to_dict(), format_status(status))
    return 0 if status.running else 1


def resume_entries_command(args: argparse.Namespace) -> int:
    state = args.state if args.state is not None else _bot_state_dir(args.run_dir)
    reply = resume_entries(state)
    cleared = reply.get("breakers_resumed") or []
    text = f"new entries allowed again in the session on {state}; " + (
        f"halted breakers cleared: {', '.join(cleared)}" if cleared else
        "no circuit breaker was halted")
    _print(args, reply, text)
    return 0


def _check_run_dir(run_dir: Path) -> None:
    """A --run-dir that is a file can hold no bot: say so, as status does, not "no bot"."""
    for folder in (run_dir, *run_dir.parents):
        if folder.is_file():
            raise UserError(f"--run-dir {run_dir}: {folder} is a file, not a folder; give "
                            "the bot's run folder (default run)")


def _bot_state_dir(run_dir: Path) -> Path:
    """The managed bot's state folder (from its PID file), else the paper default."""
    record = read_pid_file(RunPaths.of(run_dir).pid_file)
    return Path(record.state_dir) if record is not None else DEFAULT_STATE_DIR
