"""Find strategies by name or file, and describe them.

A strategy spec is either a built-in name (case-insensitive, ``Strategy`` suffix and
``_``/``-`` optional: ``rsiemamomentum``, ``RSIEMAMomentum``, ``rsi_ema_momentum`` and
``RSIEMAMomentumStrategy`` are the same) or ``path/to/file.py:ClassName`` for a user file
(``:ClassName`` may be left out when the file defines exactly one strategy).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import backtrader as bt

from backtrader_engine.errors import StrategyError, did_you_mean
from backtrader_engine.strategies.bollinger_reversion import BollingerReversionStrategy
from backtrader_engine.strategies.contrarian_volume_spike import ContrarianVolumeSpikeStrategy
from backtrader_engine.strategies.ema_breakout_conservative import (
    EMABreakoutConservativeStrategy,
)
from backtrader_engine.strategies.params import apply_params, strategy_params
from backtrader_engine.strategies.rsi_ema_momentum import RSIEMAMomentumStrategy
from backtrader_engine.strategies.space import space_of
from backtrader_engine.strategies.trend_following_adx_ema import TrendFollowingADXEMAStrategy
from backtrader_engine.strategies.volatility_breakout import VolatilityBreakoutStrategy

__all__ = [
    "BUILTIN_STRATEGIES",
    "StrategyInfo",
    "apply_params",
    "describe_strategies",
    "resolve_strategy",
    "strategy_params",
]

BUILTIN_STRATEGIES: dict[str, type[bt.Strategy]] = {
    cls.__name__: cls
    for cls in (
        VolatilityBreakoutStrategy,
        RSIEMAMomentumStrategy,
        BollingerReversionStrategy,
        EMABreakoutConservativeStrategy,
        ContrarianVolumeSpikeStrategy,
        TrendFollowingADXEMAStrategy,
    )
}

_USE_FILE_HINT = "or use path/to/file.py:ClassName"
# Prefix of the sys.modules names given to user strategy files.
_MODULE_PREFIX = "bte_user_strategy_"


def _normalise(name: str) -> str:
    key = re.sub(r"[^0-9a-z]", "", name.lower())
    return key.removesuffix("strategy") or key


_BY_KEY: dict[str, type[bt.Strategy]] = {_normalise(n): c for n, c in BUILTIN_STRATEGIES.items()}


def resolve_strategy(spec: str) -> type[bt.Strategy]:
    """Return the strategy class named by *spec*.

    Parameters
    ----------
    spec : str
        A built-in name in any of its spellings, or ``path/to/file.py[:ClassName]``.

    Returns
    -------
    type[bt.Strategy]
        The class, ready for ``cerebro.addstrategy``.

    Raises
    ------
    StrategyError
        For an unknown name (with did-you-mean and the list of built-ins), a missing file, a
        file that fails to import, a missing class or one that is not a ``bt.Strategy``.
    """
    spec = spec.strip()
    path_text, class_name = _split_file_spec(spec)
    if path_text is not None:
        return _load_from_file(Path(path_text), class_name)
    key = _normalise(spec)
    cls = _BY_KEY.get(key)
    if cls is not None:
        return cls
    # Match on the normalised spelling (so "rsi_ema_momentm" still finds its class) but
    # suggest the canonical class names.
    close = difflib.get_close_matches(key, list(_BY_KEY), n=3, cutoff=0.6)
    hint = (
        " (did you mean " + " or ".join(f"'{_BY_KEY[k].__name__}'" for k in close) + "?)"
        if close
        else ""
    )
    raise StrategyError(
        f"unknown strategy '{spec}'{hint}; built-ins: {', '.join(BUILTIN_STRATEGIES)}, "
        f"{_USE_FILE_HINT}"
    )


def _split_file_spec(spec: str) -> tuple[str | None, str | None]:
    """Split ``path[:Class]``; returns ``(None, None)`` when *spec* is not a file spec."""
    head, sep, tail = spec.rpartition(":")
    # The part after the last colon is a class name only if it is an identifier; this keeps a
    # Windows drive ("C:\\x\\s.py") or a bare path from being cut in two.
    if sep and tail.isidentifier() and head:
        return head, tail
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        return spec, None
    return None, None


def _module_name(path: Path) -> str:
    # Deterministic per file, so a worker process that resolves the same spec registers the same
    # module name and can unpickle instances of the user's classes.
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    return f"{_MODULE_PREFIX}{stem}_{digest}"


def _import_file(path: Path) -> ModuleType:
    name = _module_name(path)
    cached = sys.modules.get(name)
    if cached is not None and getattr(cached, "__file__", None) == str(path):
        return cached
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise StrategyError(f"cannot load strategy file '{path}' as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    # Registered before executing so dataclasses, pickling and multiprocessing can look the
    # module up by name while it is being imported and afterwards.
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except SystemExit as exc:
        # Caught, or the whole command would end here with the file's exit status and no
        # word of why (exit 0 for sys.exit()).
        del sys.modules[name]
        code = "" if exc.code is None else repr(exc.code)
        raise StrategyError(f"{_shown(path)} called sys.exit({code}) while being imported; a "
                            f"strategy file must only define classes") from None
    except Exception as exc:
        del sys.modules[name]
        raise StrategyError(_import_failure(path, exc)) from None
    return module


def _shown(path: Path) -> str:
    """*path* relative to the working folder when it lies below it, as the user typed it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _import_failure(path: Path, exc: Exception) -> str:
    """One line naming the file, the line of the file that failed and the exception."""
    message = " ".join(str(exc).split())
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == path:
        # The message already names the file and line ("invalid syntax (x.py, line 3)").
        message = " ".join((exc.msg or "").split())
        return (f"{_shown(path)}:{exc.lineno}: the strategy file failed to import: "
                f"SyntaxError: {message}")
    lines = [entry.lineno for entry in traceback.extract_tb(exc.__traceback__)
             if Path(entry.filename).resolve() == path]
    where = f"{_shown(path)}:{lines[-1]}" if lines else _shown(path)
    return f"{where}: the strategy file failed to import: {type(exc).__name__}: {message}"


