"""monitoring/alertmanager/: the rendered config, its routes, and alerts that reach Telegram.

The end-to-end test runs the real thing on loopback: a paper bot on the replay, Debian's
Prometheus with the shipped rules sending to Debian's Alertmanager with the shipped config
(rendered by the shipped script), and a fake Telegram Bot API server. The bot is stopped, so
``BotDown`` fires after its ``for: 1m`` and must arrive as a Telegram message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ..telegram.conftest import FakeBotApi
from .conftest import CONFIGS, MONITORING, ROOT, free_port, scrape
from .processes import Process, api, poll

ALERTMANAGER = MONITORING / "alertmanager"
TEMPLATE = ALERTMANAGER / "alertmanager.yml.in"
TOKEN = "123456:TEST-token_for_alerts"
CHAT = "-1001234"


def render(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the shipped render script with *env* as the whole Telegram environment."""
    base = {"PATH": os.environ["PATH"], "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": CHAT}
    return subprocess.run(["sh", str(ALERTMANAGER / "render-config.sh"), str(TEMPLATE),
                           str(out)], capture_output=True, text=True, env={**base, **env},
                          timeout=30)


def test_render_fills_the_settings_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "alertmanager.yml"
    done = render(out, TELEGRAM_API_URL="http://127.0.0.1:9/")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600  # it holds the token
    config = yaml.safe_load(out.read_text())
    (telegram,) = next(r for r in config["receivers"] if r["name"] == "telegram")[
        "telegram_configs"]
    assert telegram["bot_token"] == TOKEN and telegram["chat_id"] == int(CHAT)
    assert telegram["api_url"] == "http://127.0.0.1:9"
    assert config["templates"] == [f"{ALERTMANAGER}/telegram.tmpl"]
    assert not re.search(r"@[A-Z_]+@", out.read_text())  # no placeholder left
    # The committed template holds no secret: only placeholders.
    assert TOKEN not in TEMPLATE.read_text() and "@TELEGRAM_BOT_TOKEN@" in TEMPLATE.read_text()


@pytest.mark.parametrize(("env", "message"), [
    ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN is not set or not a bot token"),
    ({"TELEGRAM_BOT_TOKEN": "abc|def"}, "TELEGRAM_BOT_TOKEN is not set or not a bot token"),
    ({"TELEGRAM_CHAT_ID": "@mychannel"}, "TELEGRAM_CHAT_ID is '@mychannel'; expected a numeric"),
    ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL is 'ftp://x'; expected an http(s) URL"),
    ({"ANNOUNCED_BY_BOT": "both"}, "ANNOUNCED_BY_BOT is 'both'; expected silent or telegram"),
])
def test_render_refuses_bad_settings_in_one_line(tmp_path: Path, env: dict[str, str],
                                                 message: str) -> None:
    done = render(tmp_path / "alertmanager.yml", **env)
    assert done.returncode == 2
    assert done.stderr.startswith(f"alertmanager config: {message}")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "alertmanager.yml").exists()


def _amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.skip("amtool not installed (Debian package 'prometheus-alertmanager'; .ci/run "
                    "installs it)")
    return path


