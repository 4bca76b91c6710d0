"""A paper-trading session: sub-accounts, the market hub, the stream, and the ledger.

Start-up, in order:

1. take the state folder's lock (:mod:`backtrader_engine.service.statelock`; one writer
   per folder), then open the ledger under ``--state``; a ledger from an earlier run must
   describe the same sub-accounts (strategy, params, cash), which makes the start a
   **resume**;
2. warm-up history per stream: from the ledger when resuming, otherwise fetched over REST
   (the bars before the exchange's clock) and logged;
3. start one cerebro thread per sub-account; each first replays the warm-up (orders on it
   are rejected, indicators get primed);
4. **catch up**: feed every live bar the ledger holds through the accounts again, in the
   logged order. The strategies rebuild their state and the brokers re-derive every order
   and fill; the ledger verifies what it has and stores what the crash lost;
5. subscribe to the stream with ``resume`` set to the last logged bar of each stream, so
   bars that closed while the session was down come back over REST, then trade live.

Each live bar is staged in the ledger as it is released and committed with the first outputs
derived from it (never after them), and accounts get it one at a time in a fixed order
(:mod:`.hub`), so a resumed session makes the same decisions an uninterrupted one would have
made.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from backtrader_engine.config import RiskConfig
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.exchanges.bybit.history import make_session
from backtrader_engine.exchanges.bybit.retry import Retry
from backtrader_engine.exchanges.bybit.stream import (
    BybitStream,
    EventQueue,
    KlineBackfill,
    StreamSettings,
    public_stream_url,
    stream_topics,
)
from backtrader_engine.exchanges.bybit.stream.klines import bar_end
from backtrader_engine.exchanges.bybit.venue import Instrument, parse_instrument
from backtrader_engine.ledger import LedgerWriter, ledger_path, remove_ledger
from backtrader_engine.paper.account import Account, AccountSpec
from backtrader_engine.paper.context import WARMUP, BarContext
from backtrader_engine.paper.control.channel import ControlServer
from backtrader_engine.paper.control.manual import ManualSignalStrategy
from backtrader_engine.paper.control.requests import SessionRequests
from backtrader_engine.paper.feed import SYNC
from backtrader_engine.paper.gc_pacing import GcPacing
from backtrader_engine.paper.hub import MarketHub, StreamKey
from backtrader_engine.paper.risk import StreamHealth
from backtrader_engine.risk import RiskGate
from backtrader_engine.service.statelock import StateLock

log = logging.getLogger(__name__)
#: When this process started (epoch seconds): the uptime the live status reports.
_PROCESS_STARTED = psutil.Process().create_time()


@dataclass
class PaperSettings:
    """Everything a session needs; see ``python -m backtrader_engine paper --help``."""

    accounts: Sequence[AccountSpec]
    state_dir: Path
    base_url: str | None = None
    testnet: bool = False
    fill_model: str = "book"
    costs: CostModel = field(default_factory=CostModel)
    risk: RiskConfig | None = None  # None: no risk gate
    warmup_bars: int = 300
    book_depth: int = 50
    stream_settings: StreamSettings | None = None
    release_wait_s: float = 10.0
    manual: bool = True  # a Manual sub-account per symbol for injected signals
    manual_cash: float | None = None  # default: the first sub-account's cash
    control: bool = True  # listen for inject requests (control.json in the state folder)
    # The state folder's lock when the caller already holds it (the paper command takes it
    # before anything else); otherwise the session takes it at start and lets it go at stop.
    state_lock: StateLock | None = None


def manual_specs(accounts: Sequence[AccountSpec], cash: float | None) -> list[AccountSpec]:
    """One ``ManualSignalStrategy`` sub-account per traded symbol."""
    specs: dict[str, AccountSpec] = {}
    for spec in accounts:
        if spec.symbol not in specs:
            specs[spec.symbol] = AccountSpec("manual", ManualSignalStrategy, {}, spec.symbol,
                                             spec.timeframe, spec.interval, (),
                                             cash if cash is not None else spec.cash)
    return list(specs.values())


def _ordered_streams(accounts: Sequence[AccountSpec]) -> list[StreamKey]:
    streams: list[StreamKey] = []
    for spec in accounts:
        key = (spec.symbol, spec.interval)
        if key not in streams:
            streams.append(key)
    return streams


class PaperSession:
    """Runs :class:`PaperSettings` until :meth:`stop` (see the module docstring)."""

    def __init__(self, settings: PaperSettings) -> None:
        self.settings = settings
        self.specs = list(settings.accounts)
        if settings.manual:
            self.specs += manual_specs(settings.accounts, settings.manual_cash)
        self.streams = _ordered_streams(self.specs)
        self.ledger: LedgerWriter | None = None
        self.accounts: list[Account] = []
        self._readers: dict[StreamKey, list[Account]] = {}  # the accounts of each stream
        self.hub: MarketHub | None = None
        self.stream: BybitStream | None = None
        self.queue = EventQueue(2_000)
        self.gate: RiskGate | None = None
        self.resumed = False
        self.caught_up = 0
        self.live_bars = 0
        self.released = 0  # bars delivered, catch-up included: the session's input position
        self.control: ControlServer | None = None
        # Control requests and logged operator inputs; made once the accounts exist.
        self.requests: SessionRequests | None = None
        self._peak = sum(spec.cash for spec in self.specs)
        self._stop = threading.Event()
        self._gc = GcPacing()
        self._pump: threading.Thread | None = None
        self._own_lock: StateLock | None = None
        # False until start() returned: a first start that fails (Bybit unreachable, a
        # refused topic) leaves no ledger behind for a later run to resume or refuse.
        self.started = False
        self._ledger_is_new = False
        self._start_logged = False  # the ledger holds this run's "start" event
        self.http = make_session(testnet=settings.testnet, base_url=settings.base_url)

    # --- start-up ----------------------------------------------------------------------------
    def start(self) -> PaperSession:
        """Lock the folder, open the ledger, warm up, catch up and stream (module docstring).

        Call :meth:`stop` afterwards even when this raises: it releases what was taken.

        Raises
        ------
        StateFolderInUse
            Another process writes this state folder.
        """
        s = self.settings
        if (s.state_lock is None or not s.state_lock.held) and self._own_lock is None:
            self._own_lock = StateLock(s.state_dir).acquire()
        self._ledger_is_new = not ledger_path(s.state_dir).exists()
        ledger = self.ledger = LedgerWriter(s.state_dir)
        self.resumed = ledger.has_accounts()
        if self.resumed:
            # A resumed session needs no warm-up over REST, but with the venue unreachable it
            # would only wait on a stream that cannot connect. The venue is asked as a new
            # session asks it (retried visibly, then one line); the ledger stays as it was.
            Retry(retries=4).call("server time", self.http.get_server_time)
        for spec in self.specs:
            ledger.register_account(spec.name, spec.strategy_spec, spec.symbol,
                                    dict(spec.params), spec.cash)
        ledger.set_meta("fill_model", s.fill_model)
        # What a parity check needs to rebuild each sub-account's backtest.
        ledger.set_meta("costs", s.costs.describe())
        ledger.set_meta("risk", s.risk.model_dump(mode="json") if s.risk is not None else None)
        ledger.set_meta("accounts", [
            {"name": a.name, "strategy": a.strategy_spec, "class": a.strategy.__name__,
             "symbol": a.symbol, "timeframe": a.timeframe, "interval": a.interval,
             "confirm_timeframes": list(a.confirm_timeframes), "cash": a.cash,
             "params": {k: v for k, v in dict(a.params).items()}} for a in self.specs])
        history = {key: self._history(key) for key in self.streams}
        self.gate = RiskGate(s.risk) if s.risk is not None else None
        instruments = {symbol: self._instrument(symbol) for symbol, _ in self.streams}
        lots = {symbol: LotRules.of(inst) if inst is not None else None
                for symbol, inst in instruments.items()}
        # The venue's lot rules each sub-account traded under, for the parity re-run.
        ledger.set_meta("lot_rules", {symbol: rules.as_dict() if rules else None
                                      for symbol, rules in lots.items()})
        health = StreamHealth()
        for spec in self.specs:
            key = (spec.symbol, spec.interval)
            warm = [ctx for ctx in history[key] if ctx.source == WARMUP]
            inst = instruments[spec.symbol]
            funding_ms = (inst.funding_interval_minutes if inst else 480) * 60_000
            self.accounts.append(Account(spec, ledger, s.costs, warm, s.fill_model, self.gate,
                                         funding_ms, self.portfolio_value, health,
                                         lot_rules=lots[spec.symbol]))
        for account in self.accounts:  # in the configured order, which delivery keeps
            self._readers.setdefault((account.spec.symbol, account.spec.interval),
                                     []).append(account)
        self.requests = SessionRequests(self.accounts, ledger, self.gate,
                                        position=lambda: self.released, summary=self.summary,
                                        request_stop=self.request_stop, manual=s.manual)
        for account in self.accounts:
            # One at a time: the warm-ups feed the shared risk gate, which must see them in
            # the same order on every start.
            account.start()
            account.deliver(SYNC)
        self.hub = MarketHub(self.streams, self._release, on_status=self._status,
                             wait_s=s.release_wait_s)
        self._catch_up(history)
        ledger.record_event("start", "resumed" if self.resumed else "new session")
        self._start_logged = True
        # The warm-up leaves hundreds of thousands of long-lived objects (every line buffer
        # of every cerebro). Left to the collector, each full collection scans them all — a
        # pause of tens of milliseconds in the middle of some bar; frozen, they are skipped.
        # From here on the pump collects between bars (see GcPacing).
        self._gc.start()
        self._start_stream(history)
        if s.control:
            self.control = ControlServer(s.state_dir, self.requests.submit).start()
        self.started = True
        return self

    def _history(self, key: StreamKey) -> list[BarContext]:
        """The logged bars of *key*; on a new session, warm-up fetched over REST and logged."""
        ledger = self.ledger
        assert ledger is not None
        logged = [BarContext.from_logged(row) for row in ledger.bars(*key)]
        if logged:
            return logged
        symbol, interval = key
        reply = Retry(retries=4).call("server time", self.http.get_server_time)
        now = int(reply["result"]["timeNano"]) // 1_000_000
        duration = bar_end(0, interval) + 1
        stop = now // duration * duration  # the bar still open at the server's clock
        start = stop - self.settings.warmup_bars * duration
        bars = KlineBackfill(self.http, retry=Retry(retries=4)).fetch(symbol, interval,
                                                                           start, stop)
        contexts = [BarContext(b.symbol, b.interval, b.start, b.end, b.open, b.high, b.low,
                               b.close, b.volume, WARMUP) for b in bars]
        for ctx in contexts:
            ledger.append_bar(ctx)
        log.info("%s %s: %d warm-up bars", symbol, interval, len(contexts))
        return contexts

    def _instrument(self, symbol: str) -> Instrument | None:
        """The contract's rules from instruments-info; ``None`` when it cannot be had."""
        try:
            reply = self.http.get_instruments_info(category="linear", symbol=symbol)
            item = (reply.get("result") or {}).get("list") or []
            return parse_instrument(item[0])
        except Exception as exc:  # the session can still trade, only less like the venue
            log.warning("%s: contract rules unknown (%s); funding assumed every 8 h, order "
                        "quantities not fitted to a lot step", symbol, exc)
            return None

    def _catch_up(self, history: dict[StreamKey, list[BarContext]]) -> None:
        """Re-deliver logged live bars in release order, without logging them again."""
        assert self.hub is not None and self.requests is not None
        logged = [ctx for key in self.streams for ctx in history[key] if ctx.source != WARMUP]
        rank = {key: i for i, key in enumerate(self.streams)}
        logged.sort(key=lambda c: (c.close_time, rank[(c.symbol, c.interval)]))
        inputs = self.requests.logged_inputs()
        for row in inputs.get(0, []):
            self.requests.apply_logged(row)
        for ctx in logged:
            self._deliver(ctx)
            for row in inputs.get(self.released, []):
                self.requests.apply_logged(row)
        self.caught_up = len(logged)
        for key in self.streams:
            if history[key]:
                self.hub.order.resume(key, history[key][-1].close_time)
        if logged:
            log.info("caught up on %d logged bars", len(logged))

    def _start_stream(self, history: dict[StreamKey, list[BarContext]]) -> None:
        s = self.settings
        symbols = list(dict.fromkeys(symbol for symbol, _ in self.streams))
        topics = [f"kline.{interval}.{symbol}" for symbol, interval in self.streams]
        topics += stream_topics(symbols, intervals=(), book_depth=s.book_depth)
        resume = {key: history[key][-1].start for key in self.streams if history[key]}
        self.stream = BybitStream(
            topics, url=public_stream_url(s.base_url, testnet=s.testnet), queue=self.queue,
            backfill=KlineBackfill(self.http), resume=resume, settings=s.stream_settings)
        self.stream.start()
        self._pump = threading.Thread(target=self._run_pump, name="paper-hub", daemon=True)
        self._pump.start()

    # --- running -----------------------------------------------------------------------------
    def _run_pump(self) -> None:
        assert self.hub is not None and self.requests is not None
        while not self._stop.is_set():
            event = self.queue.get(timeout=0.05)
            if event is not None:
                self.hub.on_event(event)
            self.hub.flush()
            self.requests.serve_pending()
            self._gc.collect_due()  # nothing in flight: the bar, if any, is done

    def _release(self, ctx: BarContext) -> None:
        assert self.ledger is not None
        if self.stream is not None:
            # The connection's health since the previous bar travels with the bar, so the
            # latency and error-rate breakers see it in the log too (a restart agrees).
            rtt, errors = self.stream.take_health()
            ctx = ctx.with_health(rtt, errors)
        # Staged, not committed: the first sub-account's outputs of this step (or the
        # flush below) commit it, in the same transaction, so no output lands without it.
        self.ledger.append_bar(ctx, defer=True)
        self.live_bars += 1
        self._deliver(ctx)
        self.ledger.flush()

    def _deliver(self, ctx: BarContext) -> None:
        self.released += 1
        for account in self._readers.get((ctx.symbol, ctx.interval), ()):
            account.deliver(ctx)
        if ctx.tradable and self.ledger is not None:
            # The portfolio's value and running peak after each bar, so status readers get
            # the equity curve and drawdown without summing sub-accounts over all history.
            value = sum(account.broker.current_value for account in self.accounts)
            self._peak = max(self._peak, value)
            self.ledger.record_portfolio(self.released, ctx.close_time, value, self._peak)

    @property
    def entries_paused(self) -> bool:
        """New entries are refused by an operator's pause (see :class:`SessionRequests`)."""
        return self.requests.entries_paused if self.requests is not None else False

    @property
    def pause(self) -> str:
        """The operator's pause: ``none``, ``entries`` or ``trading`` (see
        :data:`~.control.operator.PAUSES`)."""
        return self.requests.pause if self.requests is not None else "none"

    def portfolio_value(self) -> float:
        """Value of every sub-account together (what the shared risk gate watches)."""
        return sum(account.broker.getvalue() for account in self.accounts)

    def _status(self, state: str, reason: str) -> None:
        if self.ledger is not None:
            self.ledger.record_event("stream", f"{state}: {reason}")
        for account in self.accounts:
            account.notify_status(state)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until :meth:`stop` is requested; ``True`` if it was."""
        return self._stop.wait(timeout)

    def request_stop(self) -> None:
        """Ask the session to stop (safe from signal handlers and other threads)."""
        self._stop.set()

    def stop(self) -> dict[str, Any]:
        """Stop streaming and every account, write the final state; the summary.

        The stream is drained first (unsubscribe, then every frame sent before the
        acknowledgement is processed), so a stopped session has lost nothing it was sent.
        """
        if self.control is not None:
            self.control.close()
        if self.stream is not None:
            self.stream.close(drain=True)
        self._stop.set()
        if self._pump is not None:
            self._pump.join(5)
        if self.hub is not None:
            for event in self.queue.drain():
                self.hub.on_event(event)
            self.hub.flush(everything=True)
        for account in self.accounts:
            account.stop()
        self._gc.stop()  # what the session leaves behind can be collected again
        summary = self.summary()
        if self.ledger is not None and not self.started and self._ledger_is_new:
            # What a start that never got going wrote (accounts, warm-up bars) is not a
            # session: keeping it would make the next start "resume" it, or refuse other
            # strategies as a different session's ledger.
            self.ledger.close()
            removed = remove_ledger(self.settings.state_dir)
            log.info("paper session did not start: removed the ledger it had begun (%s)",
                     ", ".join(removed))
        elif self.ledger is not None:
            # A resumed start that failed before its "start" event (the venue unreachable)
            # leaves the ledger as it found it: no "stop" without a "start".
            if self._start_logged:
                self.ledger.record_event("stop", f"{self.live_bars} live bars this run")
            self.ledger.close()
        if self._own_lock is not None:  # only once nothing more is written
            self._own_lock.release()
            self._own_lock = None
        return summary

    # --- reporting -----------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Per sub-account figures and stream counters."""
        accounts = {}
        for account in self.accounts:
            broker = account.broker
            position = broker.getposition(account.feed)
            trades = broker.trades_frame()
            accounts[account.spec.name] = {
                "cash": broker.getcash(), "value": broker.current_value,
                "initial_cash": account.spec.cash, "position": float(position.size),
                "position_price": float(position.price),
                "open_orders": sum(1 for o in broker.pending if o is not None and o.alive()),
                "orders_rejected": broker.rejections.total,
                "rejected_by_reason": broker.rejections.as_dict(),
                "orders_resized": broker.rejections.resized,
                "round_trips": int((trades["status"] == "closed").sum()) if len(trades) else 0,
                "fees": broker.fees_paid, "funding": broker.funding_paid,
                "error": repr(account.error) if account.error else None,
            }
        breakers = self.gate.breaker_states() if self.gate is not None else {}
        return {"accounts": accounts, "resumed": self.resumed, "caught_up_bars": self.caught_up,
                "live_bars": self.live_bars, "entries_paused": self.entries_paused,
                "pause": self.pause, "trading_paused": self.pause == "trading",
                "breakers": {name: state.as_dict() for name, state in breakers.items()},
                "throttles": self.gate.throttles() if self.gate is not None else [],
                "risk": (self.gate.config.model_dump(mode="json")
                         if self.gate is not None else None),
                "process_started": _PROCESS_STARTED,
                "stream": self.stream.stats() if self.stream is not None else {},
                "ledger": str(self.ledger.path) if self.ledger else None,
                "ledger_divergences": self.ledger.divergences if self.ledger else 0,
                "time": time.time()}