def _strategies_in(module: ModuleType) -> dict[str, type[bt.Strategy]]:
    """Strategy classes defined in *module* itself (not merely imported into it)."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, bt.Strategy)
        and obj.__module__ == module.__name__
    }


def _load_from_file(path: Path, class_name: str | None) -> type[bt.Strategy]:
    path = path.expanduser().resolve()
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise StrategyError(f"strategy file '{path}' {what}")
    if path.suffix != ".py":
        raise StrategyError(f"strategy file '{path}' must be a .py file")
    module = _import_file(path)
    found = _strategies_in(module)
    if class_name is None:
        if len(found) == 1:
            return next(iter(found.values()))
        if not found:
            raise StrategyError(f"strategy file '{path}' defines no backtrader.Strategy subclass")
        raise StrategyError(
            f"strategy file '{path}' defines several strategies ({', '.join(found)}); "
            f"choose one with {path.name}:ClassName"
        )
    obj = getattr(module, class_name, None)
    if obj is None:
        listed = ", ".join(found) or "none"
        raise StrategyError(
            f"strategy file '{path}' has no class '{class_name}'"
            f"{did_you_mean(class_name, found)}; strategies in the file: {listed}"
        )
    if not (inspect.isclass(obj) and issubclass(obj, bt.Strategy)):
        raise StrategyError(f"'{class_name}' in '{path}' is not a backtrader.Strategy subclass")
    return obj


@dataclass(frozen=True)
class StrategyInfo:
    """What ``python -m backtrader_engine strategies`` shows for one strategy."""

    name: str
    summary: str
    params: dict[str, object]
    space_size: int


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def describe_strategies(
    strategies: dict[str, type[bt.Strategy]] | None = None,
) -> list[StrategyInfo]:
    """Describe *strategies* (default: the built-ins): name, summary, params, space size."""
    chosen = BUILTIN_STRATEGIES if strategies is None else strategies
    return [
        StrategyInfo(
            name=name,
            summary=_summary(cls),
            params=strategy_params(cls),
            space_size=len(space_of(cls)),
        )
        for name, cls in chosen.items()
    ]
