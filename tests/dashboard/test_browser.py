"""End to end in a real browser: the bot on the replay, the panel, headless Chromium.

The test starts the paper bot with ``start_bot`` on the replayed bundled candles, serves the
panel with ``python -m backtrader_engine panel``, and lets ``e2e/stop_from_panel.mjs``
(playwright-core driving Debian's ``/usr/bin/chromium``) wait for the live figures, press STOP
by its widget key, confirm, and wait for the panel to show the bot stopped. Then the bot's
state and ledger are checked through the library, and the screenshot is kept in
``tests/artifacts/dashboard_live.png``.

A third test opens every page by its own URL (``/live``, ``/strategies``, ...) on a real
replayed session's ledger, a backtest report and a study (``e2e/pages_by_link.mjs``): each
renders without an exception box or a console error, shows its key element (the charts
drawn), and is drawn in the theme of ``.streamlit/config.toml``, as ``streamlit run`` from
the repository root draws it (pictures: ``tests/artifacts/panel_<page>.png``). A fourth runs it
with a password: every page's URL asks for it first and shows that page once it is given.

A second test looks at the Live page as a 1280x800 laptop screen shows it
(``e2e/layout_at_1280.mjs``), with the bot on a state folder other than the panel's
``--state``: no card value and no cell of the open positions and open orders is cut, and the
sidebar names the running bot's state folder (picture: ``tests/artifacts/dashboard_1280.png``).
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.commands.bot_paper_args import paper_command
from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.operations import bot_status, read_snapshot, start_bot

from .conftest import ROOT, PanelDirs, paper_args

E2E = Path(__file__).resolve().parent / "e2e"
SCRIPT = E2E / "stop_from_panel.mjs"
LAYOUT_SCRIPT = E2E / "layout_at_1280.mjs"
PAGES_SCRIPT = E2E / "pages_by_link.mjs"
ARTIFACT = ROOT / "tests" / "artifacts" / "dashboard_live.png"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.integration,  # Chromium (apt), node and playwright-core (npm)
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


@contextmanager
def _panel(dirs: PanelDirs, log: Path, *, cwd: Path = ROOT, direct: bool = False,
           argv: list[str] | None = None, password: str | None = None) -> Iterator[str]:
    """``panel`` serving *dirs* (or *argv*) on a free port (its URL), stopped on exit.

    Started in *cwd*; with *direct*, as ``streamlit run backtrader_engine/dashboard/app.py``
    from the repository root instead (no flags but the server's: its look comes from
    ``.streamlit/config.toml`` there). *password* is the panel's ``DASHBOARD_PASSWORD``.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_PASSWORD"}
    if password is not None:
        env["DASHBOARD_PASSWORD"] = password
    # This checkout, from whichever folder the server starts in.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    options = dirs.argv("--refresh", "1") if argv is None else argv
    if direct:
        command = [sys.executable, "-m", "streamlit", "run",
                   "backtrader_engine/dashboard/app.py", f"--server.port={port}",
                   "--server.headless=true", "--", *options]
        cwd = ROOT
    else:
        command = [sys.executable, "-m", "backtrader_engine", "panel", "--port", str(port),
                   *options]
    with open(log, "wb") as out:
        panel = subprocess.Popen(command, cwd=cwd, env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, panel, log)
        yield url
    finally:
        panel.terminate()
        try:
            panel.wait(15)
        except subprocess.TimeoutExpired:
            panel.kill()
            panel.wait(15)


