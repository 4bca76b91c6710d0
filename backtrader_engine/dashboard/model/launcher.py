"""Backtests launched from the panel: ``python -m backtrader_engine backtest ...`` in a child.

The panel builds the same command line a user would type, runs it as a subprocess (so a
long backtest never blocks the panel and a crash cannot take it down) with its output in
``backtest.log`` next to the report, and polls it until the report appears.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import backtrader_engine
from backtrader_engine.dashboard.model.research import REPORT_FILE
from backtrader_engine.engine.job import parse_param_overrides
from backtrader_engine.errors import UserError
from backtrader_engine.operations import tail_lines

LOG_FILE = "backtest.log"
#: Sub-folder of the reports folder that holds the panel's backtests.
PANEL_REPORTS = "panel"

RunStatus = Literal["running", "finished", "failed"]


@dataclass(frozen=True)
class BacktestForm:
    """What the operator chose in the launch form (text as typed).

    Attributes
    ----------
    strategy
        A built-in name or ``path/to/file.py:ClassName``.
    data
        A candle file or folder; empty for the bundled BTC 1h candles.
    start, end
        First and last bar (``YYYY-MM-DD``), empty for all.
    cash, leverage
        Starting USDT and leverage.
    params
        ``name=value`` overrides, one per line or comma-separated.
    risk_gate
        Screen entries through the risk gate.
    """

    strategy: str
    data: str = ""
    start: str = ""
    end: str = ""
    cash: float = 10_000.0
    leverage: float = 1.0
    params: str = ""
    risk_gate: bool = False


def param_items(text: str) -> list[str]:
    """``"a=1, b=2\\nc=3"`` → ``["a=1", "b=2", "c=3"]`` (checked like ``--param``).

    Raises
    ------
    UserError
        An item without ``=``.
    """
    items = [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]
    parse_param_overrides(items)
    return items


def backtest_command(form: BacktestForm, out_dir: Path, config_dir: Path,
                     python: str = sys.executable) -> list[str]:
    """The ``backtest`` command line for *form*, writing its report into *out_dir*.

    Raises
    ------
    UserError
        No strategy, or a malformed parameter override.
    """
    if not form.strategy.strip():
        raise UserError("choose a strategy, e.g. RSIEMAMomentumStrategy or my_file.py:MyClass")
    command = [python, "-m", "backtrader_engine", "backtest", "--strategy",
               form.strategy.strip(), "--out", str(out_dir), "--config-dir", str(config_dir),
               "--cash", f"{form.cash:g}", "--leverage", f"{form.leverage:g}"]
    if form.data.strip():
        command += ["--data", form.data.strip()]
    if form.start.strip():
        command += ["--from", form.start.strip()]
    if form.end.strip():
        command += ["--to", form.end.strip()]
    for item in param_items(form.params):
        command += ["--param", item]
    if form.risk_gate:
        command.append("--risk-gate")
    return command


def report_folder(reports_dir: Path, strategy: str, now: float | None = None) -> Path:
    """A new folder for a panel backtest: ``REPORTS/panel/<strategy>-<UTC time>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(strategy.split(":")[-1]).stem).strip("-")
    folder = Path(reports_dir) / PANEL_REPORTS / f"{slug or 'backtest'}-{stamp}"
    suffix = 1
    while folder.exists():  # two launches within one second
        suffix += 1
        folder = folder.with_name(f"{slug or 'backtest'}-{stamp}-{suffix}")
    return folder


@dataclass(frozen=True)
class RunState:
    """One poll of a launched backtest."""

    status: RunStatus
    exit_code: int | None
    elapsed_s: float
    output: list[str]
    report: Path | None


class BacktestRun:
    """A backtest running (or run) in a child process.

    Parameters
    ----------
    command
        The command line (see :func:`backtest_command`).
    out_dir
        The report folder the command writes; its ``backtest.log`` gets the output.
    """

    def __init__(self, command: list[str], out_dir: Path) -> None:
        self.command = list(command)
        self.out_dir = Path(out_dir)
        self.log_path = self.out_dir / LOG_FILE
        self.started_at = time.time()
        self._finished_at: float | None = None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"  # the log shows progress as it happens
        # Importable from a checkout that was never installed, as the bot runner does it.
        root = str(Path(backtrader_engine.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(self.command, stdout=log,
                                             stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=env)

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self, lines: int = 40) -> RunState:
        """Where the backtest is: running, finished (report written) or failed."""
        code = self._process.poll()
        if code is not None and self._finished_at is None:
            self._finished_at = time.time()
        elapsed = (self._finished_at or time.time()) - self.started_at
        output = tail_lines(self.log_path, lines)
        report = self.out_dir / REPORT_FILE
        if code is None:
            return RunState("running", None, elapsed, output, None)
        if code == 0 and report.is_file():
            return RunState("finished", 0, elapsed, output, report)
        return RunState("failed", code, elapsed, output, None)

    def cancel(self, timeout: float = 10.0) -> None:
        """Stop the child (terminate, then kill) and wait for it."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
