"""One-line configuration error messages.

Every configuration problem is reported as a single line of the form::

    <file>: field '<dotted.path>' = <value>: <what is wrong>; <what to do>

so that the CLI can print it without a traceback and a user can fix the file without reading code.
This module builds those lines, both for the named cross-field rules and for pydantic's own
field-level :class:`~pydantic.ValidationError`.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from backtrader_engine.errors import did_you_mean

#: Longest rendering of an offending value; a whole nested object would swamp the line.
MAX_VALUE_CHARS = 60

DOCS_HINT = "see docs/configuration.md"


def format_value(value: object) -> str:
    """Render *value* the way it is written in a JSON file, shortened to one readable token.

    Parameters
    ----------
    value
        The offending value, usually straight from the parsed JSON.

    Returns
    -------
    str
        JSON spelling (``true``, ``"ETHUSDT"``, ``0.02``), cut to :data:`MAX_VALUE_CHARS`.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def field_path(loc: Sequence[str | int]) -> str:
    """Join a pydantic location into a dotted path, list indexes in brackets (``symbols[1]``).

    Parameters
    ----------
    loc
        Location tuple as found in ``ValidationError.errors()[i]["loc"]``.

    Returns
    -------
    str
        Dotted field path, e.g. ``fees.taker`` or ``strategies.X.symbols[0]``.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def format_problem(
    source: str,
    field: str | None,
    value: object,
    problem: str,
    fix: str | None = None,
    *,
    show_value: bool = True,
) -> str:
    """Build the canonical one-line message.

    Parameters
    ----------
    source
        File the problem is in, as the user would type it (``configs/risk_config.json``).
    field
        Dotted field path, or ``None`` for a problem with the file as a whole.
    value
        The offending value; ignored when *show_value* is false.
    problem
        What is wrong, phrased to follow the value (``must not exceed ...``).
    fix
        What is expected or how to fix it; omitted when *problem* already says so.
    show_value
        Hide the value, e.g. for a missing key or anything that might be a secret.

    Returns
    -------
    str
        ``"<source>: field '<field>' = <value>: <problem>; <fix>"`` without a trailing newline.
    """
    where = source
    if field:
        where += f": field '{field}'"
        if show_value:
            where += f" = {format_value(value)}"
    line = f"{where}: {problem}"
    if fix:
        line += f"; {fix}"
    return " ".join(line.split())


def format_validation_error(source: str, error: ValidationError, model: type[BaseModel]) -> str:
    """Turn pydantic's multi-line error into the canonical one-line message.

    Only the first problem is described, because fixing it often fixes the others; the count
    of the rest is appended so the user knows to run the check again.

    Parameters
    ----------
    source
        File being validated.
    error
        The error raised by ``model.model_validate``.
    model
        Model that was validated; used to suggest the nearest valid key for a misspelt one.

    Returns
    -------
    str
        One line naming the file, the field, the value, the problem and the fix.
    """
    details = error.errors(include_url=False)
    first = details[0]
    loc = tuple(first["loc"])
    problem, fix, show_value = _describe(first, model, loc)
    if loc and str(loc[-1]).endswith("_env"):
        # A value rejected as a variable *name* is most likely the secret itself pasted in.
        show_value = False
    line = format_problem(source, field_path(loc), first.get("input"), problem, fix,
                          show_value=show_value)
    if len(details) > 1:
        more = len(details) - 1
        line += f" (+{more} more problem{'s' if more > 1 else ''} in this file)"
    return line


def _describe(detail: ErrorDetails, model: type[BaseModel],
              loc: tuple[str | int, ...]) -> tuple[str, str | None, bool]:
    """Return ``(problem, fix, show_value)`` for one pydantic error entry."""
    kind = detail["type"]
    if kind == "extra_forbidden":
        return _describe_unknown_key(model, loc)
    if kind == "missing":
        return "required key is missing", f"add it ({DOCS_HINT})", False
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "must be a JSON object ({...})", DOCS_HINT, True
    if kind in {"list_type", "tuple_type"}:
        return "must be a JSON list ([...])", DOCS_HINT, True
    message = detail["msg"]
    if kind in {"value_error", "assertion_error"}:
        # Our own validators phrase the problem and fix already; drop pydantic's prefix.
        message = message.split(", ", 1)[1] if ", " in message else message
        return message, None, True
    if message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    return message[:1].lower() + message[1:], None, True


def _describe_unknown_key(model: type[BaseModel],
                          loc: tuple[str | int, ...]) -> tuple[str, str | None, bool]:
    """Phrase an ``extra_forbidden`` error with the nearest valid key as a hint."""
    key = str(loc[-1])
    valid = _keys_at(model, loc[:-1])
    if valid is None:
        return "unknown key", f"remove it ({DOCS_HINT})", True
    hint = did_you_mean(key, valid)
    if hint:
        return f"unknown key{hint}", "rename or remove it", True
    return "unknown key", "valid keys here: " + ", ".join(valid), True


def _keys_at(model: type[BaseModel], parent: tuple[str | int, ...]) -> list[str] | None:
    """List the valid keys of the object at *parent* inside *model*, or ``None`` if unknown."""
    current: Any = model
    for part in parent:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif origin in {dict, Mapping} and get_args(current):
            current = get_args(current)[1]
        elif origin in {list, tuple, Sequence} and get_args(current):
            current = get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` to reach the type that holds the keys."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in {Union, types.UnionType}:
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation
