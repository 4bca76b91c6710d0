"""Prometheus metrics of the paper bot and of Optuna studies, and the Grafana dashboards.

* :mod:`.definitions` — every metric's name, type, help and labels (one module);
* :mod:`.collector` — the bot's metrics, read at scrape time from the ledger and live session;
* :mod:`.exporter` — ``start_exporter(state_dir, host, port)``: the bot's ``/metrics``;
* :mod:`.studies` — trials and best values of every study in an Optuna storage;
* :mod:`.dashboards` — the Grafana dashboards, generated as JSON.
"""

from backtrader_engine.monitoring.exporter import MetricsServer, start_exporter

__all__ = ["MetricsServer", "start_exporter"]
