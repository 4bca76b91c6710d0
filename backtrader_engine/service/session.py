"""The paper session a managed bot runs, seen from outside: ready yet, and its state folder.

A session advertises its control channel in ``STATE/control.json`` once its start-up is done
(:data:`CONTROL_FILE`; the paper package writes it under this name) and holds the state
folder's lock (:mod:`.statelock`) for as long as it runs. Both are read here without
importing the paper package, which the service does not depend on.
"""

from __future__ import annotations

import json
from pathlib import Path

from backtrader_engine.service.errors import BotAlreadyRunning
from backtrader_engine.service.statelock import in_use_message, lock_holder

#: File name of a running session's control channel in its state folder.
CONTROL_FILE = "control.json"


def session_pid(state_dir: Path) -> int | None:
    """PID of the paper session advertising its control channel in *state_dir*, if any.

    A session writes ``control.json`` once its start-up (warm-up, catch-up) is done and
    removes it when it stops; a killed session leaves it behind, so check the PID is alive.
    """
    try:
        return int(json.loads((state_dir / CONTROL_FILE).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_state_free(state_dir: Path) -> None:
    """Refuse a state folder that a live paper session (managed or not) is using.

    Two sessions on one ledger would interleave their orders, so the second must not start.
    A session holds the folder's lock (:mod:`.statelock`) for as long as it runs, and the OS
    drops it when the process dies: a PID file, ``control.json`` or lock file left behind by
    a killed session does not count.

    Raises
    ------
    BotAlreadyRunning
        With the same line ``paper`` itself refuses the folder with.
    """
    holder = lock_holder(state_dir)
    if holder is not None:
        raise BotAlreadyRunning(in_use_message(state_dir, holder), holder.pid or 0)
