"""``inject``: one manual signal into a running paper session, and its outcome.

The exit code tells a QA script what happened to the signal: 0 when it was executed (or its
order is accepted and working), :data:`EXIT_REJECTED` when the risk gate or the broker refused
it (the reason is printed), :data:`EXIT_NOT_PLACED` when no order traded for another reason (no
price seen yet, expired, cancelled), and 2, as for every command, when the request itself was
bad (unknown symbol, no session running, a quantity out of range).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from backtrader_engine.argtypes import finite_float, positive_float
from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.errors import UserError
from backtrader_engine.operations import inject_signal

#: The risk gate (any of its reason codes, an open breaker, paused entries) or the broker
#: (margin, the venue's lot rules, warm-up) refused the signal.
EXIT_REJECTED = 3
#: The signal did not trade and was not refused: no bar seen yet, or the order expired or was
#: cancelled.
EXIT_NOT_PLACED = 4

#: Order statuses of a refused signal.
_REFUSED = ("Rejected", "Margin")
#: Order statuses of a signal that went through (filled, or accepted and working).
_ACCEPTED = ("Completed", "Partial", "Accepted", "Submitted", "Created")

EXIT_CODES_HELP = (f"0 when the signal was executed (or its order accepted), "
                   f"{EXIT_REJECTED} when the risk gate or the broker rejected it, "
                   f"{EXIT_NOT_PLACED} when it did not trade for another reason (no price "
                   f"yet, expired), 2 when the request was bad or no session is running")


def register(subparsers: SubCommands) -> None:
    """Add ``inject`` to the CLI's sub-commands."""
    p = subparsers.add_parser("inject",
                              description="Send a manual (QA) signal into a running paper "
                                          "session and print its outcome.",
                              epilog=f"Exit status: {EXIT_CODES_HELP}.")
    p.add_argument("--symbol", required=True, metavar="S", help="e.g. ETHUSDT")
    p.add_argument("--side", required=True, choices=("buy", "sell"))
    p.add_argument("--qty", type=positive_float, metavar="Q",
                   help="quantity (default: 10%% of the manual sub-account's equity; a sell "
                        "while long closes the long)")
    p.add_argument("--confidence", type=finite_float, default=1.0, metavar="C",
                   help="0 to 1, checked by the risk gate (default 1.0)")
    p.add_argument("--state", type=Path, default=Path("state/paper"), metavar="DIR",
                   help="the running session's state folder (default state/paper)")
    p.add_argument("--json", action="store_true", help="print the reply as JSON")
    p.set_defaults(handler=start_inject)


def describe(reply: dict[str, Any]) -> str:
    """One line: what happened to the signal."""
    head = f"signal {reply['signal_id']} {reply['side']} on {reply['account']}: "
    if reply["status"] == "Completed":
        return head + (f"executed {abs(float(reply['size'])):g} @ {float(reply['price']):g} "
                       f"(fee {float(reply['fee']):.4f})")
    reason = reply.get("reason") or reply["status"]
    message = f" — {reply['message']}" if reply.get("message") else ""
    return head + f"{str(reply['status']).lower()} ({reason}){message}"


def exit_code(reply: dict[str, object]) -> int:
    """The command's exit code for the session's *reply* (see the module docstring)."""
    status = str(reply.get("status"))
    if status in _ACCEPTED:
        return 0
    if status in _REFUSED:
        return EXIT_REJECTED
    return EXIT_NOT_PLACED


def check_request(qty: float | None, confidence: float) -> None:
    """Refuse a quantity or confidence the session would refuse, before anything is sent.

    Raises
    ------
    UserError
        A quantity that is not a finite positive number, or a confidence outside 0 to 1.
    """
    if qty is not None and not (math.isfinite(qty) and qty > 0):
        raise UserError(f"--qty {qty:g}: expected a positive quantity, e.g. 0.01 (or no "
                        "--qty for 10% of the manual sub-account's equity)")
    if not 0.0 <= confidence <= 1.0:  # also refuses nan
        raise UserError(f"--confidence {confidence:g}: expected a number from 0 to 1")


def start_inject(args: argparse.Namespace) -> int:
    check_request(args.qty, args.confidence)
    reply = inject_signal(args.state, args.symbol, args.side, args.qty, args.confidence)
    print(json.dumps(reply) if args.json else describe(reply))
    return exit_code(reply)
