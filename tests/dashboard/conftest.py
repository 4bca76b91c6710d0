"""Factories for the panel tests: real ledgers, reports and studies, and the app under test.

The ledger, report and study are made once per test session by the real commands (``paper``
on the replayed bundled candles, ``backtest``, ``optimize``) and copied into each test's
own folder, so every test reads what the library really writes.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from streamlit.testing.v1 import AppTest

from backtrader_engine.dashboard.launch import APP_SCRIPT
from backtrader_engine.dashboard.navigation import PAGES
from backtrader_engine.errors import UserError
from backtrader_engine.operations import RunPaths, force_stop
from backtrader_engine.service.pidfile import PidRecord, write_pid_file

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
REPLAY_SPEED = "36000"  # ten bundled 1h candles a second


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put back the ``__main__`` module AppTest swaps for its script and leaves behind.

    Otherwise every later test that spawns processes (the optimiser's spawn workers) has its
    children try to re-run that temporary script as their main module, and die.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def bte(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m backtrader_engine ARGS`` from the repository root; fail on an error."""
    proc = subprocess.run([sys.executable, "-m", "backtrader_engine", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def paper_args(state: Path, *extra: str) -> list[str]:
    """``paper`` arguments for a bot on the replayed bundled candles, ledger in *state*."""
    return ["--config-dir", str(CONFIGS), "--source", "replay", "--replay-speed", REPLAY_SPEED,
            "--state", str(state), "--status-every", "1", "--no-metrics", *extra]


@pytest.fixture(scope="session")
def made_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished paper session (positions, orders, fills, rejected signals) in a folder.

    Where the session stops depends on how far the unpaced replay got when the command saw
    ``--max-bars``, and the strategies hold positions about half the time: the session is
    resumed until it stops with a position open.
    """
    state = tmp_path_factory.mktemp("ledger") / "state"
    for _ in range(12):
        bte("paper", "--config-dir", str(CONFIGS), "--source", "replay", "--replay-speed",
            "0", "--max-bars", "150", "--state", str(state), "--no-metrics",
            "--status-every", "0")
        db = sqlite3.connect(f"file:{state / 'ledger.sqlite'}?mode=ro", uri=True)
        try:
            if db.execute("SELECT COUNT(*) FROM account_state WHERE position != 0"
                          ).fetchone()[0]:
                return state
        finally:
            db.close()
    raise AssertionError("no paper session stopped with a position open")


@pytest.fixture
def ledger(tmp_path: Path, made_ledger: Path) -> Path:
    """This test's copy of the finished session's state folder."""
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy2(made_ledger / "ledger.sqlite", state / "ledger.sqlite")
    return state


@pytest.fixture(scope="session")
def made_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backtest report folder (with plots) from ``backtest``."""
    out = tmp_path_factory.mktemp("reports") / "rsi"
    bte("backtest", "--strategy", "RSIEMAMomentum", "--from", "2018-01-01", "--to",
        "2018-04-30", "--risk-gate", "--out", str(out), "--config-dir", str(CONFIGS))
    return out


@pytest.fixture(scope="session")
def made_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An optimisation study folder with out-of-sample and walk-forward results, and plots."""
    out = tmp_path_factory.mktemp("studies") / "rsi-study"
    bte("optimize", "--strategy", "RSIEMAMomentumStrategy", "--trials", "3", "--seed", "1",
        "--min-trades", "1", "--from", "2018-01-01", "--to", "2018-05-31", "--walk-forward",
        "2", "--out", str(out), "--config-dir", str(CONFIGS))
    return out


@dataclass(frozen=True)
class PanelDirs:
    """The folders a test panel manages (all empty unless a test fills them)."""

    run: Path
    state: Path
    reports: Path
    studies: Path
    configs: Path

    def argv(self, *extra: str) -> list[str]:
        return ["--run-dir", str(self.run), "--state", str(self.state), "--reports",
                str(self.reports), "--studies", str(self.studies), "--config-dir",
                str(self.configs), *extra]


@pytest.fixture
def dirs(tmp_path: Path) -> Iterator[PanelDirs]:
    """Empty panel folders under tmp_path; a bot left running in the run folder is killed."""
    folders = PanelDirs(tmp_path / "run", tmp_path / "state", tmp_path / "reports",
                        tmp_path / "studies", CONFIGS)
    yield folders
    if (folders.run / "bot.pid").exists():
        with contextlib.suppress(UserError):  # a test's deliberately corrupt PID file
            force_stop(run_dir=folders.run, timeout=5)


@pytest.fixture
def sleeper(child: Callable[..., subprocess.Popen[str]]) -> Callable[[], subprocess.Popen[str]]:
    """``sleeper()``: a Python child that idles until signalled (stands in for a bot)."""
    return child


def write_pid_record(dirs: PanelDirs, pid: int, create_time: float | None = None) -> PidRecord:
    """A PID file in the panel's run folder naming *pid* (its real create time by default)."""
    if create_time is None:
        create_time = psutil.Process(pid).create_time()
    record = PidRecord(pid=pid, create_time=create_time, command=["python", "bot.py"], args=[],
                       cwd=str(dirs.run.parent), started_at=time.time(),
                       state_dir=str(dirs.state), config_dir=str(dirs.configs),
                       log_file=str(dirs.run / "logs" / "bot.log"),
                       stop_file=str(dirs.run / "bot.stop"))
    paths = RunPaths.of(dirs.run)
    paths.run_dir.mkdir(parents=True, exist_ok=True)
    write_pid_file(paths.pid_file, record)
    return record


def dead_pid() -> int:
    """The PID of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


@pytest.fixture
def panel(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """``panel(argv, page="Live")``: the app as ``streamlit run app.py -- ARGV`` runs it,
    opened at the root URL or, with *page* (a title of ``navigation.PAGES``), at that page.

    The app script reads its options from ``sys.argv`` as under ``streamlit run``; the
    latest ``panel(...)`` of a test sets them.
    """
    def make(argv: list[str], page: str | None = None) -> AppTest:
        monkeypatch.setattr(sys, "argv", [str(APP_SCRIPT), *argv])
        app = AppTest.from_file(str(APP_SCRIPT), default_timeout=60)
        app.run()
        if page is not None:
            open_page(app, page)
        return app
    return make


def open_page(app: AppTest, title: str) -> AppTest:
    """Go to the page titled *title*, as its URL path or the page menu does."""
    script = next(p.path for p in PAGES if p.title == title)
    return app.switch_page(str(script.relative_to(APP_SCRIPT.parent))).run()


def no_exception(app: AppTest) -> None:
    """Assert the page rendered without an exception element."""
    assert not app.exception, [e.value for e in app.exception]
