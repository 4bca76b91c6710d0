"""JSON numbers as JSON defines them: finite.

Python's reader accepts ``NaN``, ``Infinity`` and ``-Infinity``, which JSON does not define, and
turns a number too large for a float (``1e400``) into ``inf``; either would then pass every
``value > 0`` check and reach an account as infinite cash. :func:`loads_finite` parses like
``json.loads`` and refuses both, naming the field that holds the number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from backtrader_engine.config.messages import field_path


class NonFiniteNumberError(ValueError):
    """A number in the document is NaN, ±Infinity or beyond a float's range."""

    def __init__(self, field: str, text: str) -> None:
        self.field = field
        self.text = text
        if text in ("NaN", "Infinity", "-Infinity"):
            message = (f"field '{field}' contains {text}, which is not valid JSON; use an "
                       "ordinary finite number")
        else:
            message = (f"field '{field}' = {text}: is beyond the range of a number (it would be "
                       "read as infinity); use a finite number")
        super().__init__(message)


class _NonFinite(float):
    """A non-finite number kept with the text it was written as, found after parsing."""

    text: str

    def __new__(cls, text: str) -> _NonFinite:
        value = super().__new__(cls, float(text.replace("Infinity", "inf")))
        value.text = text
        return value


def _parse_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _parse_int(text: str) -> int | float:
    # Python reads any length of digits as an int; one that no float can hold is as unusable
    # as 1e400 for a setting that is compared with floats.
    value = int(text)
    try:
        float(value)
    except OverflowError:
        return _NonFinite(text)
    return value


def find_non_finite(data: object, loc: tuple[str | int, ...] = ()) -> NonFiniteNumberError | None:
    """The first non-finite number in parsed *data* (by document order), or None."""
    if isinstance(data, float) and not math.isfinite(data):
        text = data.text if isinstance(data, _NonFinite) else repr(data)
        return NonFiniteNumberError(field_path(loc) or "(top level)", text)
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else ())
    for key, value in items:
        found = find_non_finite(value, (*loc, key))
        if found is not None:
            return found
    return None


def loads_finite(text: str, *,
                 object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """``json.loads`` that refuses NaN, Infinity and numbers beyond a float's range.

    Raises
    ------
    json.JSONDecodeError
        On a syntax error, as ``json.loads``.
    NonFiniteNumberError
        Naming the first field (``fees.taker``, ``symbols[2]``) that holds such a number.
    """
    data = json.loads(text, object_pairs_hook=object_pairs_hook, parse_float=_parse_float,
                      parse_int=_parse_int, parse_constant=_NonFinite)
    problem = find_non_finite(data)
    if problem is not None:
        raise problem
    return data
