"""Reusable constrained field types shared by several configuration files.

Each type validates one value on its own; rules that compare fields live with their model.
Validators raise ``ValueError`` with ``"<problem>; <fix>"`` text, which the message formatter
uses verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

T = TypeVar("T", bound=Hashable)

_SYMBOL_RE = re.compile(r"[A-Z0-9]{2,30}")
_ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")
_HOST_RE = re.compile(r"[A-Za-z0-9.:\-\[\]]+")


def check_symbol(value: str) -> str:
    """Validate a Bybit symbol such as ``ETHUSDT``.

    Parameters
    ----------
    value
        Symbol as written in the file.

    Returns
    -------
    str
        The symbol, unchanged.

    Raises
    ------
    ValueError
        If it is not upper-case letters and digits; the message suggests the fixed spelling.
    """
    if _SYMBOL_RE.fullmatch(value):
        return value
    cleaned = re.sub(r"[^A-Za-z0-9]", "", value).upper()
    if _SYMBOL_RE.fullmatch(cleaned):
        # Bybit rejects 'ethusdt' and 'ETH/USDT' alike, so say exactly what it expects.
        raise ValueError(f"is not a Bybit symbol; write it as '{cleaned}' (upper-case, no "
                         "separators)")
    raise ValueError("is not a Bybit symbol; use upper-case letters and digits like 'ETHUSDT'")


def check_unique(values: list[T]) -> list[T]:
    """Reject a list that names the same item twice.

    Parameters
    ----------
    values
        Validated list items.

    Returns
    -------
    list
        The list, unchanged.

    Raises
    ------
    ValueError
        Naming the first repeated item; duplicates are nearly always an editing slip and would
        otherwise double-subscribe a symbol or double-send an alert.
    """
    seen: set[T] = set()
    for item in values:
        if item in seen:
            raise ValueError(f"lists '{item}' more than once; remove the duplicate")
        seen.add(item)
    return values


def check_env_name(value: str) -> str:
    """Validate the *name* of an environment variable (not its value).

    Parameters
    ----------
    value
        Variable name as written in the file, e.g. ``TELEGRAM_BOT_TOKEN``.

    Returns
    -------
    str
        The name, unchanged.

    Raises
    ------
    ValueError
        If it is not upper-case letters, digits and underscores, which would suggest the secret
        itself was pasted in place of the variable's name.
    """
    if _ENV_NAME_RE.fullmatch(value):
        return value
    raise ValueError("is not an environment variable name; use upper-case letters, digits and "
                     "underscores like 'TELEGRAM_BOT_TOKEN' (put the secret itself in that "
                     "variable, not in the file)")


def check_host(value: str) -> str:
    """Validate a bind host: a host name or IP address without scheme or port.

    Parameters
    ----------
    value
        Host as written in the file, e.g. ``127.0.0.1``.

    Returns
    -------
    str
        The host, unchanged.

    Raises
    ------
    ValueError
        If it contains a scheme, path or spaces.
    """
    if _HOST_RE.fullmatch(value) and "://" not in value:
        return value
    raise ValueError("is not a host; give a name or IP address only, like '127.0.0.1' "
                     "(no 'http://', no path)")


def _url_checker(scheme: str) -> Callable[[str], str]:
    """Build a validator requiring an absolute URL with *scheme* and a host."""

    def check_url(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == scheme and parts.hostname and " " not in value:
            return value
        raise ValueError(f"is not a {scheme}:// URL; write it like '{scheme}://host/path'")

    return check_url


#: Bybit instrument name, e.g. ``ETHUSDT``.
Symbol = Annotated[str, AfterValidator(check_symbol)]
#: Non-empty list of distinct symbols.
SymbolList = Annotated[list[Symbol], Field(min_length=1), AfterValidator(check_unique)]
#: Name of an environment variable that holds a secret.
EnvVarName = Annotated[str, AfterValidator(check_env_name)]
#: Interface to bind a local HTTP server to.
Host = Annotated[str, AfterValidator(check_host)]
#: Absolute ``https://`` URL (REST endpoints are only served over TLS).
HttpsUrl = Annotated[str, AfterValidator(_url_checker("https"))]
#: Absolute ``wss://`` URL (WebSocket streams are only served over TLS).
WssUrl = Annotated[str, AfterValidator(_url_checker("wss"))]
#: TCP port.
Port = Annotated[int, Field(ge=1, le=65535)]