@pytest.mark.integration
def test_amtool_accepts_the_rendered_config(tmp_path: Path) -> None:
    for announced in ("silent", "telegram"):
        out = tmp_path / f"{announced}.yml"
        assert render(out, ANNOUNCED_BY_BOT=announced).returncode == 0
        done = subprocess.run([_amtool(), "check-config", str(out)], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


def _receiver(config: Path, **labels: str) -> str:
    done = subprocess.run([_amtool(), "config", "routes", "test", f"--config.file={config}",
                           *(f"{k}={v}" for k, v in labels.items())],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.integration
def test_routes_send_what_the_bot_cannot_and_drop_what_it_already_sent(tmp_path: Path
                                                                       ) -> None:
    silent, loud = tmp_path / "silent.yml", tmp_path / "telegram.yml"
    assert render(silent).returncode == 0
    assert render(loud, ANNOUNCED_BY_BOT="telegram").returncode == 0
    rules = yaml.safe_load((MONITORING / "alert_rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            labels = {"alertname": rule["alert"], **rule["labels"]}
            announced = rule["labels"].get("announced_by_bot") == "yes"
            assert _receiver(silent, **labels) == ("silent" if announced else "telegram")
            assert _receiver(loud, **labels) == "telegram"
    # What the bot cannot say itself goes out: it is down, or its session does not answer.
    announced_by_bot = {r["alert"] for g in rules["groups"] for r in g["rules"]
                        if r["labels"].get("announced_by_bot") == "yes"}
    assert announced_by_bot == {"DrawdownWarning", "DrawdownCritical", "MarketDataStale",
                                "HighErrorRate", "RiskBreakerOpen"}


def test_inhibitions_name_real_alerts_and_shared_labels() -> None:
    config = yaml.safe_load(TEMPLATE.read_text().replace("@TELEGRAM_CHAT_ID@", "1"))
    rules = {r["alert"]: r for g in yaml.safe_load(
        (MONITORING / "alert_rules.yml").read_text())["groups"] for r in g["rules"]}
    bot_down, drawdown = config["inhibit_rules"]
    assert bot_down["source_matchers"] == ['alertname="BotDown"']
    stale = bot_down["target_matchers"][0].split('"')[1].split("|")
    assert set(stale) <= set(rules) and "MarketDataStale" in stale
    # BotDown keeps only the job label (max by (job)), so that is what both sides share.
    assert bot_down["equal"] == ["job"] and "max by (job)" in rules["BotDown"]["expr"]
    assert drawdown["equal"] == ["portfolio"] and {"DrawdownCritical", "DrawdownWarning"} <= set(
        rules)


@pytest.fixture
def telegram() -> Iterator[FakeBotApi]:
    server = FakeBotApi(TOKEN)
    yield server
    server.stop()


@pytest.fixture
def alertmanager(tmp_path: Path, telegram: FakeBotApi) -> Iterator[str]:
    """Debian's Alertmanager with the shipped config, sending to the fake Bot API."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.skip("alertmanager not installed (Debian package 'prometheus-alertmanager'; "
                    ".ci/run installs it)")
    rendered = tmp_path / "alertmanager.yml"
    assert render(rendered, TELEGRAM_API_URL=telegram.base_url).returncode == 0
    # The shipped routing, with waits a test can afford.
    config = yaml.safe_load(rendered.read_text())
    config["route"].update(group_wait="1s", group_interval="1s")
    rendered.write_text(yaml.safe_dump(config))
    port = free_port()
    proc = Process.start([binary, f"--config.file={rendered}",
                          f"--storage.path={tmp_path / 'am-data'}",
                          f"--web.listen-address=127.0.0.1:{port}",
                          "--cluster.listen-address=", "--log.level=warn"])
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: scrape(f"{base}/-/ready", timeout=2), 30, "Alertmanager to be ready")
        yield base
    finally:
        assert proc.stop() == 0


@pytest.mark.integration
def test_a_stopped_bot_reaches_telegram_through_prometheus_and_alertmanager(
        tmp_path: Path, telegram: FakeBotApi, alertmanager: str) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed (Debian package 'prometheus'; .ci/run installs "
                    "it)")
    bot = Process.start(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", str(CONFIGS),
         "--source", "replay", "--replay-speed", "7200", "--state", str(tmp_path / "itest"),
         "--metrics-port", "0", "--status-every", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = bot.wait_for_line("metrics on ", 90).split()[-1]
        shutil.copy(MONITORING / "alert_rules.yml", tmp_path / "alert_rules.yml")
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                             "evaluation_interval": "1s"},
                  "rule_files": ["alert_rules.yml"],
                  "alerting": {"alertmanagers": [{"static_configs": [
                      {"targets": [urllib.parse.urlparse(alertmanager).netloc]}]}]},
                  "scrape_configs": [{"job_name": "backtrader-bot", "static_configs": [
                      {"targets": [urllib.parse.urlparse(url).netloc]}]}]}
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        prometheus = Process.start([binary, f"--config.file={tmp_path / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                    f"--web.listen-address=127.0.0.1:{port}",
                                    "--log.level=warn"])
        base = f"http://127.0.0.1:{port}"
        try:
            def bot_up() -> bool:
                result = api(base, "/api/v1/query", query='up{job="backtrader-bot"}')
                return [r["value"][1] for r in result["data"]["result"]] == ["1"]

            poll(bot_up, 60, "Prometheus to scrape the running bot")
            assert not telegram.sent()  # nothing fires while the bot runs
            assert bot.stop() == 0
            # BotDown: pending for its 1 minute, then firing, then grouped and sent.
            poll(lambda: telegram.sent(), 150, "the BotDown message at the fake Telegram")
        finally:
            assert prometheus.stop() == 0
    finally:
        bot.stop()
    (call,) = telegram.sent()[:1]
    assert call.token == TOKEN and call.params["chat_id"] == CHAT
    assert call.params["parse_mode"] == "HTML"
    text = call.params["text"]
    assert "<b>BotDown</b> firing (critical)" in text
    assert "No paper bot answers on its metrics endpoint" in text
