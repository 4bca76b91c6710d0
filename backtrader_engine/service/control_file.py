"""``control.json``: where a running paper session advertises its control channel.

The session writes it into its state folder once its start-up (warm-up, catch-up) is done
and removes it when it stops (:mod:`backtrader_engine.paper.control.channel`). The service
only reads it, to tell whether the bot it started has finished starting; the name is defined
here, below the paper package, so that the service needs nothing from paper.
"""

from __future__ import annotations

import json
from pathlib import Path

#: File name of the control channel's address, token and PID inside the state folder.
CONTROL_FILE = "control.json"


def session_pid(state_dir: Path) -> int | None:
    """PID of the paper session advertising its control channel in *state_dir*, if any.

    A session writes ``control.json`` once its start-up (warm-up, catch-up) is done and
    removes it when it stops; a killed session leaves it behind, so check the PID is alive.
    """
    try:
        return int(json.loads((Path(state_dir) / CONTROL_FILE).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
