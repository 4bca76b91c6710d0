"""What a paper session trades: sub-accounts from the command line or the config.

Without ``--strategy``, every enabled entry of ``strategies_config.json`` runs on each of its
symbols, with its own timeframe, confirmation timeframes and params. With ``--strategy``,
each named strategy runs on each of ``--symbols`` (default: the symbols of
``bybit_config.json``) at ``--timeframe``.

**Sub-accounts.** Every strategy × symbol pair trades its own sub-account, with its own cash,
positions and orders. The session's initial cash (``risk_config.json``'s
``initial_cash``) is split evenly, unless ``--cash-per-account`` says otherwise. Each
sub-account's results are what its backtest with the same cash would show, which is what
makes a paper session reconcilable trade by trade. The risk gate's overall limits
(signals per hour, open positions) are shared by all sub-accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.config.app import AppConfig
from backtrader_engine.data import canonical_timeframe, parse_timeframe
from backtrader_engine.engine.job import load_params_file
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import interval_for
from backtrader_engine.paper.account import AccountSpec
from backtrader_engine.strategies import apply_params, resolve_strategy


@dataclass(frozen=True)
class Wanted:
    """One strategy entry before it is split per symbol."""

    spec: str
    symbols: tuple[str, ...]
    timeframe: str
    confirm: tuple[str, ...]
    params: Mapping[str, object]


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def wanted_from_config(config: AppConfig) -> list[Wanted]:
    """The enabled entries of ``strategies_config.json``."""
    entries = config.strategies.enabled()
    if not entries:
        raise UserError("strategies_config.json enables no strategy; enable one or pass "
                        "--strategy")
    return [Wanted(name, tuple(entry.symbols), entry.timeframe,
                   tuple(entry.confirm_timeframes), dict(entry.params))
            for name, entry in entries.items()]


def wanted_from_args(strategies: str, symbols: str | None, timeframe: str | None,
                     params_file: Path | None, config: AppConfig) -> list[Wanted]:
    """``--strategy A,B --symbols X,Y --timeframe TF [--params-file F]``."""
    names = _split(strategies)
    if not names:
        raise UserError("--strategy is empty; give one or more comma-separated strategies")
    chosen = tuple(s.upper() for s in _split(symbols)) or tuple(config.bybit.symbols)
    tf = canonical_timeframe(timeframe or "1m")
    out = []
    for name in names:
        params: dict[str, object] = {}
        if params_file is not None:
            params = load_params_file(params_file, resolve_strategy(name).__name__)
        out.append(Wanted(name, chosen, tf, (), params))
    return out


def build_accounts(wanted: Sequence[Wanted], total_cash: float,
                   cash_per_account: float | None = None) -> list[AccountSpec]:
    """One :class:`AccountSpec` per strategy × symbol, cash split evenly by default."""
    pairs = [(w, symbol) for w in wanted for symbol in w.symbols]
    if not pairs:
        raise UserError("no strategy × symbol pair to trade; give --symbols")
    cash = cash_per_account if cash_per_account is not None else total_cash / len(pairs)
    if cash <= 0:
        raise UserError(f"cash per sub-account {cash:g}; it must be positive")
    specs, seen = [], set()
    for w, symbol in pairs:
        cls = resolve_strategy(w.spec)
        params = apply_params(cls, w.params)
        tf = canonical_timeframe(w.timeframe)
        for higher in w.confirm:
            if parse_timeframe(higher) < parse_timeframe(tf):
                raise UserError(f"{cls.__name__}: confirm timeframe {higher} is finer than "
                                f"its timeframe {tf}")
        spec = AccountSpec(w.spec, cls, params, symbol, tf, interval_for(tf)[1],
                           tuple(w.confirm), cash)
        if spec.name in seen:
            raise UserError(f"{spec.name} is listed twice; each strategy trades a symbol "
                            "once per session")
        seen.add(spec.name)
        specs.append(spec)
    return specs
