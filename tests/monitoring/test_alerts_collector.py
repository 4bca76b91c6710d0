"""Telegram counters on the bot's /metrics page."""

from __future__ import annotations

from pathlib import Path
from urllib.request import urlopen

from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring import start_exporter
from backtrader_engine.monitoring.alerts_collector import TelegramCollector


def test_telegram_counters_are_served_with_the_portfolio_label(tmp_path: Path) -> None:
    stats = {"notifier": {"sent_messages": 7, "dropped": 2}, "commands": {"unauthorised": 1}}
    with start_exporter(tmp_path / "paper", port=0, read_snapshot=lambda _: None,
                        live_status=lambda _: None) as server:
        server.registry.register(TelegramCollector(lambda: stats, "paper"))
        page = urlopen(server.url, timeout=5).read().decode()
    labels = f'{{asset_class="{d.ASSET_CLASS}",portfolio="paper"}}'
    assert f"telegram_messages_sent_total{labels} 7.0" in page
    assert f"telegram_messages_dropped_total{labels} 2.0" in page
    assert f"telegram_unauthorised_commands_total{labels} 1.0" in page


def test_a_service_without_commands_reports_zero_unauthorised() -> None:
    families = list(TelegramCollector(lambda: {"notifier": {"sent_messages": 1}}, "p").collect())
    values = {f.name: f.samples[0].value for f in families}
    assert values == {"telegram_messages_sent": 1.0, "telegram_messages_dropped": 0.0,
                      "telegram_unauthorised_commands": 0.0}
