"""``inject``: one manual signal into a running paper session, and its outcome."""

from __future__ import annotations

import argparse
import json

from ..errors import UserError
from ..paper.control import send


def describe(reply: dict[str, object]) -> str:
    """One line: what happened to the signal."""
    head = f"signal {reply['signal_id']} {reply['side']} on {reply['account']}: "
    if reply["status"] == "Completed":
        return head + (f"executed {abs(float(reply['size'])):g} @ {float(reply['price']):g} "
                       f"(fee {float(reply['fee']):.4f})")
    reason = reply.get("reason") or reply["status"]
    message = f" — {reply['message']}" if reply.get("message") else ""
    return head + f"{str(reply['status']).lower()} ({reason}){message}"


def start_inject(args: argparse.Namespace) -> int:
    reply = send(args.state, {"op": "inject", "symbol": args.symbol.upper(), "side": args.side,
                              "qty": args.qty, "confidence": args.confidence})
    if not reply.get("ok"):
        raise UserError(f"the paper session refused the signal: {reply.get('error')}")
    print(json.dumps(reply) if args.json else describe(reply))
    return 0
