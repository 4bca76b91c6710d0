"""The PID manager against real bots on the replay server: start, status, restart, stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from backtrader_engine.commands.bot_paper_args import paper_command
from backtrader_engine.operations import (
    BotAlreadyRunning,
    BotError,
    bot_status,
    force_stop,
    key_figures,
    read_pid_file,
    restart_bot,
    start_bot,
    stop_bot,
)

from .conftest import ROOT, dead_pid, ledger_rows, paper_args, wait_until


def _events(state: Path) -> list[str]:
    return [kind for (kind,) in ledger_rows(state, "SELECT kind FROM events ORDER BY id")]


def _count(state: Path, table: str) -> int:
    return ledger_rows(state, f"SELECT COUNT(*) FROM {table}")[0][0]


def _bots_on(state: Path) -> list[psutil.Process]:
    """Running paper processes whose command line names *state*."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "paper" in cmdline and str(state) in cmdline:
            found.append(proc)
    return found


def test_start_status_restart_and_graceful_stop(tmp_path: Path, run_dir: Path,
                                                cli: Callable[..., object]) -> None:
    state = tmp_path / "state"
    bot = start_bot(paper_args(state), check=paper_command, run_dir=run_dir, ready_timeout=90)
    assert bot.ready and bot.recovered is None
    record = read_pid_file(run_dir / "bot.pid")
    assert record == bot.record
    assert record.command[:4] == [sys.executable, "-m", "backtrader_engine", "paper"]
    assert record.args == paper_args(state) and record.state_dir == str(state)
    assert record.create_time == psutil.Process(bot.pid).create_time()

    # A second start is refused, naming the PID, from this run folder or another one on
    # the same state folder; no second bot appears.
    with pytest.raises(BotAlreadyRunning, match=f"already running \\(PID {bot.pid},"):
        start_bot(paper_args(state), check=paper_command, run_dir=run_dir)
    with pytest.raises(BotAlreadyRunning) as other:
        start_bot(paper_args(state), check=paper_command, run_dir=tmp_path / "other-run")
    # The line paper itself refuses a second writer with.
    assert str(other.value) == (f"state folder {state} is in use by paper session PID "
                                f"{bot.pid}; stop it first (bte bot stop --run-dir "
                                f"{run_dir.resolve()}) or choose another --state")
    assert [p.pid for p in _bots_on(state)] == [bot.pid]

    wait_until(lambda: key_figures(state)["signals_executed"] > 0
               and "live bars" in (run_dir / "logs" / "bot.log").read_text(),
               "an executed signal and a status line")
    status = bot_status(run_dir=run_dir, endpoints=[])
    assert (status.state, status.pid, status.ready) == ("running", bot.pid, True)
    assert status.uptime_s > 0 and status.rss_bytes > 10_000_000  # type: ignore[operator]
    assert status.cpu_percent is not None and status.cpu_percent >= 0
    figures = status.figures
    assert figures is not None and status.figures_error is None
    assert 5_000 < figures["equity"] < 15_000
    assert figures["pnl"] == pytest.approx(figures["equity"] - figures["initial_cash"])
    assert figures["signals_executed"] > 0
    assert figures["signals_rejected"] == sum(figures["rejected_by_reason"].values())
    assert len(status.log_tail) == 5 and any("live bars" in line for line in status.log_tail)

    result = cli("bot", "status", "--run-dir", str(run_dir), "--json", "--http-timeout", "0.2")
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    data = json.loads(result.out)  # type: ignore[attr-defined]
    assert (data["state"], data["pid"]) == ("running", bot.pid)
    assert data["figures"]["equity"] > 0
    assert [e["name"] for e in data["endpoints"]] == ["metrics", "prometheus", "grafana"]
    text = cli("bot", "status", "--run-dir", str(run_dir)).out  # type: ignore[attr-defined]
    assert f"bot running (PID {bot.pid})" in text and "equity" in text
    assert "signals executed" in text and "last log lines" in text

    # restart without arguments: same arguments, a new process, the session resumed.
    again = restart_bot(check=paper_command, run_dir=run_dir, ready_timeout=90)
    assert again.pid != bot.pid and again.record.args == bot.record.args
    assert not psutil.pid_exists(bot.pid) or psutil.Process(bot.pid).status() == "zombie"
    wait_until(lambda: _events(state).count("start") == 2, "the resumed session")

    result = stop_bot(run_dir=run_dir)
    assert (result.outcome, result.pid, result.exit_code) == ("stopped", again.pid, 0)
    assert not (run_dir / "bot.pid").exists() and not _bots_on(state)
    # The ledger is intact: bars, orders and fills, and each run ended with a 'stop' event.
    events = _events(state)
    assert events.count("stop") == 2 and events[-1] == "stop"
    assert _count(state, "bars") > 0 and _count(state, "orders") > 0
    assert _count(state, "fills") > 0
    log = [json.loads(line) for line in
           (run_dir / "logs" / "paper.jsonl").read_text().splitlines()]
    messages = [entry["message"] for entry in log]
    assert messages.count("paper session started") == 2
    assert messages.count("paper session stopped") == 2
    assert "total" in (run_dir / "logs" / "bot.log").read_text()  # the summary

    after = bot_status(run_dir=run_dir, endpoints=[])
    assert after.state == "stopped" and "no bot running" in after.message
    assert stop_bot(run_dir=run_dir).outcome == "not running"


