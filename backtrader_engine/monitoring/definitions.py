"""Every metric the bot and the study exporter publish: name, type, help and labels.

This module is the single source of truth: the collectors build their families from these
definitions, the dashboards and alert rules are checked against them, and ``docs/monitoring.md``
lists them. Names follow Prometheus conventions: a counter's family name has no ``_total``
(prometheus_client appends it on the wire), units are base units (seconds, USDT, ratios), and
the seed system's names (``bt_portfolio_value``, ``paper_signals_executed_total``, ...) are kept.

Label values are never secrets: ``portfolio`` is the session's state-folder name (or a name the
operator chose), ``asset_class`` is the constant :data:`ASSET_CLASS`, ``strategy`` the strategy
class name, ``symbol`` the traded symbol; the remaining labels hold fixed vocabularies (rejection
reason codes, breaker names, trial states, ``win``/``loss``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backtrader_engine.engine.rejections import KNOWN_REASONS
from backtrader_engine.risk.breakers import BREAKER_NAMES
from backtrader_engine.risk.reasons import signal_rejection_reasons

MetricKind = Literal["gauge", "counter", "histogram", "info"]

#: Every paper sub-account trades a linear perpetual future.
ASSET_CLASS = "crypto_perp"

#: Labels of figures that belong to the whole session.
PORTFOLIO_LABELS: tuple[str, ...] = ("portfolio", "asset_class")
#: Labels of figures of one sub-account (one strategy on one symbol).
ACCOUNT_LABELS: tuple[str, ...] = (*PORTFOLIO_LABELS, "strategy", "symbol")

#: Order-to-fill latency buckets (seconds): a book fill happens while the strategy handles the
#: bar, so most land in the millisecond buckets; the long tail shows a stalled account thread.
LATENCY_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                      0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class MetricDef:
    """One metric family.

    Parameters
    ----------
    name : str
        Family name; for a counter without the ``_total`` suffix, for an info metric without
        ``_info`` (prometheus_client adds both on the wire).
    kind : {"gauge", "counter", "histogram", "info"}
        Prometheus type.
    help : str
        The ``# HELP`` text, including the unit.
    labels : tuple of str
        Label names, in order.
    buckets : tuple of float
        Upper bounds of a histogram's buckets (``+Inf`` is implied).
    """

    name: str
    kind: MetricKind
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()

    @property
    def series_names(self) -> tuple[str, ...]:
        """Names of the series on the wire (what PromQL selects)."""
        if self.kind == "counter":
            return (f"{self.name}_total",)
        if self.kind == "info":
            return (f"{self.name}_info",)
        if self.kind == "histogram":
            return tuple(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return (self.name,)


def _account(name: str, kind: MetricKind, help_: str, *extra: str) -> MetricDef:
    return MetricDef(name, kind, help_, (*ACCOUNT_LABELS, *extra))


def _portfolio(name: str, kind: MetricKind, help_: str, *extra: str,
               buckets: tuple[float, ...] = ()) -> MetricDef:
    return MetricDef(name, kind, help_, (*PORTFOLIO_LABELS, *extra), buckets)


# --- per sub-account (the seed system's names first) -------------------------------------------
PORTFOLIO_VALUE = _account(
    "bt_portfolio_value", "gauge",
    "Sub-account value: cash plus unrealised PnL, USDT. sum() over a portfolio is its equity.")
DRAWDOWN_PERCENT = _account(
    "bt_drawdown_percent", "gauge",
    "Sub-account value below its running peak, percent (0 at a new high).")
WIN_RATE = _account(
    "bt_win_rate", "gauge",
    "Share of closed round trips won (net PnL after fees and funding above zero), 0 to 1; "
    "NaN before the first closed trip (bt_trades_closed_total is then 0).")
TRADES_CLOSED = _account(
    "bt_trades_closed", "counter",
    "Closed round trips by result: win (net PnL after fees and funding above zero) or loss.",
    "result")
SIGNALS_GENERATED = _account(
    "paper_signals_generated", "counter", "Entry signals the strategies generated.")
SIGNALS_EXECUTED = _account(
    "paper_signals_executed", "counter", "Signals that passed the risk gate and were filled.")
SIGNALS_REJECTED = _account(
    "paper_signals_rejected", "counter",
    "Signals refused, by reason code (risk gate codes, warmup, Margin, ...).", "reason")
ORDERS_REJECTED = _account(
    "paper_orders_rejected", "counter",
    "Orders refused or expired unfilled, by reason code (margin, expired, rejected, lot rules, "
    "warmup, entries_paused, trading_paused, risk gate codes).", "reason")
ORDERS_RESIZED = _account(
    "paper_orders_resized", "counter",
    "Orders accepted at a smaller size than asked: rounded down to the venue's lot step.")
INITIAL_CASH = _account(
    "bt_initial_cash", "gauge", "Cash the sub-account started with, USDT.")
REALISED_PNL = _account(
    "bt_realised_pnl", "gauge",
    "Net PnL of the closed round trips (fees and funding included), USDT.")
UNREALISED_PNL = _account(
    "bt_unrealised_pnl", "gauge",
    "Net PnL of the open round trip at the last mark (its fees, funding and partial closes "
    "included), USDT.")
POSITION_SIZE = _account(
    "bt_position_size", "gauge", "Open position in contracts; negative when short.")
FEES_PAID = _account(
    "bt_fees_paid", "counter", "Trading fees paid, USDT.")
FUNDING_PAID = _account(
    "bt_funding_paid", "gauge",
    "Net funding paid, USDT; negative when the position received more than it paid.")

# --- per session --------------------------------------------------------------------------------
EQUITY = _portfolio(
    "bt_equity", "gauge", "Portfolio equity: the value of every sub-account together, USDT.")
PORTFOLIO_DRAWDOWN = _portfolio(
    "bt_portfolio_drawdown_percent", "gauge",
    "Portfolio equity below its running peak, percent (what the risk gate's drawdown stop "
    "watches).")
FILL_LATENCY = _portfolio(
    "bt_order_fill_latency_seconds", "histogram",
    "Wall seconds from the fill's bar being logged to the fill being recorded.",
    buckets=LATENCY_BUCKETS)
STALENESS = _portfolio(
    "bt_market_data_staleness_seconds", "gauge",
    "Seconds since the market-data stream's last message (any topic).")
BAR_AGE = _portfolio(
    "bt_last_bar_age_seconds", "gauge",
    "Seconds since the newest bar of a stream was logged.", "symbol", "interval")
WS_RECONNECTS = _portfolio(
    "bt_websocket_reconnects", "counter",
    "WebSocket reconnects of the market-data stream since the bot started.")
WS_MALFORMED = _portfolio(
    "bt_websocket_malformed_messages", "counter",
    "Malformed stream messages counted and skipped since the bot started.")
BREAKER_OPEN = _portfolio(
    "bt_risk_breaker_open", "gauge",
    "Risk circuit breaker state: 1 open (new entries blocked), 0 closed.", "breaker")
BREAKER_TRIPS = _portfolio(
    "bt_risk_breaker_trips", "counter", "Times a risk circuit breaker tripped.", "breaker")
BREAKER_HALTED = _portfolio(
    "bt_risk_breaker_halted_seconds", "counter",
    "Market-time seconds a risk circuit breaker has kept new entries blocked, whatever its "
    "mode (cooldown, daily, halt).", "breaker")
ENTRIES_PAUSED = _portfolio(
    "bt_entries_paused", "gauge",
    "1 while new entries are paused by an operator (/stopentry or /stop), else 0.")
TRADING_PAUSED = _portfolio(
    "bt_trading_paused", "gauge",
    "1 while trading is paused by an operator (/stop: every strategy order refused, open "
    "positions kept), else 0.")
UPTIME = _portfolio(
    "bt_process_uptime_seconds", "gauge", "Seconds since the bot process started.")
SESSION_UP = _portfolio(
    "bt_session_up", "gauge",
    "1 when the paper session answers on its control channel, 0 otherwise.")
BOT_INFO = _portfolio(
    "bt_bot", "info", "The bot's version and fill model.", "version", "fill_model")
LOG_ERRORS = _portfolio(
    "bt_log_errors", "counter", "Log records at ERROR or above since the bot started.")
SCRAPE_ERRORS = _portfolio(
    "bt_scrape_errors", "counter",
    "Failed reads of a source (ledger or live_status) while serving metrics.", "source")
SCRAPE_ERROR = _portfolio(
    "bt_scrape_error", "gauge", "1 when this scrape's read of the source failed, else 0.",
    "source")

BOT_METRICS: tuple[MetricDef, ...] = (
    PORTFOLIO_VALUE, DRAWDOWN_PERCENT, WIN_RATE, TRADES_CLOSED, SIGNALS_GENERATED,
    SIGNALS_EXECUTED, SIGNALS_REJECTED, ORDERS_REJECTED, ORDERS_RESIZED, INITIAL_CASH,
    REALISED_PNL,
    UNREALISED_PNL, POSITION_SIZE, FEES_PAID, FUNDING_PAID, EQUITY, PORTFOLIO_DRAWDOWN,
    FILL_LATENCY,
    STALENESS, BAR_AGE, WS_RECONNECTS, WS_MALFORMED, BREAKER_OPEN, BREAKER_TRIPS,
    BREAKER_HALTED, ENTRIES_PAUSED, TRADING_PAUSED, UPTIME,
    SESSION_UP, BOT_INFO, LOG_ERRORS, SCRAPE_ERRORS, SCRAPE_ERROR,
)

# --- Telegram alerts (served by the bot when its Telegram service runs) ------------------------
TELEGRAM_SENT = _portfolio(
    "telegram_messages_sent", "counter",
    "Telegram messages sent (a burst of alerts may share one message).")
TELEGRAM_DROPPED = _portfolio(
    "telegram_messages_dropped", "counter",
    "Alerts not delivered to a chat: its queue was full or Telegram kept failing.")
TELEGRAM_UNAUTHORISED = _portfolio(
    "telegram_unauthorised_commands", "counter",
    "Commands from chats or users not allowed to command the bot (ignored).")

ALERT_METRICS: tuple[MetricDef, ...] = (TELEGRAM_SENT, TELEGRAM_DROPPED, TELEGRAM_UNAUTHORISED)

# --- Optuna studies (the study exporter) --------------------------------------------------------
STUDY_TRIALS = MetricDef(
    "optuna_study_trials", "gauge", "Trials of a study by state (complete, pruned, fail, "
    "running, waiting).", ("study", "state"))
STUDY_BEST = MetricDef(
    "optuna_study_best_value", "gauge",
    "Best objective value of a single-objective study; absent before its first complete "
    "trial.", ("study", "direction"))
STUDY_SCRAPE_ERRORS = MetricDef(
    "optuna_scrape_errors", "counter", "Failed reads of the study storage.", ())

STUDY_METRICS: tuple[MetricDef, ...] = (STUDY_TRIALS, STUDY_BEST, STUDY_SCRAPE_ERRORS)

#: Source names of :data:`SCRAPE_ERRORS`.
SOURCES: tuple[str, ...] = ("ledger", "live_status")

#: Reasons of :data:`ORDERS_REJECTED` exported for every sub-account from the first scrape,
#: as 0 until one occurs (so ``increase()`` sees the first refusal): the codes of
#: :mod:`backtrader_engine.engine.rejections` that any paper session can produce. Risk gate
#: codes appear as they occur.
ORDER_REJECTION_REASONS: tuple[str, ...] = KNOWN_REASONS

#: Breakers of :data:`BREAKER_OPEN`, :data:`BREAKER_TRIPS` and :data:`BREAKER_HALTED`, exported
#: as 0 from the first scrape of a running session (also one without the risk gate), so
#: ``increase()`` sees the first trip.
BREAKERS: tuple[str, ...] = BREAKER_NAMES

#: Reasons of :data:`SIGNALS_REJECTED` exported for every sub-account from the first scrape,
#: as 0 until one occurs: every risk gate code (:mod:`backtrader_engine.risk.reasons`), the
#: ``breaker:<name>`` code of each of :data:`BREAKERS`, the broker's ``broker:margin`` and
#: ``broker:rejected``, and the reasons a paper broker refuses an order with (``warmup``, the
#: venue's lot rules). Any other code still appears as it occurs.
SIGNAL_REJECTION_REASONS: tuple[str, ...] = signal_rejection_reasons(
    BREAKERS, tuple(r for r in KNOWN_REASONS if r not in ("margin", "expired", "rejected")))


def series_names(metrics: tuple[MetricDef, ...] = BOT_METRICS) -> frozenset[str]:
    """Every series name *metrics* put on the wire."""
    return frozenset(name for m in metrics for name in m.series_names)


def portfolio_name(state_dir: Path | str, configured: str | None = None) -> str:
    """The ``portfolio`` label: *configured* if given, else the state folder's name.

    ``state/paper`` gives ``paper``; a relative ``.`` resolves to the folder's real name.
    """
    if configured:
        return configured
    path = Path(state_dir)
    return path.name or path.resolve().name
