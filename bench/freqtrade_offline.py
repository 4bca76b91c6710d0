"""Run freqtrade's CLI with a fixed markets structure and no network.

Run with the freqtrade virtualenv's interpreter, exactly like the ``freqtrade`` command:
``<venv>/bin/python bench/freqtrade_offline.py backtesting --config ... [freqtrade args]``.

freqtrade loads its exchange's markets through ccxt at start-up, which needs the network. Here
``Exchange._api_reload_markets`` is replaced by one that installs :func:`offline_markets` (a
ccxt market structure written out below) in the async ccxt object; freqtrade's own
``reload_markets`` then copies it to the sync object as it would after a real load, so every
other code path (validation, precision, stake limits) runs unchanged.

Every socket connect and name lookup is refused at once with a line on stderr starting with
:data:`NETWORK_MARK`: an attempt fails immediately instead of waiting for a timeout (which
would distort the timings), and the bench that started this process sees that it happened.

This file imports freqtrade only inside :func:`main`, so the markets structure can be imported
and tested without freqtrade installed.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

NETWORK_MARK = "freqtrade_offline: network attempt blocked"

EXCHANGE = "binance"
PAIR = "BTC/USDT"


def offline_markets(fee: float) -> dict[str, dict[str, Any]]:
    """The ccxt markets freqtrade sees: one Binance spot pair, BTC/USDT.

    Tick-size precision (Binance's ccxt ``precisionMode``): price step 0.1 (the bench's candles
    are rounded to it, so freqtrade's price rounding changes nothing), amount step 0.00001 BTC.
    The maker and taker fees are both *fee*, as the bench passes ``--fee`` anyway.
    """
    return {
        PAIR: {
            "id": "BTCUSDT", "symbol": PAIR, "base": "BTC", "quote": "USDT", "settle": None,
            "baseId": "BTC", "quoteId": "USDT", "settleId": None,
            "type": "spot", "spot": True, "margin": False, "swap": False, "future": False,
            "option": False, "index": None, "active": True, "contract": False,
            "linear": None, "inverse": None, "contractSize": None,
            "expiry": None, "expiryDatetime": None, "strike": None, "optionType": None,
            "taker": fee, "maker": fee, "percentage": True, "tierBased": False,
            "precision": {"amount": 0.00001, "price": 0.1, "base": 1e-8, "quote": 1e-8},
            "limits": {
                "leverage": {"min": None, "max": None},
                "amount": {"min": 0.00001, "max": 9000.0},
                "price": {"min": 0.1, "max": 1_000_000.0},
                "cost": {"min": 5.0, "max": 9_000_000.0},
                "market": {"min": 0.0, "max": 120.0},
            },
            "marginModes": {"cross": None, "isolated": None},
            "created": None,
            "info": {},
        }
    }


def _refuse(*args: object, **kwargs: object) -> Any:
    target = args[1] if len(args) > 1 else args[0] if args else "?"
    print(f"{NETWORK_MARK}: {target!r}", file=sys.stderr, flush=True)
    raise OSError("network disabled by the offline freqtrade runner")


def block_network() -> None:
    """Make every connect and name lookup in this process fail at once, loudly."""
    socket.socket.connect = _refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
    socket.create_connection = _refuse  # type: ignore[assignment]
    socket.getaddrinfo = _refuse  # type: ignore[assignment]


def _fee_from_argv(argv: list[str], default: float = 0.001) -> float:
    if "--fee" in argv:
        return float(argv[argv.index("--fee") + 1])
    return default


def install_offline_markets(markets: dict[str, dict[str, Any]]) -> None:
    """Replace freqtrade's async markets load by installing *markets* in the ccxt object."""
    from freqtrade.exchange.exchange import Exchange

    async def _api_reload_markets(self: Exchange, reload: bool = False) -> None:
        self._api_async.set_markets(markets)

    Exchange._api_reload_markets = _api_reload_markets  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    block_network()
    install_offline_markets(offline_markets(_fee_from_argv(argv)))
    from freqtrade.main import main as freqtrade_main

    freqtrade_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
