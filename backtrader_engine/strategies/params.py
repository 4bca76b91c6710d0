"""Strategy parameters: defaults, and coercion of command-line overrides.

``--param lookback=20`` arrives as the string ``"20"``; it is converted to the type of the
parameter's default so that backtrader indicators receive an ``int`` period, not a string.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

import backtrader as bt

from backtrader_engine.errors import StrategyError, did_you_mean

_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", "off"})
_NONE_WORDS = frozenset({"none", "null"})

ParamValue = str | float | int | bool

#: Largest magnitude of an integer parameter. Integer parameters are periods, counts and
#: windows; ``1e9`` bars is no period any backtest has data for, and such a value (usually a
#: typo) would only make the strategy wait for ever without a signal.
MAX_INT_PARAM = 10_000_000


def strategy_params(cls: type[bt.Strategy]) -> dict[str, object]:
    """Return the parameters of a strategy class as ``{name: default}``, in declaration order.

    Parameters
    ----------
    cls : type[bt.Strategy]
        A backtrader strategy class (built-in or user-defined).

    Returns
    -------
    dict[str, object]
        Every parameter the class accepts, inherited ones included.
    """
    return dict(cls.params._getpairs())


def apply_params(cls: type[bt.Strategy], overrides: Mapping[str, object]) -> dict[str, object]:
    """Merge *overrides* into the defaults of *cls*, coercing each value to the default's type.

    Parameters
    ----------
    cls : type[bt.Strategy]
        The strategy the parameters are for.
    overrides : Mapping[str, object]
        Values from the CLI (strings) or from a config/optimiser (already typed, usually
        ``str | float | int | bool``).

    Returns
    -------
    dict[str, object]
        The complete parameter set (defaults updated with the coerced overrides), ready for
        ``cerebro.addstrategy(cls, **params)``.

    Raises
    ------
    StrategyError
        For an unknown parameter name (with a did-you-mean hint) or a value that cannot be
        converted to the parameter's type.
    """
    params = strategy_params(cls)
    for name, raw in overrides.items():
        if name not in params:
            raise StrategyError(
                f"{cls.__name__} has no parameter '{name}'{did_you_mean(name, params)}; "
                f"parameters: {', '.join(params) or '(none)'}"
            )
        params[name] = coerce_value(raw, params[name], f"{cls.__name__}.{name}")
    return params


def coerce_value(raw: object, default: object, where: str) -> object:
    """Convert *raw* to the type of *default*; *where* names the parameter in error messages."""
    # bool must be tested before int: bool is a subclass of int in Python.
    if isinstance(default, bool):
        return _to_bool(raw, where)
    if isinstance(default, int):
        return _to_int(raw, where)
    if isinstance(default, float):
        return _to_float(raw, where)
    if isinstance(default, str):
        if isinstance(raw, str):
            return raw
        raise StrategyError(f"{where}: expected a string, got {raw!r}")
    if default is None:
        if isinstance(raw, float) and not math.isfinite(raw):
            raise StrategyError(f"{where}: expected a finite number, got {raw!r}")
        if isinstance(raw, str):
            try:
                return _guess(raw)
            except StrategyError as exc:
                raise StrategyError(f"{where}: {exc}") from None
        return raw
    return _to_literal(raw, default, where)


def _to_bool(raw: object, where: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise StrategyError(f"{where}: expected a boolean (true/false/1/0/yes/no), got {raw!r}")


def _to_int(raw: object, where: str) -> int:
    if isinstance(raw, bool):
        raise StrategyError(f"{where}: expected an integer, got {raw!r}")
    if isinstance(raw, int):
        return _within_int_range(raw, raw, where)
    value: float | None = None
    if isinstance(raw, float):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        try:
            return _within_int_range(int(text), raw, where)
        except ValueError:
            # "20.0" is accepted as 20: spreadsheets and optimiser exports often write integers
            # as floats. "20.5" is still an error below.
            try:
                value = float(text)
            except ValueError:
                value = None
    if value is not None and math.isfinite(value) and value.is_integer():
        return _within_int_range(int(value), raw, where)
    raise StrategyError(f"{where}: expected an integer, got {raw!r}")


def _within_int_range(value: int, raw: object, where: str) -> int:
    if abs(value) > MAX_INT_PARAM:
        raise StrategyError(f"{where}: {raw!r} is out of range; expected an integer from "
                            f"-{MAX_INT_PARAM:,} to {MAX_INT_PARAM:,}")
    return value


def _to_float(raw: object, where: str) -> float:
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise StrategyError(f"{where}: expected a finite number, got {raw!r}")
    return value


def _guess(text: str) -> object:
    """Best-effort typing for a parameter whose default is ``None`` (its type is unknown)."""
    word = text.strip().lower()
    if word in _NONE_WORDS:
        return None
    if word in ("true", "false"):
        return word == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        # "inf" or "1e400" would reach the strategy as infinity and pass its "> 0" checks.
        raise StrategyError(f"'{text}' is not a finite number; expected an ordinary number")
    return value


def _to_literal(raw: object, default: object, where: str) -> object:
    """Handle less common defaults (tuples, lists, ...) by parsing a Python literal."""
    value = raw
    if isinstance(raw, str):
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw
    if isinstance(value, type(default)):
        return value
    raise StrategyError(
        f"{where}: expected a value of type {type(default).__name__} like {default!r}, got {raw!r}"
    )
