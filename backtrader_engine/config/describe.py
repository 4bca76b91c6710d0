"""Field listings of the configuration models, for docs and the dashboard's settings panel."""

from __future__ import annotations

import json
import types
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

_SCALAR_NAMES: dict[Any, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    SecretStr: "secret string",
    type(None): "null",
}

_BOUNDS: tuple[tuple[type, str, str], ...] = (
    (annotated_types.Ge, "ge", ">="),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "<="),
    (annotated_types.Lt, "lt", "<"),
)


def describe_fields(model: type[BaseModel]) -> list[tuple[str, str, str]]:
    """List every field of *model*, nested ones included, with its type and description.

    Parameters
    ----------
    model
        A configuration model class, e.g. ``BybitConfig`` or ``AppConfig``.

    Returns
    -------
    list[tuple[str, str, str]]
        ``(dotted name, type, description)`` rows in declaration order. A nested object gets a
        row of its own followed by its fields (``fees``, ``fees.taker``, ...); entries of a
        mapping are shown under a ``<name>`` placeholder (``strategies.<name>.symbols``). The
        type is written in JSON terms with its bounds, e.g. ``number, >= 0, < 0.01``.
    """
    rows: list[tuple[str, str, str]] = []
    _walk(model, "", rows)
    return rows


def _walk(model: type[BaseModel], prefix: str, rows: list[tuple[str, str, str]]) -> None:
    """Append the rows of *model*'s fields, recursing into nested models."""
    for name, info in model.model_fields.items():
        dotted = prefix + name
        rows.append((dotted, _field_type(info), info.description or ""))
        annotation = _strip(info.annotation)
        if _is_model(annotation):
            _walk(annotation, dotted + ".", rows)
        elif get_origin(annotation) is dict and _is_model(_strip(get_args(annotation)[1])):
            _walk(_strip(get_args(annotation)[1]), dotted + ".<name>.", rows)


def _field_type(info: FieldInfo) -> str:
    """Type label of one field, followed by its bounds."""
    parts = [_label(info.annotation), *_bounds(info.metadata)]
    return ", ".join(parts)


def _label(annotation: Any) -> str:
    """Describe *annotation* in JSON terms."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _label(get_args(annotation)[0])
    if origin is Literal:
        return " | ".join(json.dumps(value) for value in get_args(annotation))
    if origin in {Union, types.UnionType}:
        return " | ".join(_label(arg) for arg in get_args(annotation))
    if origin is list:
        return f"list[{_label(get_args(annotation)[0])}]"
    if origin is dict:
        key, value = get_args(annotation)
        return f"mapping of {_label(key)} → {_label(value)}"
    if _is_model(annotation):
        return "object"
    return _SCALAR_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(metadata: Iterable[object]) -> list[str]:
    """Render numeric bounds and list-length limits found in field metadata."""
    rendered: list[str] = []
    for item in metadata:
        for kind, attribute, symbol in _BOUNDS:
            if isinstance(item, kind):
                rendered.append(f"{symbol} {getattr(item, attribute):g}")
        if isinstance(item, annotated_types.MinLen) and item.min_length > 0:
            noun = "item" if item.min_length == 1 else "items"
            rendered.append(f"at least {item.min_length} {noun}")
        if isinstance(item, annotated_types.MaxLen):
            rendered.append(f"at most {item.max_length} items")
    return rendered


def _strip(annotation: Any) -> Any:
    """Remove an ``Annotated`` wrapper."""
    if get_origin(annotation) is Annotated:
        return get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    """Whether *annotation* is a pydantic model class."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