def _drive(script: Path, url: str, picture: Path, log: Path, *extra: str,
           env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the playwright *script* on *url* (with *env* added to its environment); what it
    printed (its last line, JSON)."""
    proc = subprocess.run([NODE, str(script), url, str(picture), *extra], cwd=E2E,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CHROMIUM_PATH": CHROMIUM, **(env or {})})
    # The reason is the start of stderr; what was seen so far follows it.
    assert proc.returncode == 0, proc.stderr[:2500] + proc.stdout[-500:] + "\npanel log:\n" + \
        log.read_text(errors="replace")[-3000:]
    seen: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return seen


def test_stop_the_bot_from_the_panel_in_a_real_browser(
        dirs: PanelDirs, tmp_path: Path, playwright_core: Path) -> None:
    bot = start_bot(paper_args(dirs.state), check=paper_command, run_dir=dirs.run)
    assert bot.ready and bot_status(run_dir=dirs.run).running
    log = tmp_path / "panel.log"
    with _panel(dirs, log) as url:
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.unlink(missing_ok=True)
        ARTIFACT.with_name("dashboard_running.png").unlink(missing_ok=True)
        seen = _drive(SCRIPT, url, ARTIFACT, log)
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


def test_live_page_fits_a_1280_screen_and_follows_the_running_bot(
        dirs: PanelDirs, tmp_path: Path, playwright_core: Path) -> None:
    # The bot runs on its own ledger, not the panel's --state (which stays empty).
    bot_state = tmp_path / "bot-state"
    bot = start_bot(paper_args(bot_state), check=paper_command, run_dir=dirs.run)
    assert bot.ready and bot_status(run_dir=dirs.run).running
    log = tmp_path / "panel.log"
    picture = ARTIFACT.with_name("dashboard_1280.png")
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.unlink(missing_ok=True)
    with _panel(dirs, log) as url:
        seen = _drive(LAYOUT_SCRIPT, url, picture, log)
    # The sidebar names the running bot's own state folder, not the panel's default.
    assert seen["state_lines"], "the sidebar names no state folder"
    assert all(line.split(" ", 1)[1].startswith(str(bot_state))
               for line in seen["state_lines"]), seen["state_lines"]
    # Every card value and every cell of both tables was measured, and none is cut.
    assert seen["cards"] == 12, seen
    cells = seen["cells"]
    for name in ("Open positions", "Open orders"):
        assert cells[name]["kind"] == "html" and cells[name]["rows"] > 0, (
            f"{name}: {cells[name]} (a canvas grid's cells cannot be measured)")
    assert seen["truncated"] == [], "\n".join(seen["truncated"])
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


#: What each page must show, by URL path: its key element (a CSS selector), a pattern of its
#: text, whether it holds a drawn chart, and what else must show.
PAGE_CHECKS: dict[str, dict[str, Any]] = {
    "live": {"key": ".st-key-live_equity", "text": "Equity and drawdown", "drawn": True,
             "also": [".st-key-live_rejections_over_time canvas, "
                      ".st-key-live_rejections_over_time svg.marks",
                      '.st-key-live_portfolio_value [data-testid="stMetricValue"]']},
    "strategies": {"key": ".st-key-strategies_pnl", "text": "PnL per strategy", "drawn": True,
                   "also": [".st-key-strategies_table"]},
    "health": {"key": ".st-key-health_disk", "text": "Disk space", "drawn": False,
               "also": [".st-key-health_market_data"]},
    "research": {"key": ".st-key-research_report", "text": "Report", "drawn": False,
                 "also": ['[data-testid="stMetric"]']},
    "config": {"key": ".st-key-config_checks", "text": ".", "drawn": False,
               "also": [".st-key-config_filter input"]},
}
HEADERS = {"live": "Live", "strategies": "Strategies", "health": "System health",
           "research": "Research", "config": "Configuration"}


def _rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _page_specs() -> str:
    from backtrader_engine.dashboard.navigation import PAGES

    assert [p.url_path for p in PAGES] == list(PAGE_CHECKS)  # every page is checked
    return json.dumps([{"path": p.url_path, **PAGE_CHECKS[p.url_path]} for p in PAGES])


def test_every_page_by_its_own_url_in_a_real_browser(
        dirs: PanelDirs, ledger: Path, made_report: Path, made_study: Path, tmp_path: Path,
        playwright_core: Path) -> None:
    import tomllib

    from backtrader_engine.dashboard.launch import STREAMLIT_CONFIG

    # A real replayed session's ledger (no bot running), a backtest report and a study.
    argv = ["--run-dir", str(dirs.run), "--state", str(ledger), "--reports",
            str(made_report.parent), "--studies", str(made_study.parent), "--config-dir",
            str(dirs.configs), "--refresh", "2"]
    shots = ARTIFACT.parent
    shots.mkdir(parents=True, exist_ok=True)
    elsewhere = tmp_path / "elsewhere"  # bte panel started outside the repository
    elsewhere.mkdir()
    log = tmp_path / "panel.log"
    with _panel(dirs, log, cwd=elsewhere, argv=argv) as url:
        seen = _drive(PAGES_SCRIPT, url, shots, log, _page_specs())
    theme = tomllib.loads(STREAMLIT_CONFIG.read_text())["theme"]
    for path, page in seen["pages"].items():
        assert page["path"] == f"/{path}", page
        assert page["exceptions"] == [] and page["not_found"] == 0, page
        assert page["console_errors"] == [], page
        assert page["header"] == HEADERS[path], page
        assert page["colours"]["background"] == _rgb(theme["backgroundColor"]), page
        assert page["colours"]["text"] == _rgb(theme["textColor"]), page
        assert (shots / f"panel_{path}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert seen["root"]["path"] == "/live" and seen["root"]["exceptions"] == []
    snap = read_snapshot(ledger)
    assert fmt.money(snap.portfolio_value) in seen["pages"]["live"]["key_text"] or \
        seen["pages"]["live"]["key_text"].startswith("Equity and drawdown")
    # The same panel served by 'streamlit run' from the repository root looks the same.
    log_direct = tmp_path / "direct.log"
    with _panel(dirs, log_direct, direct=True, argv=argv) as url:
        direct = _drive(PAGES_SCRIPT, url, tmp_path, log_direct, _page_specs())
    for path, page in direct["pages"].items():
        assert page["exceptions"] == [] and page["console_errors"] == [], page
        assert page["colours"] == seen["pages"][path]["colours"], (path, page["colours"])


def test_every_page_by_its_url_asks_for_the_password_first(
        dirs: PanelDirs, ledger: Path, made_report: Path, made_study: Path, tmp_path: Path,
        playwright_core: Path) -> None:
    argv = ["--run-dir", str(dirs.run), "--state", str(ledger), "--reports",
            str(made_report.parent), "--studies", str(made_study.parent), "--config-dir",
            str(dirs.configs)]
    log = tmp_path / "panel.log"
    with _panel(dirs, log, argv=argv, password="open sesame") as url:
        seen = _drive(PAGES_SCRIPT, url, tmp_path, log, _page_specs(),
                      env={"PANEL_PASSWORD": "open sesame"})
    for path, page in seen["pages"].items():
        # Before the password: neither the page, nor the menu, nor the control card.
        assert page["gated"] == {"key": 0, "menu": 0, "start": 0, "path": f"/{path}"}, page
        # After it: the page the link asked for, at its own path.
        assert page["path"] == f"/{path}" and page["header"] == HEADERS[path], page
        assert page["exceptions"] == [] and page["console_errors"] == [], page
    # The root URL asks too, then leads on to /live.
    assert seen["root"]["gated"]["key"] == 0 and seen["root"]["path"] == "/live"
