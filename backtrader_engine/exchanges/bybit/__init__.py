"""Bybit V5 (linear perpetuals): instrument facts, history download and a replay server."""

from backtrader_engine.exchanges.bybit.venue import (
    DEFAULT_INSTRUMENTS,
    Instrument,
    load_instruments,
    parse_instrument,
    save_instruments,
)

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "Instrument",
    "load_instruments",
    "parse_instrument",
    "save_instruments",
]
