"""The one query-and-command API of the shells: the running bot seen from outside, and
running it as a long-lived service.

The CLI's ``bot``/``inject`` commands, the Streamlit panel (:mod:`backtrader_engine.dashboard`),
the Telegram bot (:mod:`backtrader_engine.telegram`) and the metrics exporter
(:mod:`backtrader_engine.monitoring`) import what they need from here, never from
:mod:`backtrader_engine.paper` or :mod:`backtrader_engine.service` (see docs/architecture.md).

Status and operator commands on a running session:

* :func:`read_snapshot` → :class:`SessionSnapshot` (figures from the ledger, also when the
  bot is down) and :func:`live_status` (what only the running process knows);
* :func:`pause_entries`, :func:`pause_trading`, :func:`resume_entries`, :func:`force_exit`,
  :func:`stop_session`, :func:`inject_signal`, :func:`reload_risk`;
* :func:`rejection_history` → :class:`RejectionCount` (refused signals and orders by reason
  per hour or day);
* :func:`trips_from_rows` (a sub-account's round trips from its ledger rows) and
  :data:`STREAM_LIVE` (the stream state of a healthy connection in :func:`live_status`).

The bot as a PID-managed process (the CLI's ``bot ...``, the ``executables/`` scripts, the
Streamlit panel and the Telegram bot call these):

* :func:`start_bot`, :func:`stop_bot`, :func:`force_stop`, :func:`restart_bot` — manage the
  detached bot of one run folder (default ``./run``: PID file, lock, logs; see
  :class:`RunPaths`);
* :func:`bot_status` → :class:`BotStatus` — state, PID, uptime, CPU/memory, endpoint checks,
  key figures, last log lines (``to_dict()`` for JSON; :func:`format_status` for people);
  the process part alone is :func:`process_status`;
* :func:`setup_logging` — JSON-lines logs with rotation plus readable console output;
  :func:`tail_lines` — the last lines of a log file.
"""

from backtrader_engine.exchanges.bybit.stream.events import LIVE as STREAM_LIVE
from backtrader_engine.operations.control import (
    force_exit,
    inject_signal,
    pause_entries,
    pause_trading,
    reload_risk,
    resume_entries,
    stop_session,
)
from backtrader_engine.operations.rejections import RejectionCount, rejection_history
from backtrader_engine.operations.snapshot import (
    AccountSnapshot,
    SessionSnapshot,
    live_status,
    read_snapshot,
)
from backtrader_engine.operations.status import (
    BotStatus,
    bot_status,
    key_figures,
    operator_pause,
    operator_pause_of_event,
)
from backtrader_engine.operations.status_text import format_status
from backtrader_engine.paper.trades import trips_from_rows
from backtrader_engine.service.endpoints import Endpoint, EndpointCheck, check_endpoints
from backtrader_engine.service.errors import BotAlreadyRunning, BotError, LockBusy
from backtrader_engine.service.logging_setup import LogSetup, setup_logging
from backtrader_engine.service.logtail import tail_lines
from backtrader_engine.service.manager import (
    BotProcess,
    StopResult,
    force_stop,
    restart_bot,
    start_bot,
    stop_bot,
)
from backtrader_engine.service.paths import DEFAULT_RUN_DIR, RunPaths
from backtrader_engine.service.pidfile import PidLock, PidRecord, read_pid_file
from backtrader_engine.service.process_status import ProcessStatus, process_status

__all__ = [
    "DEFAULT_RUN_DIR",
    "STREAM_LIVE",
    "AccountSnapshot",
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
    "ProcessStatus",
    "RejectionCount",
    "RunPaths",
    "SessionSnapshot",
    "StopResult",
    "bot_status",
    "check_endpoints",
    "force_exit",
    "force_stop",
    "format_status",
    "inject_signal",
    "key_figures",
    "live_status",
    "operator_pause",
    "operator_pause_of_event",
    "pause_entries",
    "pause_trading",
    "process_status",
    "read_pid_file",
    "read_snapshot",
    "reload_risk",
    "rejection_history",
    "restart_bot",
    "resume_entries",
    "setup_logging",
    "start_bot",
    "stop_bot",
    "stop_session",
    "tail_lines",
    "trips_from_rows",
]
