"""The Grafana dashboards, built in Python with grafana-foundation-sdk and written as JSON.

Two dashboards read the bot's metrics (:mod:`.definitions`) from the provisioned Prometheus
data source (uid :data:`DATASOURCE_UID`):

* **Trading Dashboard** — six stat panels with green/yellow/red thresholds;
* **Advanced BackTrader Trading Dashboard** — template variables ``portfolio``, ``strategy``
  and ``symbol``, equity curve, drawdown, trades, signal outcomes, latency and feed health.

Thresholds come from the configuration (drawdown levels from ``alert_config.json``, the
starting cash and signal caps from ``risk_config.json``), so the dashboards and the alert rules
agree. The JSON is committed under ``monitoring/grafana/dashboards``; ``python -m
backtrader_engine grafana --check`` (and a test) prove it matches this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard, piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import piechart as pm

from backtrader_engine.config import AppConfig

DATASOURCE_UID = "prometheus"
BASIC_UID = "bt-trading"
ADVANCED_UID = "bt-trading-advanced"
FILES = {BASIC_UID: "trading_dashboard.json", ADVANCED_UID: "advanced_trading_dashboard.json"}

_DS = dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
#: Series selector of the advanced dashboard's variables, for per sub-account metrics.
_ACCOUNT = 'portfolio=~"$portfolio", strategy=~"$strategy", symbol=~"$symbol"'
_PORTFOLIO = 'portfolio=~"$portfolio"'


@dataclass(frozen=True)
class Thresholds:
    """Where the panels turn yellow and red."""

    initial_cash: float = 10_000.0
    drawdown_warning_pct: float = 5.0
    drawdown_critical_pct: float = 8.0
    signals_per_hour: int = 15
    no_data_seconds: float = 120.0

    @classmethod
    def from_config(cls, config: AppConfig) -> Thresholds:
        """The thresholds of a loaded configuration."""
        alerts = config.alerts.alerts
        return cls(config.risk.initial_cash, alerts.drawdown_warning_pct,
                   alerts.drawdown_critical_pct, config.risk.max_signals_per_hour,
                   alerts.no_data_seconds)


def _last_value() -> cb.ReduceDataOptions:
    return cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def _dashed() -> cb.GraphThresholdsStyleConfig:
    return cb.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED)


def _steps(base: str, *steps: tuple[float, str]) -> dashboard.ThresholdsConfig:
    return (dashboard.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE)
            .steps([dm.Threshold(value=None, color=base),
                    *(dm.Threshold(value=v, color=c) for v, c in steps)]))


def _query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).ref_id(ref)
    return q.legend_format(legend) if legend else q


def _stat(title: str, expr: str, unit: str, thresholds: dashboard.ThresholdsConfig,
          description: str, *, decimals: int | None = None) -> stat.Panel:
    panel = (stat.Panel().title(title).description(description).datasource(_DS).unit(unit)
             .with_target(_query(expr))
             .thresholds(thresholds).color_mode(cm.BigValueColorMode.BACKGROUND)
             .graph_mode(cm.BigValueGraphMode.AREA)
             .reduce_options(_last_value()))
    return panel.decimals(decimals) if decimals is not None else panel


def _timeseries(title: str, unit: str, description: str,
                *targets: prometheus.Dataquery) -> timeseries.Panel:
    panel = (timeseries.Panel().title(title).description(description).datasource(_DS)
             .unit(unit).line_width(1).fill_opacity(10))
    for target in targets:
        panel = panel.with_target(target)
    return panel


def _place(board: dashboard.Dashboard, panels: Iterable[tuple[Any, int, int]]) -> None:
    """Lay out *panels* (panel, width, height) left to right in rows of 24 columns."""
    x = y = row_height = 0
    for number, (panel, width, height) in enumerate(panels, start=1):
        if x + width > 24:
            x, y, row_height = 0, y + row_height, 0
        board.with_panel(panel.id(number).grid_pos(dm.GridPos(h=height, w=width, x=x, y=y)))
        x += width
        row_height = max(row_height, height)


def _board(uid: str, title: str, description: str) -> dashboard.Dashboard:
    return (dashboard.Dashboard(title).uid(uid).description(description)
            .tags(["backtrader", "paper-trading"]).refresh("10s").time("now-6h", "now")
            .timezone("browser").editable())


def trading_dashboard(t: Thresholds) -> dict[str, Any]:
    """The basic "Trading Dashboard": six stat panels over every portfolio."""
    cash = t.initial_cash
    board = _board(BASIC_UID, "Trading Dashboard",
                   "Key figures of the paper bot at a glance (all portfolios together).")
    win = 'sum(bt_trades_closed_total{result="win"}) / sum(bt_trades_closed_total)'
    _place(board, [
        (_stat("Portfolio value", "sum(bt_portfolio_value)", "currencyUSD",
               _steps("red", (cash * (1 - t.drawdown_warning_pct / 100), "yellow"),
                      (cash, "green")),
               f"Sum of every sub-account's value; yellow below the starting {cash:g} USDT, "
               f"red more than {t.drawdown_warning_pct:g}% below it.", decimals=2), 4, 5),
        (_stat("Drawdown", "max(bt_portfolio_drawdown_percent)", "percent",
               _steps("green", (t.drawdown_warning_pct, "yellow"),
                      (t.drawdown_critical_pct, "red")),
               "Portfolio equity below its peak; the colours are the alert levels of "
               "alert_config.json.", decimals=2), 4, 5),
        (_stat("Win rate", win, "percentunit",
               _steps("red", (0.4, "yellow"), (0.5, "green")),
               "Share of closed round trips that won.", decimals=1), 4, 5),
        (_stat("Trades", "sum(bt_trades_closed_total)", "none",
               _steps("red", (1, "yellow"), (10, "green")),
               "Closed round trips; red before the first, green from 10 on."), 4, 5),
        (_stat("Signals executed", "sum(paper_signals_executed_total)", "none",
               _steps("red", (1, "yellow"), (5, "green")),
               "Signals that passed the risk gate and were filled."), 4, 5),
        (_stat("Signals rejected (1h)", "sum(increase(paper_signals_rejected_total[1h]))",
               "none", _steps("green", (t.signals_per_hour / 3, "yellow"),
                              (t.signals_per_hour, "red")),
               "Signals refused in the last hour; red at the risk gate's hourly signal cap.",
               decimals=0), 4, 5),
    ])
    return _encode(board)


def _variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    return (dashboard.QueryVariable(name).label(label).datasource(_DS).query(query)
            .multi(True).include_all(True).all_value(".*")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC))


def advanced_dashboard(t: Thresholds) -> dict[str, Any]:
    """The "Advanced BackTrader Trading Dashboard", filtered by portfolio/strategy/symbol."""
    board = _board(ADVANCED_UID, "Advanced BackTrader Trading Dashboard",
                   "Equity, drawdown, trades, signals, latency and feed health of the paper "
                   "bot, by portfolio, strategy and symbol.")
    board.with_variable(_variable("portfolio", "Portfolio",
                                  "label_values(bt_portfolio_value, portfolio)"))
    board.with_variable(_variable("strategy", "Strategy",
                                  f"label_values(bt_portfolio_value{{{_PORTFOLIO}}}, strategy)"))
    board.with_variable(_variable(
        "symbol", "Symbol", 'label_values(bt_portfolio_value{portfolio=~"$portfolio", '
                            'strategy=~"$strategy"}, symbol)'))
    closed = f"bt_trades_closed_total{{{_ACCOUNT}}}"
    rate = "$__rate_interval"
    _place(board, [
        (_timeseries("Equity curve", "currencyUSD", "Value of the selected sub-accounts "
                     "together, per portfolio.",
                     _query(f"sum by (portfolio) (bt_portfolio_value{{{_ACCOUNT}}})",
                            "{{portfolio}}")), 16, 8),
        (_stat("Portfolio value", f"sum(bt_portfolio_value{{{_ACCOUNT}}})", "currencyUSD",
               _steps("red", (t.initial_cash * (1 - t.drawdown_warning_pct / 100), "yellow"),
                      (t.initial_cash, "green")),
               "Value of the selected sub-accounts.", decimals=2), 8, 8),
        (_timeseries("Drawdown", "percent", "Each sub-account below its peak, and the "
                     "portfolio (what the alerts watch).",
                     _query(f"bt_drawdown_percent{{{_ACCOUNT}}}", "{{strategy}} {{symbol}}"),
                     _query(f"bt_portfolio_drawdown_percent{{{_PORTFOLIO}}}",
                            "portfolio {{portfolio}}", "B"))
         .thresholds(_steps("green", (t.drawdown_warning_pct, "yellow"),
                            (t.drawdown_critical_pct, "red")))
         .thresholds_style(_dashed()), 12, 8),
        (_stat("Win rate", f'sum({closed[:-1]}, result="win"}}) / sum({closed})',
               "percentunit", _steps("red", (0.4, "yellow"), (0.5, "green")),
               "Share of the selected closed round trips that won.", decimals=1), 4, 8),
        (_stat("Total trades", f"sum({closed})", "none",
               _steps("red", (1, "yellow"), (10, "green")),
               "Closed round trips of the selected sub-accounts."), 4, 8),
        (piechart.Panel().title("Wins and losses").description(
            "Closed round trips by result.").datasource(_DS).unit("none")
         .with_target(_query(f"sum by (result) ({closed})", "{{result}}").instant())
         .pie_type(pm.PieChartType.DONUT).reduce_options(_last_value()), 4, 8),
        (_timeseries("Trades over time", "none", "Round trips closed per interval, by "
                     "strategy and symbol.",
                     _query(f"sum by (strategy, symbol) (increase({closed}[{rate}]))",
                            "{{strategy}} {{symbol}}"))
         .draw_style(cm.GraphDrawStyle.BARS), 12, 8),
        (_timeseries("Signal outcomes", "none", "Signals generated, executed and rejected "
                     "(by reason) per interval, and orders the broker refused or let expire "
                     "(by reason).",
                     _query(f"sum(increase(paper_signals_generated_total{{{_ACCOUNT}}}"
                            f"[{rate}]))", "generated"),
                     _query(f"sum(increase(paper_signals_executed_total{{{_ACCOUNT}}}"
                            f"[{rate}]))", "executed", "B"),
                     _query(f"sum by (reason) (increase(paper_signals_rejected_total"
                            f"{{{_ACCOUNT}}}[{rate}]))", "rejected: {{reason}}", "C"),
                     _query(f"sum by (reason) (increase(paper_orders_rejected_total"
                            f"{{{_ACCOUNT}}}[{rate}])) > 0", "orders refused: {{reason}}",
                            "D")), 12, 8),
        (_timeseries("Order-to-fill latency", "s", "From a bar being logged to its fill being "
                     "recorded: median and 99th percentile.",
                     _query("histogram_quantile(0.5, sum by (le) (rate("
                            f"bt_order_fill_latency_seconds_bucket{{{_PORTFOLIO}}}[{rate}])))",
                            "p50"),
                     _query("histogram_quantile(0.99, sum by (le) (rate("
                            f"bt_order_fill_latency_seconds_bucket{{{_PORTFOLIO}}}[{rate}])))",
                            "p99", "B")), 12, 8),
        (_timeseries("PnL", "currencyUSD", "Realised and unrealised PnL of the selected "
                     "sub-accounts; fees and net funding paid.",
                     _query(f"sum(bt_realised_pnl{{{_ACCOUNT}}})", "realised"),
                     _query(f"sum(bt_unrealised_pnl{{{_ACCOUNT}}})", "unrealised", "B"),
                     _query(f"sum(bt_fees_paid_total{{{_ACCOUNT}}})", "fees", "C"),
                     _query(f"sum(bt_funding_paid{{{_ACCOUNT}}})", "funding", "D")), 12, 8),
        (_timeseries("Positions", "none", "Open position per sub-account, in contracts "
                     "(negative: short).",
                     _query(f"bt_position_size{{{_ACCOUNT}}}", "{{strategy}} {{symbol}}")),
         12, 8),
        (_timeseries("Market data staleness", "s", "Seconds since the stream's last message; "
                     "the alert fires above the no-data limit.",
                     _query(f"bt_market_data_staleness_seconds{{{_PORTFOLIO}}}",
                            "{{portfolio}}"))
         .thresholds(_steps("green", (t.no_data_seconds / 2, "yellow"),
                            (t.no_data_seconds, "red")))
         .thresholds_style(_dashed()), 12, 8),
        (_timeseries("Feed and risk health", "none", "Open circuit breakers, stream "
                     "reconnects and malformed messages per interval, errors logged.",
                     _query(f"bt_risk_breaker_open{{{_PORTFOLIO}}} == 1",
                            "breaker {{breaker}} open"),
                     _query(f"increase(bt_websocket_reconnects_total{{{_PORTFOLIO}}}[{rate}])",
                            "reconnects", "B"),
                     _query("increase(bt_websocket_malformed_messages_total"
                            f"{{{_PORTFOLIO}}}[{rate}])", "malformed", "C"),
                     _query(f"increase(bt_log_errors_total{{{_PORTFOLIO}}}[{rate}])",
                            "errors logged", "D")), 24, 8),
    ])
    return _encode(board)


def _encode(board: dashboard.Dashboard) -> dict[str, Any]:
    built: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return built


def build_dashboards(thresholds: Thresholds | None = None) -> dict[str, dict[str, Any]]:
    """File name → dashboard JSON of both dashboards."""
    t = thresholds or Thresholds()
    return {FILES[BASIC_UID]: trading_dashboard(t), FILES[ADVANCED_UID]: advanced_dashboard(t)}


def render(board: dict[str, Any]) -> str:
    """The committed text of a dashboard: sorted keys, two-space indent, final newline."""
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


def write_dashboards(out: Path, thresholds: Thresholds | None = None) -> list[Path]:
    """Write both dashboards into *out*; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, board in build_dashboards(thresholds).items():
        path = out / name
        path.write_text(render(board), encoding="utf-8")
        written.append(path)
    return written


def check_dashboards(out: Path, thresholds: Thresholds | None = None) -> list[str]:
    """Names of the dashboards in *out* that are missing or differ from the generated ones."""
    stale = []
    for name, board in build_dashboards(thresholds).items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != render(board):
            stale.append(name)
    return stale
