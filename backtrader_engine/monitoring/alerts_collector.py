"""Telegram counters of the running bot, read from its Telegram service at each scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring.collector import new_family, scalar


class TelegramCollector(Collector):
    """Exports ``TelegramService.stats()`` as the :data:`~.definitions.ALERT_METRICS`.

    Parameters
    ----------
    stats : callable
        Returns the service's counters (``notifier``: ``sent_messages``, ``dropped``;
        ``commands``: ``unauthorised``).
    portfolio : str
        The ``portfolio`` label, as the bot's other metrics carry it.
    """

    def __init__(self, stats: Callable[[], dict[str, Any]], portfolio: str) -> None:
        self._stats = stats
        self._labels = [portfolio, d.ASSET_CLASS]

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        notifier = stats.get("notifier") or {}
        commands = stats.get("commands") or {}
        for metric, value in ((d.TELEGRAM_SENT, notifier.get("sent_messages", 0)),
                              (d.TELEGRAM_DROPPED, notifier.get("dropped", 0)),
                              (d.TELEGRAM_UNAUTHORISED, commands.get("unauthorised", 0))):
            family = scalar(new_family(metric))
            family.add_metric(self._labels, float(value))
            yield family
