"""Option groups several commands share, each defined once.

``backtest``, ``demo`` and ``optimize`` take the same strategy, data and cost options; most
commands take ``--config-dir``. Each command module adds the groups it needs in its own
``register``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from backtrader_engine.argtypes import finite_float, label, non_negative_float, positive_float

#: History bars ``paper`` primes indicators with by default (``--warmup-bars``); ``warmup``
#: checks a strategy's need against it.
PAPER_WARMUP_BARS = 300


def add_config_dir(p: argparse.ArgumentParser) -> None:
    """``--config-dir DIR`` (default ``configs``)."""
    p.add_argument("--config-dir", type=Path, default=Path("configs"), metavar="DIR",
                   help="folder with bybit_config.json, risk_config.json, ... (default: configs)")


def add_strategy_options(p: argparse.ArgumentParser, *, strategy_required: bool,
                         params_file: bool) -> None:
    """``--strategy``, ``--param`` and (with *params_file*) ``--params-file``."""
    g = p.add_argument_group("strategy")
    g.add_argument("--strategy", required=strategy_required, metavar="SPEC",
                   help="built-in name (e.g. RSIEMAMomentum) or path/to/file.py:ClassName")
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a strategy parameter (repeatable)")
    if params_file:
        g.add_argument("--params-file", type=Path, metavar="PATH",
                       help="JSON params, e.g. an optimisation's best_params.json "
                            "(--param values win)")


def add_data_options(p: argparse.ArgumentParser) -> None:
    """The candles to run on: file, symbol label, bar size, date range, confirm feeds."""
    d = p.add_argument_group("data")
    d.add_argument("--data", type=Path, metavar="PATH",
                   help="candles: CSV, Parquet, Feather, Binance ZIP or a folder of them "
                        "(default: the bundled BTC 1h candles)")
    d.add_argument("--symbol", type=label, metavar="S",
                   help="symbol label for reports, e.g. BTCUSDT (default: from the file)")
    d.add_argument("--timeframe", metavar="TF",
                   help="bar size; a multiple of the data's resamples it (default: inferred)")
    d.add_argument("--from", dest="start", metavar="DATE", help="first bar (inclusive)")
    d.add_argument("--to", dest="end", metavar="DATE", help="last bar (inclusive)")
    d.add_argument("--confirm-timeframes", default="", metavar="TF,TF",
                   help="higher-timeframe feeds for self.datas[1:], e.g. 15m,1h,4h")
    pf = p.add_argument_group("portfolio (several symbols)")
    pf.add_argument("--symbols", metavar="S,S",
                    help="run the strategy once per symbol in one backtest, e.g. "
                         "BTCUSDT,ETHUSDT,SOLUSDT; read from --store, or from --data FOLDER "
                         "holding one file per symbol")
    pf.add_argument("--store", type=Path, metavar="DIR",
                    help="the local store --symbols reads (default: data, as 'bte data list')")
    pf.add_argument("--accounts", default="shared", metavar="MODE",
                    help="shared: one account every symbol trades against; per-symbol: one "
                         "sub-account per symbol with the cash split equally (default: shared)")


def add_cost_options(p: argparse.ArgumentParser) -> None:
    """Cash, leverage, fees, slippage, funding and maintenance margin."""
    c = p.add_argument_group("perpetual-futures costs")
    c.add_argument("--cash", type=positive_float, default=10_000.0,
                   help="starting cash, in the data's quote currency (default 10000)")
    c.add_argument("--leverage", type=positive_float, default=1.0,
                   help="position leverage (default 1)")
    c.add_argument("--taker-fee", type=finite_float, metavar="F",
                   help="taker fee fraction (default: bybit_config.json, 0.00055)")
    c.add_argument("--maker-fee", type=finite_float, metavar="F",
                   help="maker fee fraction (default: bybit_config.json, 0.0002)")
    c.add_argument("--slippage-bps", type=non_negative_float, default=1.0, metavar="N",
                   help="slippage of market/stop fills in basis points (default 1)")
    c.add_argument("--funding", metavar="PATH|RATE",
                   help="funding-rate file or constant rate per 8h settlement "
                        "(default 0.0001; 0 disables; with --symbols, a symbol whose data "
                        "has a funding file settles that unless --funding is given)")
    c.add_argument("--maintenance-margin", type=non_negative_float, default=0.005, metavar="RATE",
                   help="maintenance margin rate for liquidation (default 0.005)")
