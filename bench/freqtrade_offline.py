"""Run freqtrade's CLI with a fixed markets structure and no network.

Run with the freqtrade virtualenv's interpreter, exactly like the ``freqtrade`` command:
``<venv>/bin/python bench/freqtrade_offline.py backtesting --config ... [freqtrade args]``.

freqtrade loads its exchange's markets through ccxt at start-up, which needs the network. Here
``Exchange._api_reload_markets`` is replaced by one that installs :func:`offline_markets` (a
ccxt market structure written out below) in the async ccxt object; freqtrade's own
``reload_markets`` then copies it to the sync object as it would after a real load, so every
other code path (validation, precision, stake limits) runs unchanged.

Every socket connect and name lookup beyond this machine is refused at once with a line on
stderr starting with :data:`NETWORK_MARK`: an attempt fails immediately instead of waiting for
a timeout (which would distort the timings), and the bench that started this process sees
that it happened.

This file imports freqtrade only inside :func:`main`, so the markets structure can be imported
and tested without freqtrade installed.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any, NoReturn

NETWORK_MARK = "freqtrade_offline: network attempt blocked"

EXCHANGE = "binance"
PAIR = "BTC/USDT"


def offline_markets(fee: float) -> dict[str, dict[str, Any]]:
    """The ccxt markets freqtrade sees: one Binance spot pair, BTC/USDT.

    Tick-size precision (Binance's ccxt ``precisionMode``): price step 0.01 (freqtrade's
    backtests use the precision they read off the candles instead), amount step 0.00001.
    Limits are wide: the bench's tiled candles drift far below BTC's real price, so a fixed
    stake buys many units. The maker and taker fees are both *fee* (the bench passes ``--fee``
    too).
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
            "precision": {"amount": 0.00001, "price": 0.01, "base": 1e-8, "quote": 1e-8},
            "limits": {
                "leverage": {"min": None, "max": None},
                "amount": {"min": 0.00001, "max": 1e12},
                "price": {"min": 0.01, "max": 1e9},
                "cost": {"min": 5.0, "max": 1e12},
                "market": {"min": 0.0, "max": 120.0},
            },
            "marginModes": {"cross": None, "isolated": None},
            "created": None,
            "info": {},
        }
    }


def _is_local(host: object) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(target: object) -> NoReturn:
    print(f"{NETWORK_MARK}: {target!r}", file=sys.stderr, flush=True)
    raise OSError("network disabled by the offline freqtrade runner")


def block_network() -> None:
    """Make every connect and name lookup beyond this machine fail at once, loudly.

    Unix sockets and loopback stay open: hyperopt's multiprocessing manager and its worker
    pool talk over them.
    """
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family != socket.AF_UNIX and not _is_local(address[0]):
            _refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if self.family != socket.AF_UNIX and not _is_local(address[0]):
            _refuse(address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host.decode() if isinstance(host, bytes) else host):
            _refuse(host)
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]


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
