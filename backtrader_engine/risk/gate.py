"""The risk gate: decides whether an entry signal may reach the broker.

:class:`RiskGate` holds the rules' state (recent signals, price ranges, the daily loss stop,
circuit breakers) and nothing broker-specific. A broker feeds it observations through explicit
``observe_*`` methods and asks :meth:`RiskGate.evaluate` about each entry; the backtrader glue
lives in :mod:`.hook` and :mod:`.mixin`. Every time is market time (see :mod:`.clock`).
"""

from __future__ import annotations

from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.risk.breakers import (
    BREAKER_NAMES,
    BreakerState,
    CircuitBreaker,
    format_time,
)
from backtrader_engine.risk.checks import CHECKS
from backtrader_engine.risk.clock import MarketTime, to_seconds, utc_day
from backtrader_engine.risk.daily import DailyLossStop
from backtrader_engine.risk.reasons import ALLOW, ENTRIES_PAUSED, Decision
from backtrader_engine.risk.request import SignalRequest
from backtrader_engine.risk.windows import EventWindow, RollingRange

_HOUR = 3600.0
_MINUTE = 60.0


class RiskGate:
    """Rules and state of the risk gate, configured by :class:`RiskConfig`.

    Parameters
    ----------
    config : RiskConfig, optional
        Limits; the built-in defaults when omitted.

    Notes
    -----
    Only signals that passed count towards spacing and the hourly caps, so a burst of refused
    signals cannot lock a strategy out for longer than its own passed signals would.
    """

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config if config is not None else RiskConfig()
        c = self.config
        limits = {
            "drawdown": (c.max_drawdown_pct, "%"),
            "volatility": (c.breaker_volatility_pct, "%"),
            "latency": (c.max_latency_ms, " ms"),
            "spread": (c.max_spread_pct, "%"),
            "error_rate": (float(c.max_errors_per_minute), " errors/min"),
        }
        self.breakers: dict[str, CircuitBreaker] = {
            name: CircuitBreaker(name, limits[name][0], c.breaker_cooldown(name),
                                 limits[name][1], mode=c.breaker_mode(name))
            for name in BREAKER_NAMES
        }
        self.daily = DailyLossStop(c.daily_loss_limit_pct)
        #: The drawdown breaker's baseline: the highest equity since the start or since the
        #: breaker last re-armed (it then restarts from the equity at re-arm).
        self.peak_equity: float | None = None
        #: Latest market time seen in any observation or decision (epoch seconds).
        self.now: float | None = None
        self._ranges: dict[str, RollingRange] = {}
        self._errors = EventWindow(_MINUTE)
        self._signals = EventWindow(_HOUR)
        self._strategy_signals: dict[str, EventWindow] = {}
        #: Set by the operator to refuse every new entry while exits still go through.
        self.entries_paused = False

    # -- observations ---------------------------------------------------------------------------
    def observe_bar(self, symbol: str, when: MarketTime, high: float, low: float,
                    close: float) -> None:
        """Feed one completed bar of *symbol*: the volatility filter and breaker use it."""
        t = self._tick(when)
        series = self._ranges.get(symbol)
        if series is None:
            series = self._ranges[symbol] = RollingRange(self.config.volatility_window_seconds)
        series.add(t, high, low, close)
        volatility = series.range_pct(t)
        if volatility is not None:
            self.breakers["volatility"].observe(t, volatility)

    def observe_equity(self, when: MarketTime, equity: float) -> None:
        """Feed the account equity (cash plus open profit): daily loss and drawdown use it."""
        t = self._tick(when)
        self.daily.observe(t, equity)
        if self.breakers["drawdown"].rearm(t):
            self.peak_equity = equity  # a fresh peak: the drawdown before re-arm is forgiven
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        if self.peak_equity > 0.0:
            drawdown = (self.peak_equity - equity) / self.peak_equity * 100.0
            self.breakers["drawdown"].observe(t, drawdown)

    def observe_latency_ms(self, when: MarketTime, latency_ms: float) -> None:
        """Feed one measured latency (order round trip or message delay) in milliseconds."""
        self.breakers["latency"].observe(self._tick(when), latency_ms)

    def observe_spread_pct(self, when: MarketTime, spread_pct: float) -> None:
        """Feed one bid-ask spread as a percent of the mid price."""
        self.breakers["spread"].observe(self._tick(when), spread_pct)

    def observe_error(self, when: MarketTime) -> None:
        """Feed one exchange or API error; too many within a minute trip ``error_rate``."""
        t = self._tick(when)
        if self.breakers["error_rate"].rearm(t):
            self._errors = EventWindow(_MINUTE)  # a fresh count: errors before re-arm are done
        self._errors.add(t)
        self.breakers["error_rate"].observe(t, float(self._errors.count(t)))

    # -- queries --------------------------------------------------------------------------------
    def volatility_pct(self, symbol: str, when: MarketTime | None = None) -> float | None:
        """Range of *symbol* over the volatility window, in percent of its last close."""
        series = self._ranges.get(symbol)
        if series is None:
            return None
        return series.range_pct(self._at(when))

    def last_signal_time(self, strategy: str) -> float | None:
        """Market time of *strategy*'s latest passed signal."""
        window = self._strategy_signals.get(strategy)
        return window.last() if window is not None else None

    def signals_in_hour(self, when: MarketTime, strategy: str | None = None) -> int:
        """Passed signals in the rolling hour ending at *when* (of one strategy, or all)."""
        window = self._signals if strategy is None else self._strategy_signals.get(strategy)
        return window.count(to_seconds(when)) if window is not None else 0

    def breaker_states(self, when: MarketTime | None = None) -> dict[str, BreakerState]:
        """Every breaker's state at *when* (default: the latest market time seen)."""
        t = self._at(when)
        return {name: breaker.state(t) for name, breaker in self.breakers.items()}

    def throttles(self, when: MarketTime | None = None) -> list[dict[str, str]]:
        """What refuses new entries at *when* besides the breakers, with when it lifts.

        The daily loss stop (until the next 00:00 UTC), each strategy's signal spacing and
        the hourly caps, as ``{"name", "reason", "lifts"}`` (times in market time, UTC).
        Only the rules that would refuse a signal now are listed.
        """
        t = self._at(when)
        c = self.config
        out: list[dict[str, str]] = []
        if self.daily.halted(t):
            lifts = (utc_day(t) + 1) * 86_400.0
            out.append({"name": "daily_loss", "reason": self.daily.reason,
                        "lifts": format_time(lifts)})
        for strategy, window in sorted(self._strategy_signals.items()):
            last = window.last()
            if last is not None and t - last < c.min_seconds_between_signals:
                out.append({"name": f"signal_spacing:{strategy}",
                            "reason": f"last signal {t - last:.0f} s ago, "
                                      f"{c.min_seconds_between_signals:g} s apart",
                            "lifts": format_time(last + c.min_seconds_between_signals)})
            if window.count(t) >= c.max_signals_per_hour_per_strategy:
                out.append({"name": f"strategy_hourly_cap:{strategy}",
                            "reason": f"{window.count(t)} signals in the last hour (cap "
                                      f"{c.max_signals_per_hour_per_strategy})",
                            "lifts": format_time(window.frees_at(t))})
        if self._signals.count(t) >= c.max_signals_per_hour:
            out.append({"name": "hourly_cap",
                        "reason": f"{self._signals.count(t)} signals in the last hour (cap "
                                  f"{c.max_signals_per_hour})",
                        "lifts": format_time(self._signals.frees_at(t))})
        return out

    # -- operator -------------------------------------------------------------------------------
    def resume_halted(self, when: MarketTime | None = None) -> list[str]:
        """Close every open ``halt`` breaker at *when* (default: the latest market time seen).

        What an operator's ``/start_trading`` does besides lifting a pause. Each resumed
        breaker re-arms at its next observation against a fresh baseline. ``cooldown`` and
        ``daily`` breakers re-arm on their own and are not touched. Returns the names resumed.
        """
        t = self._at(when)
        return [name for name, breaker in self.breakers.items() if breaker.resume(t)]

    def reload(self, config: RiskConfig) -> list[str]:
        """Use *config*'s limits from now on; the names of the settings that changed.

        The state stays: an open breaker stays open until its current period ends (a new
        limit or mode applies from its next trip), the day's loss and the signal windows keep
        counting. Checks read the limits at each decision, so they apply to the next signal.
        """
        old = self.config.model_dump()
        new = config.model_dump()
        changed = sorted(key for key in new if key != "source" and new[key] != old.get(key))
        self.config = config
        limits = {"drawdown": config.max_drawdown_pct,
                  "volatility": config.breaker_volatility_pct,
                  "latency": config.max_latency_ms, "spread": config.max_spread_pct,
                  "error_rate": float(config.max_errors_per_minute)}
        for name, breaker in self.breakers.items():
            breaker.limit = float(limits[name])
            breaker.cooldown = float(config.breaker_cooldown(name))
            if not breaker.is_open(self._at(None)):  # an open period keeps the mode it began in
                breaker.mode = config.breaker_mode(name)
        self.daily.limit_pct = float(config.daily_loss_limit_pct)
        return changed

    # -- decisions ------------------------------------------------------------------------------
    def check(self, request: SignalRequest) -> Decision:
        """Apply the checks in order without recording anything; the first refusal wins."""
        if self.entries_paused:
            return Decision.refuse(ENTRIES_PAUSED, "new entries are paused by the operator; "
                                                   "open positions are still managed")
        for _name, check in CHECKS:
            decision = check(self, request)
            if decision is not None:
                return decision
        return ALLOW

    def evaluate(self, request: SignalRequest) -> Decision:
        """Decide on *request* and, if it passes, count it towards spacing and the caps."""
        self._tick(request.time)
        decision = self.check(request)
        if decision.allowed:
            self._record_pass(request)
        return decision

    def _record_pass(self, request: SignalRequest) -> None:
        self._signals.add(request.time)
        window = self._strategy_signals.get(request.strategy)
        if window is None:
            window = self._strategy_signals[request.strategy] = EventWindow(_HOUR)
        window.add(request.time)

    def _tick(self, when: MarketTime) -> float:
        t = to_seconds(when)
        if self.now is None or t > self.now:
            self.now = t
        return t

    def _at(self, when: MarketTime | None) -> float:
        if when is not None:
            return to_seconds(when)
        return self.now if self.now is not None else 0.0
