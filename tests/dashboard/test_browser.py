"""End to end in a real browser: the bot on the replay, the panel, headless Chromium.

The test starts the paper bot with ``start_bot`` on the replayed bundled candles, serves the
panel with ``python -m backtrader_engine dashboard``, and lets ``e2e/stop_from_panel.mjs``
(playwright-core driving Debian's ``/usr/bin/chromium``) wait for the live figures, press STOP
by its widget key, confirm, and wait for the panel to show the bot stopped. Then the bot's
state and ledger are checked through the library, and the screenshot is kept in
``tests/artifacts/dashboard_live.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import formatting as fmt
from backtrader_engine.runtime import bot_status, read_snapshot, start_bot

from .conftest import ROOT, PanelDirs, paper_args

E2E = Path(__file__).resolve().parent / "e2e"
SCRIPT = E2E / "stop_from_panel.mjs"
ARTIFACT = ROOT / "tests" / "artifacts" / "dashboard_live.png"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed (.ci/run installs it; "
                                            "needed to drive the browser with playwright-core)"),
    pytest.mark.skipif(not Path(CHROMIUM).is_file(),
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium, as "
                              ".ci/run does, or set CHROMIUM_PATH)"),
]


@pytest.fixture(scope="module")
def playwright_core() -> Path:
    """The pinned playwright-core, installed from package-lock.json if it is not yet."""
    module = E2E / "node_modules" / "playwright-core"
    if not module.is_dir():
        npm = shutil.which("npm")
        assert npm is not None, f"playwright-core is missing; run: npm ci --prefix {E2E}"
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=E2E,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"npm ci --prefix {E2E} failed:\n{proc.stderr[-2000:]}"
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, panel: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert panel.poll() is None, f"the panel exited ({panel.returncode}):\n" + \
            log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the panel did not answer within 60 s"
        time.sleep(0.2)


def test_stop_the_bot_from_the_panel_in_a_real_browser(
        dirs: PanelDirs, tmp_path: Path, playwright_core: Path) -> None:
    bot = start_bot(paper_args(dirs.state), run_dir=dirs.run)
    assert bot.ready and bot_status(run_dir=dirs.run).running
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_PASSWORD"}
    log = tmp_path / "panel.log"
    with open(log, "wb") as out:
        panel = subprocess.Popen([sys.executable, "-m", "backtrader_engine", "dashboard",
                                  "--port", str(port), *dirs.argv("--refresh", "1")],
                                 cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, panel, log)
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.unlink(missing_ok=True)
        ARTIFACT.with_name("dashboard_running.png").unlink(missing_ok=True)
        proc = subprocess.run([NODE, str(SCRIPT), url, str(ARTIFACT)], cwd=E2E,
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "CHROMIUM_PATH": CHROMIUM})
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:] + "\npanel log:\n" + \
            log.read_text(errors="replace")[-3000:]
    finally:
        panel.terminate()
        try:
            panel.wait(15)
        except subprocess.TimeoutExpired:
            panel.kill()
            panel.wait(15)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "RUNNING" in seen["state_before"] and "STOPPED" in seen["state_after"]
    assert "Stop the bot (PID" in seen["confirmation"]
    assert seen["message"].startswith(f"bot (PID {bot.pid}) stopped gracefully")
    assert seen["start_enabled"] is True and seen["stop_enabled"] is False
    # The bot really stopped, gracefully: no PID file, its ledger whole and closed by it.
    status = bot_status(run_dir=dirs.run)
    assert status.state == "stopped", status.message
    db = sqlite3.connect(f"file:{dirs.state / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kinds = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY id")]
        live_bars = db.execute("SELECT COUNT(*) FROM bars WHERE source != 'warmup'").fetchone()[0]
    finally:
        db.close()
    assert kinds[-1] == "stop" and live_bars > 0
    assert not (dirs.state / "control.json").exists()
    # What the browser showed after the stop is the ledger's final portfolio value.
    snap = read_snapshot(dirs.state)
    assert seen["portfolio_value_stopped"] == fmt.money(snap.portfolio_value)
    for picture in (ARTIFACT, ARTIFACT.with_name("dashboard_running.png")):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
