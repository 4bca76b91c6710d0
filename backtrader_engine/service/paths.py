"""Where the bot runner keeps its files: one *run folder* per managed bot.

::

    run/                   the run folder (``--run-dir``, default ./run)
      bot.pid              JSON PID file: pid, create time, command line, start time, ...
      bot.pid.lock         lock file, locked while a start/stop/restart is in progress
      bot.stop             stop request file (written by ``stop`` on Windows, polled by the bot)
      logs/bot.log         the bot's console output (stdout and stderr)
      logs/paper.jsonl     the bot's structured log, JSON lines, rotated

The paper ledger lives in the bot's ``--state`` folder (the ``paper`` default, state/paper,
unless given), not in the run folder, so ``inject``, ``parity`` and the dashboard find it
with their own defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_RUN_DIR = Path("run")


@dataclass(frozen=True)
class RunPaths:
    """The files of one run folder (paths are absolute)."""

    run_dir: Path

    @classmethod
    def of(cls, run_dir: Path | str | None = None) -> RunPaths:
        """Paths of *run_dir* (default ``./run``), resolved against the working directory."""
        return cls(Path(run_dir if run_dir is not None else DEFAULT_RUN_DIR).resolve())

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "bot.pid"

    @property
    def lock_file(self) -> Path:
        return self.run_dir / "bot.pid.lock"

    @property
    def stop_file(self) -> Path:
        return self.run_dir / "bot.stop"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def console_log(self) -> Path:
        return self.log_dir / "bot.log"