def test_concurrent_starts_one_wins(tmp_path: Path, run_dir: Path) -> None:
    state = tmp_path / "state"
    command = [sys.executable, str(ROOT / "executables" / "bot_pid_manager.py"), "start",
               "--run-dir", str(run_dir), "--start-timeout", "90", *paper_args(state)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(*proc.communicate(timeout=180), proc.returncode) for proc in procs]
    assert sorted(code for _, _, code in results) == [0, 1], results
    record = read_pid_file(run_dir / "bot.pid")
    assert record is not None
    loser = next(err for _, err, code in results if code == 1)
    assert f"already running (PID {record.pid}," in loser
    assert [p.pid for p in _bots_on(state)] == [record.pid]
    assert stop_bot(run_dir=run_dir).outcome == "stopped"


def test_stale_pid_files_are_recovered(tmp_path: Path, run_dir: Path,
                                       record_for: Callable[..., object],
                                       child: Callable[..., subprocess.Popen[str]],
                                       cli: Callable[..., object]) -> None:
    state = tmp_path / "state"
    gone = dead_pid()
    record_for(gone, time.time() - 100)
    status = bot_status(run_dir=run_dir, endpoints=[])
    assert status.state == "stale" and f"PID {gone}, which no longer runs" in status.message
    bot = start_bot(paper_args(state), check=paper_command, run_dir=run_dir, ready_timeout=90)
    assert bot.recovered == f"removed a stale PID file: PID {gone} no longer runs"
    # Stop the way Windows does: the stop file the bot polls.
    result = stop_bot(run_dir=run_dir, method="file")
    assert (result.outcome, result.exit_code) == ("stopped", 0)
    assert _events(state)[-1] == "stop" and not (run_dir / "bot.stop").exists()

    # The recorded PID now belongs to an unrelated live process: it is left alone.
    other = child()
    record_for(other.pid, psutil.Process(other.pid).create_time() - 1000)
    result = cli("bot", "start", "--run-dir", str(run_dir), "--start-timeout", "90", "--",
                 *paper_args(state))
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    assert f"PID {other.pid} now belongs to another process" in result.out  # type: ignore
    new = read_pid_file(run_dir / "bot.pid")
    assert new is not None and new.pid != other.pid and other.poll() is None
    assert stop_bot(run_dir=run_dir).outcome == "stopped"
    assert other.poll() is None


def test_force_stop_kills_a_bot_that_ignores_sigterm(
        tmp_path: Path, record_for: Callable[..., object],
        child: Callable[..., subprocess.Popen[str]]) -> None:
    stubborn = child("signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    record_for(stubborn.pid)
    run_dir = tmp_path / "run"
    with pytest.raises(BotError, match=f"PID {stubborn.pid}\\) did not stop within 0.5 s"):
        stop_bot(run_dir=run_dir, timeout=0.5)
    assert stubborn.poll() is None and (run_dir / "bot.pid").exists()
    result = force_stop(run_dir=run_dir, timeout=0.5)
    assert (result.outcome, result.exit_code) == ("killed", -signal.SIGKILL)
    assert not psutil.pid_exists(stubborn.pid) and not (run_dir / "bot.pid").exists()


def test_force_stop_of_a_cooperative_process_is_graceful(
        tmp_path: Path, record_for: Callable[..., object],
        child: Callable[..., subprocess.Popen[str]]) -> None:
    polite = child("signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))")
    record_for(polite.pid)
    result = force_stop(run_dir=tmp_path / "run", timeout=30)
    assert (result.outcome, result.exit_code) == ("stopped", 3)


def test_a_bot_failing_at_start_up_is_reported(tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(BotError) as info:
        start_bot(paper_args(tmp_path / "s", "--strategy", "NoSuchStrategy"),
                  check=paper_command, run_dir=run_dir, ready_timeout=90)
    message = str(info.value)
    assert "the bot exited with code 2 during start-up" in message
    assert "NoSuchStrategy" in message and str(run_dir / "logs" / "bot.log") in message
    assert not (run_dir / "bot.pid").exists()


def test_a_bot_whose_parent_is_another_live_process_is_stopped_not_waited_for(
        tmp_path: Path, record_for: Callable[..., object],
        child: Callable[..., subprocess.Popen[str]]) -> None:
    # The panel (or a script) that started the bot outlives it without reaping it at once:
    # the ended bot is a zombie of that parent, which must count as stopped here.
    parent = child("import subprocess\n"
                   "bot = subprocess.Popen([sys.executable, '-c', "
                   "'import time\\nwhile True: time.sleep(0.1)'])")
    (bot,) = psutil.Process(parent.pid).children()
    bot_pid = bot.pid
    record_for(bot_pid)
    result = stop_bot(run_dir=tmp_path / "run", timeout=20)
    assert result.outcome == "stopped" and result.pid == bot_pid
    assert psutil.Process(bot_pid).status() == psutil.STATUS_ZOMBIE  # still not reaped
    assert bot_status(run_dir=tmp_path / "run").state == "stopped"
