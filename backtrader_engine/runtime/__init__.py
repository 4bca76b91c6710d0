"""Running the paper bot as a long-lived service: PID-managed start/stop/status, logs.

The public API the CLI (``bot ...``), the ``executables/`` scripts, the Streamlit panel and
the Telegram bot call:

* :func:`start_bot`, :func:`stop_bot`, :func:`force_stop`, :func:`restart_bot` — manage the
  detached bot of one run folder (default ``./run``: PID file, lock, logs; see
  :mod:`.paths`).
* :func:`bot_status` → :class:`BotStatus` — state, PID, uptime, CPU/memory, endpoint checks,
  key figures, last log lines (``to_dict()`` for JSON).
* :func:`setup_logging` — JSON-lines logs with rotation plus readable console output.
"""

from backtrader_engine.runtime.endpoints import Endpoint, EndpointCheck, check_endpoints
from backtrader_engine.runtime.errors import BotAlreadyRunning, BotError, LockBusy
from backtrader_engine.runtime.logging_setup import LogSetup, setup_logging
from backtrader_engine.runtime.manager import (
    BotProcess,
    StopResult,
    force_stop,
    restart_bot,
    start_bot,
    stop_bot,
)
from backtrader_engine.runtime.paths import DEFAULT_RUN_DIR, RunPaths
from backtrader_engine.runtime.pidfile import PidLock, PidRecord, read_pid_file
from backtrader_engine.runtime.status import BotStatus, bot_status, key_figures
from backtrader_engine.runtime.status_text import format_status

__all__ = [
    "DEFAULT_RUN_DIR",
    "BotAlreadyRunning",
    "BotError",
    "BotProcess",
    "BotStatus",
    "Endpoint",
    "EndpointCheck",
    "LockBusy",
    "LogSetup",
    "PidLock",
    "PidRecord",
    "RunPaths",
    "StopResult",
    "bot_status",
    "check_endpoints",
    "force_stop",
    "format_status",
    "key_figures",
    "read_pid_file",
    "restart_bot",
    "setup_logging",
    "start_bot",
    "stop_bot",
]
