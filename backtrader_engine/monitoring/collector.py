"""The bot's metrics, computed at scrape time from the ledger and the live session.

:class:`SessionCollector` is a prometheus_client custom collector: every scrape reads
``read_snapshot(state_dir)`` (the paper ledger, read-only) and ``live_status(state_dir)`` (the
running session's control channel) and turns them into the families of
:mod:`.definitions`. Nothing is kept between scrapes except the error counters, so there is no
second copy of the state to drift from the ledger. Counters derived from the ledger (trades,
signals, fees) are monotonic because the ledger only grows; the stream counters come from the
live session and restart with it, which Prometheus' ``rate`` handles.

The order-to-fill latency histogram is the exception: the snapshot holds the latencies of the
latest fills only (a bounded window), so the collector accumulates the fills it has not seen
before (:class:`LatencyHistogram`) and the histogram counts every fill since the exporter
started, plus the window it found then.

A read that fails does not fail the scrape: what could be read is exported, and the failure
shows in ``bt_scrape_errors_total{source}`` and ``bt_scrape_error{source}``.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from backtrader_engine import __version__
from backtrader_engine.monitoring import definitions as d

log = logging.getLogger(__name__)

SnapshotReader = Callable[[Path], Any]
StatusReader = Callable[[Path], "dict[str, Any] | None"]
#: A family that takes one float per series.
ScalarFamily = GaugeMetricFamily | CounterMetricFamily


def new_family(metric: d.MetricDef) -> Metric:
    """An empty prometheus_client family for *metric*."""
    labels = list(metric.labels)
    if metric.kind == "gauge":
        return GaugeMetricFamily(metric.name, metric.help, labels=labels)
    if metric.kind == "counter":
        return CounterMetricFamily(metric.name, metric.help, labels=labels)
    if metric.kind == "histogram":
        return HistogramMetricFamily(metric.name, metric.help, labels=labels)
    return InfoMetricFamily(metric.name, metric.help, labels=labels)


def scalar(family: Metric) -> ScalarFamily:
    """*family* as one that takes a float per series.

    The definitions make every family a gauge or a counter except the fill latency histogram
    and the bot info metric, which are filled where they are built.
    """
    if isinstance(family, GaugeMetricFamily | CounterMetricFamily):
        return family
    raise TypeError(f"{family.name} is a {family.type} family, not a gauge or a counter")


def _add(families: dict[str, Metric], metric: d.MetricDef, labels: Sequence[str],
         value: float) -> None:
    """One series of the gauge or counter *metric*."""
    scalar(families[metric.name]).add_metric(labels, value)


def _le(bound: float) -> str:
    # Prometheus' own clients render bounds as floats ("0.5", "1.0"); keep that spelling.
    return repr(float(bound))


def process_start_time() -> float:
    """Unix time the current process started (Linux ``/proc``; elsewhere: first call)."""
    for family in ProcessCollector(registry=None).collect():
        if family.name == "process_start_time_seconds" and family.samples:
            return float(family.samples[0].value)
    return _FALLBACK_START


_FALLBACK_START = time.time()


class LatencyHistogram:
    """A cumulative histogram fed with windows of the latest fill latencies.

    Each :meth:`update` gets the latencies of the ledger's latest fills. Values not in the
    previous window (as a multiset, so equal latencies of different fills still count) are new
    fills and are added; values that left the window are forgotten without being subtracted,
    so every bucket only grows.
    """

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # per bucket, the last one +Inf
        self.total = 0.0
        self._window: Counter[float] = Counter()

    def update(self, window: Iterable[float]) -> None:
        """Add the fills of *window* that were not in the previous one."""
        current = Counter(float(x) for x in window)
        for value, count in (current - self._window).items():
            self.counts[bisect.bisect_left(self.bounds, value)] += count
            self.total += value * count
        self._window = current

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative ``(le, count)`` pairs, ending with ``+Inf``."""
        out, running = [], 0
        for bound, count in zip((*map(_le, self.bounds), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out


class ErrorLogCounter(logging.Handler):
    """Counts log records at ERROR or above (``bt_log_errors_total``)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self._lock_count = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_count:
            self.count += 1


class SessionCollector(Collector):
    """Metrics of the paper session on *state_dir* (see the module docstring).

    Parameters
    ----------
    state_dir : path
        The session's state folder (``--state``).
    portfolio : str, optional
        The ``portfolio`` label; default the state folder's name.
    read_snapshot, live_status : callable, optional
        Readers of the ledger and of the live session; default those of
        :mod:`backtrader_engine.operations.snapshot`.
    status_timeout : float
        Seconds to wait for the live session's answer; a scrape must stay well inside
        Prometheus' scrape timeout.
    errors : ErrorLogCounter, optional
        Source of ``bt_log_errors_total``; without it the family is exported empty.
    """

    def __init__(self, state_dir: Path | str, *, portfolio: str | None = None,
                 read_snapshot: SnapshotReader | None = None,
                 live_status: StatusReader | None = None, status_timeout: float = 2.0,
                 errors: ErrorLogCounter | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.portfolio = d.portfolio_name(self.state_dir, portfolio)
        if read_snapshot is None or live_status is None:
            from backtrader_engine.operations import snapshot

            # No equity curve: a scrape needs the current figures only.
            read_snapshot = read_snapshot or (
                lambda path: snapshot.read_snapshot(path, equity_points=0))
            live_status = live_status or (
                lambda path: snapshot.live_status(path, timeout=status_timeout))
        self._read_snapshot = read_snapshot
        self._live_status = live_status
        self.errors = errors
        self.started = process_start_time()
        self.scrape_errors = dict.fromkeys(d.SOURCES, 0)
        self.latency = LatencyHistogram(d.FILL_LATENCY.buckets)
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------
    def _read(self, source: str, read: Callable[[], Any]) -> tuple[Any, bool]:
        try:
            return read(), True
        except Exception as exc:  # any failure of one source must leave the scrape intact
            self.scrape_errors[source] += 1
            log.warning("metrics: reading %s of %s failed: %s: %s", source, self.state_dir,
                        type(exc).__name__, exc)
            return None, False

    def collect(self) -> Iterator[Metric]:
        """Read the ledger and the live session once; yield every family."""
        with self._lock:  # concurrent scrapes must not feed the latency window twice
            families = self._collect()
        yield from families

    def _collect(self) -> list[Metric]:
        now = time.time()
        families = {m.name: new_family(m) for m in d.BOT_METRICS}
        base = [self.portfolio, d.ASSET_CLASS]
        snap, snap_ok = self._read("ledger", lambda: self._read_snapshot(self.state_dir))
        live, live_ok = self._read("live_status", lambda: self._live_status(self.state_dir))
        fill_model = ""
        if snap is not None:
            _add_snapshot(families, snap, base, now)
            fill_model = str(getattr(snap, "fill_model", "") or "")
            self.latency.update(snap.fill_latencies_s)
        latency = families[d.FILL_LATENCY.name]
        assert isinstance(latency, HistogramMetricFamily)  # the definition's kind
        latency.add_metric(base, self.latency.buckets(), self.latency.total)
        if live is not None:
            _add_live(families, live, base, fallback_age=now - self.started)
        _add(families, d.SESSION_UP, base, 1.0 if live is not None else 0.0)
        _add(families, d.UPTIME, base, max(0.0, now - self.started))
        info = families[d.BOT_INFO.name]
        assert isinstance(info, InfoMetricFamily)  # the definition's kind
        info.add_metric(base, {"version": __version__, "fill_model": fill_model})
        if self.errors is not None:
            _add(families, d.LOG_ERRORS, base, float(self.errors.count))
        counts = self.scrape_errors
        for source, ok in (("ledger", snap_ok), ("live_status", live_ok)):
            _add(families, d.SCRAPE_ERRORS, [*base, source], float(counts[source]))
            _add(families, d.SCRAPE_ERROR, [*base, source], 0.0 if ok else 1.0)
        return list(families.values())


def _add_snapshot(families: dict[str, Metric], snap: Any, base: list[str],
                  now: float) -> None:
    """Per sub-account and per session figures from a ``SessionSnapshot``."""
    for account in snap.accounts:
        labels = [*base, str(account.strategy_class), str(account.symbol)]
        for metric, value in (
                (d.PORTFOLIO_VALUE, account.value), (d.DRAWDOWN_PERCENT, account.drawdown_pct),
                (d.INITIAL_CASH, account.initial_cash), (d.REALISED_PNL, account.realised_pnl),
                (d.UNREALISED_PNL, account.unrealised_pnl),
                (d.POSITION_SIZE, account.position), (d.FUNDING_PAID, account.funding),
                (d.FEES_PAID, account.fees),
                (d.SIGNALS_GENERATED, account.signals_generated),
                (d.SIGNALS_EXECUTED, account.signals_executed)):
            _add(families, metric, labels, float(value))
        closed = int(account.trades_won) + int(account.trades_lost)
        # Before the first closed trip the share is 0/0: NaN keeps the series (an alert sees
        # data) without reading as a losing record (a `< x` comparison with NaN is false).
        _add(families, d.WIN_RATE, labels,
             account.trades_won / closed if closed else math.nan)
        _add(families, d.TRADES_CLOSED, [*labels, "win"], float(account.trades_won))
        _add(families, d.TRADES_CLOSED, [*labels, "loss"], float(account.trades_lost))
        rejected = {**dict.fromkeys(d.SIGNAL_REJECTION_REASONS, 0),
                    **account.signals_rejected}
        for reason, count in sorted(rejected.items()):
            _add(families, d.SIGNALS_REJECTED, [*labels, str(reason)], float(count))
        refused = {**dict.fromkeys(d.ORDER_REJECTION_REASONS, 0), **account.orders_rejected}
        for reason, count in sorted(refused.items()):
            _add(families, d.ORDERS_REJECTED, [*labels, str(reason)], float(count))
        _add(families, d.ORDERS_RESIZED, labels, float(account.orders_resized))
    _add(families, d.EQUITY, base, float(snap.portfolio_value))
    _add(families, d.PORTFOLIO_DRAWDOWN, base, float(snap.drawdown_pct))
    for key, stream in sorted(snap.streams.items()):
        symbol, _, interval = str(key).partition(" ")
        logged_at = stream.get("logged_at")
        if logged_at is not None:
            _add(families, d.BAR_AGE, [*base, symbol, interval],
                 max(0.0, now - float(logged_at)))


def _add_live(families: dict[str, Metric], live: dict[str, Any], base: list[str],
              fallback_age: float) -> None:
    """Stream counters, staleness and breaker states from the live session's status.

    Before the stream's first message its staleness is the process' age: no data has arrived
    for at least that long, and a stream that never connects must still trip the alert.
    """
    stream = live.get("stream") or {}
    age = stream.get("last_message_age_s")
    _add(families, d.STALENESS, base,
         max(0.0, float(fallback_age if age is None else age)))
    _add(families, d.WS_RECONNECTS, base, float(stream.get("reconnects", 0)))
    _add(families, d.WS_MALFORMED, base, float(stream.get("malformed", 0)))
    breakers = {**{name: {} for name in d.BREAKERS}, **(live.get("breakers") or {})}
    for name, breaker in sorted(breakers.items()):
        labels = [*base, str(name)]
        _add(families, d.BREAKER_OPEN, labels, 1.0 if breaker.get("open") else 0.0)
        _add(families, d.BREAKER_TRIPS, labels, float(breaker.get("trips", 0)))
        _add(families, d.BREAKER_HALTED, labels,
             float(breaker.get("halted_seconds") or 0.0))
    if "entries_paused" in live:
        _add(families, d.ENTRIES_PAUSED, base, 1.0 if live["entries_paused"] else 0.0)
        _add(families, d.TRADING_PAUSED, base, 1.0 if live.get("trading_paused") else 0.0)
