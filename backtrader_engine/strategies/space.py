"""Search-space declarations for strategy optimisation.

A strategy declares what an optimiser may vary in a class attribute written with plain dicts, so
a user's strategy file needs no import from this package::

    class MyStrategy(bt.Strategy):
        params = (("lookback", 20), ("multiplier", 2.0), ("mode", "a"), ("risk", 0.01))
        search_space = {
            "lookback": {"type": "int", "low": 10, "high": 40, "step": 1},
            "multiplier": {"type": "float", "low": 1.0, "high": 4.0, "step": 0.1},
            "mode": {"type": "categorical", "choices": ["a", "b"]},
            "risk": {"type": "float", "low": 0.001, "high": 0.05, "log": True},
        }

The same mapping can live in a JSON file (:func:`load_space_file`). :func:`parse_space` turns it
into :class:`ParamSpec` objects and rejects anything Optuna would refuse or silently alter, so a
study fails before its first trial rather than in the middle of it.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import backtrader as bt

from backtrader_engine.config.strict_json import NonFiniteNumberError, loads_finite
from backtrader_engine.errors import StrategyError, did_you_mean
from backtrader_engine.strategies.params import MAX_INT_PARAM, strategy_params

# Optuna stores categorical choices in its storage, which only accepts these scalar types.
_CHOICE_TYPES = (bool, int, float, str, type(None))
# (high - low) / step of 3.0 / 0.1 is 30.000000000000004: tolerate float representation error.
_STEP_TOL = 1e-6


@dataclass(frozen=True)
class ParamSpec(ABC):
    """One optimisable parameter: :class:`IntParam`, :class:`FloatParam` or
    :class:`CategoricalParam`."""

    kind: ClassVar[str] = ""

    @abstractmethod
    def suggest(self, trial: Any, name: str) -> object:
        """Ask an Optuna-like *trial* for a value of parameter *name*.

        Parameters
        ----------
        trial : optuna.trial.Trial or any object with the same ``suggest_*`` methods
            Duck-typed so this module does not depend on Optuna.
        name : str
            The strategy parameter name, used as the Optuna parameter name.

        Returns
        -------
        object
            The suggested value.
        """

    @abstractmethod
    def to_dict(self) -> dict[str, object]:
        """Return the plain-dict form accepted by :func:`parse_space` (JSON-serialisable)."""

    @abstractmethod
    def check(self, where: str) -> None:
        """Raise :class:`StrategyError` if the spec is inconsistent; *where* prefixes messages."""

    @abstractmethod
    def default_fits(self, default: object) -> bool:
        """Whether values drawn from this spec have a type compatible with *default*."""


@dataclass(frozen=True)
class IntParam(ParamSpec):
    """Integer range ``low..high`` (both inclusive) in steps of ``step``, optionally log-scaled."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    kind: ClassVar[str] = "int"

    def suggest(self, trial: Any, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": "int", "low": self.low, "high": self.high}
        if self.step != 1:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out

    def check(self, where: str) -> None:
        for key in ("low", "high", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise StrategyError(f"{where}: '{key}' must be an integer, got {value!r}")
            if abs(value) > MAX_INT_PARAM:
                raise StrategyError(f"{where}: '{key}' {value} is out of range; expected an "
                                    f"integer from -{MAX_INT_PARAM:,} to {MAX_INT_PARAM:,}")
        _check_common(where, self.low, self.high, self.step, self.log)
        if self.log and self.step != 1:
            raise StrategyError(f"{where}: a log-scaled int range needs step 1")
        if (self.high - self.low) % self.step:
            raise StrategyError(
                f"{where}: high - low ({self.high - self.low}) is not a multiple of step "
                f"{self.step}; Optuna would silently lower 'high'"
            )

    def default_fits(self, default: object) -> bool:
        return isinstance(default, int | float) and not isinstance(default, bool)


@dataclass(frozen=True)
class FloatParam(ParamSpec):
    """Float range ``low..high``; ``step`` discretises it, ``log`` samples it log-uniformly."""

    low: float
    high: float
    step: float | None = None
    log: bool = False
    kind: ClassVar[str] = "float"

    def suggest(self, trial: Any, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": "float", "low": self.low, "high": self.high}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out

    def check(self, where: str) -> None:
        for key in ("low", "high", "step"):
            value = getattr(self, key)
            if key == "step" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StrategyError(f"{where}: '{key}' must be a number, got {value!r}")
            if not math.isfinite(value):
                raise StrategyError(f"{where}: '{key}' must be finite, got {value!r}")
        _check_common(where, self.low, self.high, self.step, self.log)
        if self.log and self.step is not None:
            raise StrategyError(f"{where}: a float range cannot have both 'step' and 'log'")
        if self.step is not None:
            steps = (self.high - self.low) / self.step
            if abs(steps - round(steps)) > _STEP_TOL * max(1.0, abs(steps)):
                raise StrategyError(
                    f"{where}: high - low ({self.high - self.low:g}) is not a multiple of step "
                    f"{self.step:g}; Optuna would silently lower 'high'"
                )

    def default_fits(self, default: object) -> bool:
        return isinstance(default, float)


@dataclass(frozen=True)
class CategoricalParam(ParamSpec):
    """A fixed list of choices (bool, int, float, str or None)."""

    choices: tuple[object, ...] = field(default_factory=tuple)
    kind: ClassVar[str] = "categorical"

    def suggest(self, trial: Any, name: str) -> object:
        return trial.suggest_categorical(name, list(self.choices))

    def to_dict(self) -> dict[str, object]:
        return {"type": "categorical", "choices": list(self.choices)}

    def check(self, where: str) -> None:
        if not isinstance(self.choices, tuple) or not self.choices:
            raise StrategyError(f"{where}: 'choices' must be a non-empty list")
        for choice in self.choices:
            if not isinstance(choice, _CHOICE_TYPES):
                raise StrategyError(
                    f"{where}: choice {choice!r} is not a bool, number, string or null"
                )
            if isinstance(choice, float) and not math.isfinite(choice):
                raise StrategyError(f"{where}: choice {choice!r} is not a finite number")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise StrategyError(f"{where}: 'choices' contains duplicates")

    def default_fits(self, default: object) -> bool:
        if isinstance(default, bool):
            return all(isinstance(c, bool) for c in self.choices)
        if isinstance(default, int):
            return all(isinstance(c, int) and not isinstance(c, bool) for c in self.choices)
        if isinstance(default, float):
            return all(isinstance(c, int | float) and not isinstance(c, bool) for c in self.choices)
        if isinstance(default, str):
            return all(isinstance(c, str) for c in self.choices)
        return True


def _check_common(where: str, low: float, high: float, step: float | None, log: bool) -> None:
    if low > high:
        raise StrategyError(f"{where}: low ({low}) is greater than high ({high})")
    if step is not None and step <= 0:
        raise StrategyError(f"{where}: step must be positive, got {step}")
    if log and low <= 0:
        raise StrategyError(f"{where}: a log-scaled range needs low > 0, got {low}")


_KINDS: dict[str, tuple[type[ParamSpec], frozenset[str], frozenset[str]]] = {
    # kind -> (class, required keys, optional keys)
    "int": (IntParam, frozenset({"low", "high"}), frozenset({"step", "log"})),
    "float": (FloatParam, frozenset({"low", "high"}), frozenset({"step", "log"})),
    "categorical": (CategoricalParam, frozenset({"choices"}), frozenset()),
}


def _spec_from_dict(raw: Mapping[str, object], where: str) -> ParamSpec:
    kind = raw.get("type")
    if kind not in _KINDS:
        hint = did_you_mean(kind, _KINDS) if isinstance(kind, str) else ""
        raise StrategyError(
            f"{where}: 'type' must be one of {', '.join(_KINDS)}, got {kind!r}{hint}"
        )
    cls, required, optional = _KINDS[kind]
    keys = set(raw) - {"type"}
    unknown = sorted(map(str, keys - required - optional))
    if unknown:
        raise StrategyError(
            f"{where}: unknown key '{unknown[0]}' for a {kind} parameter"
            f"{did_you_mean(unknown[0], required | optional)}; allowed: "
            f"{', '.join(sorted(required | optional))}"
        )
    missing = sorted(required - keys)
    if missing:
        raise StrategyError(f"{where}: a {kind} parameter needs {', '.join(missing)}")
    if "log" in raw and not isinstance(raw["log"], bool):
        raise StrategyError(f"{where}: 'log' must be true or false, got {raw['log']!r}")
    if cls is CategoricalParam:
        choices = raw["choices"]
        if isinstance(choices, str) or not isinstance(choices, Sequence):
            raise StrategyError(f"{where}: 'choices' must be a list, got {choices!r}")
        return CategoricalParam(tuple(choices))
    return cls(**{k: raw[k] for k in keys})


def parse_space(
    raw: Mapping[str, object], params: Iterable[str], origin: str
) -> dict[str, ParamSpec]:
    """Validate a search-space mapping and return it as :class:`ParamSpec` objects.

    Parameters
    ----------
    raw : Mapping[str, object]
        ``{param_name: spec}`` where each spec is a plain dict (see module docstring) or an
        already-built :class:`ParamSpec`.
    params : Iterable[str]
        The strategy's parameter names. When it is a mapping of names to defaults (as returned by
        :func:`strategy_params`), each spec is also checked to produce values of the default's
        type (an ``int`` period cannot get a float range).
    origin : str
        Where the space came from (``"MyStrategy.search_space"``, a file path), used to prefix
        error messages.

    Returns
    -------
    dict[str, ParamSpec]
        In the order of *raw*.

    Raises
    ------
    StrategyError
        On an unknown parameter name (with did-you-mean), an unknown spec type or key, a bad
        bound, step or choice list, or a spec whose type does not fit the parameter's default.
    """
    if not isinstance(raw, Mapping):
        raise StrategyError(
            f"{origin}: a search space must be a mapping of parameter names to specs, "
            f"got {type(raw).__name__}"
        )
    defaults = params if isinstance(params, Mapping) else None
    names = list(params)
    space: dict[str, ParamSpec] = {}
    for name, spec_raw in raw.items():
        where = f"{origin}: '{name}'"
        if name not in names:
            raise StrategyError(
                f"{where} is not a parameter of the strategy{did_you_mean(str(name), names)}"
            )
        if isinstance(spec_raw, ParamSpec):
            spec = spec_raw
        elif isinstance(spec_raw, Mapping):
            spec = _spec_from_dict(spec_raw, where)
        else:
            raise StrategyError(
                f"{where}: expected a dict with 'type', got {type(spec_raw).__name__}"
            )
        spec.check(where)
        if defaults is not None and not spec.default_fits(defaults[name]):
            raise StrategyError(
                f"{where}: a {spec.kind} spec does not fit the default {defaults[name]!r} "
                f"({type(defaults[name]).__name__})"
            )
        space[name] = spec
    return space


def space_of(strategy_cls: type[bt.Strategy]) -> dict[str, ParamSpec]:
    """Return the validated ``search_space`` of a strategy class (``{}`` if it declares none)."""
    raw = getattr(strategy_cls, "search_space", None)
    if raw is None:
        return {}
    return parse_space(raw, strategy_params(strategy_cls), f"{strategy_cls.__name__}.search_space")


def load_space_file(path: str | Path, strategy_cls: type[bt.Strategy]) -> dict[str, ParamSpec]:
    """Read a search space from a JSON file and validate it against *strategy_cls*.

    The file holds the same mapping as a ``search_space`` attribute, e.g.
    ``{"lookback": {"type": "int", "low": 10, "high": 40}}``.

    Raises
    ------
    StrategyError
        If the file is missing, unreadable, not valid JSON, or fails :func:`parse_space`.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StrategyError(f"search-space file '{file}' does not exist") from None
    except UnicodeDecodeError as exc:
        raise StrategyError(f"search-space file '{file}' is not UTF-8 text (byte {exc.start}); "
                            "expected JSON such as "
                            '{"period": {"type": "int", "low": 5, "high": 50}}') from None
    except OSError as exc:
        raise StrategyError(f"cannot read search-space file '{file}': {exc.strerror}") from None
    try:
        raw = loads_finite(text)
    except json.JSONDecodeError as exc:
        raise StrategyError(
            f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except NonFiniteNumberError as exc:
        raise StrategyError(f"{file}: {exc}") from None
    return parse_space(raw, strategy_params(strategy_cls), str(file))


def space_to_dict(space: Mapping[str, ParamSpec]) -> dict[str, dict[str, object]]:
    """Inverse of :func:`parse_space`: the plain-dict (JSON) form of a parsed space."""
    return {name: spec.to_dict() for name, spec in space.items()}
