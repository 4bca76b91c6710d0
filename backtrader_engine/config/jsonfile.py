"""Reading one configuration JSON file, with precise errors and a guard against secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from backtrader_engine.config.credentials import (
    BYBIT_API_KEY_ENV,
    BYBIT_SECRET_KEY_ENV,
    GRAFANA_PASSWORD_ENV,
    TELEGRAM_BOT_TOKEN_ENV,
    TELEGRAM_CHAT_ID_ENV,
)
from backtrader_engine.config.messages import field_path, format_problem
from backtrader_engine.config.strict_json import NonFiniteNumberError, loads_finite
from backtrader_engine.errors import ConfigError

# Keys that name a secret. Matched on the whole key or its last word, so 'bot_token' and
# 'apiKey' are caught while 'token_env' (the *name* of a variable) and a strategy called
# 'TokenMomentumStrategy' are not.
_SECRET_KEY_RE = re.compile(
    r"(?:^|_)(?P<word>api_?key|access_?key|secret(?:_?key)?|private_?key|token|password|"
    r"passwd|passphrase|chat_?id)$"
)

_ENV_FOR_WORD = (
    ("token", TELEGRAM_BOT_TOKEN_ENV),
    ("chat", TELEGRAM_CHAT_ID_ENV),
    ("pass", GRAFANA_PASSWORD_ENV),
    ("secret", BYBIT_SECRET_KEY_ENV),
    ("private", BYBIT_SECRET_KEY_ENV),
    ("key", BYBIT_API_KEY_ENV),
)


def read_json_object(path: Path, source: str) -> dict[str, Any]:
    """Parse *path* as a JSON object and make sure it holds no secrets.

    Parameters
    ----------
    path
        File to read.
    source
        How the file is named in messages.

    Returns
    -------
    dict[str, Any]
        The top-level object.

    Raises
    ------
    ConfigError
        If the file cannot be read, is not valid JSON (with line and column), repeats a key,
        holds NaN, Infinity or a number beyond a float's range, is not an object at the top
        level, or contains a secret-like key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: is not UTF-8 text (byte {exc.start}); save it as "
                          "UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read ({exc.strerror or exc}); check the path "
                          "and its permissions") from exc
    try:
        data = loads_finite(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "fix the syntax (JSON allows no comments, trailing commas or single quotes)"
        ) from exc
    except (NonFiniteNumberError, _JsonValueError) as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: top level is a JSON {_json_kind(data)}, but must be an object "
            "({\"key\": value, ...}); wrap the settings in braces"
        )
    reject_secret_keys(data, source)
    return data


def reject_secret_keys(data: object, source: str, loc: tuple[str | int, ...] = ()) -> None:
    """Raise if any key anywhere in *data* looks like it holds a secret.

    Parameters
    ----------
    data
        Parsed JSON.
    source
        How the file is named in messages.
    loc
        Location of *data* inside the file (used while recursing).

    Raises
    ------
    ConfigError
        Naming the key and the environment variable to use instead; the value is never shown.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            word = _secret_word(key)
            if word is not None:
                raise ConfigError(format_problem(
                    source, field_path((*loc, key)), None,
                    "looks like a secret, and secrets are never read from config files",
                    f"remove it and set the {_env_for(word)} environment variable instead",
                    show_value=False,
                ))
            reject_secret_keys(value, source, (*loc, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            reject_secret_keys(item, source, (*loc, index))


def _secret_word(key: str) -> str | None:
    """Return the secret word *key* ends with, normalising camelCase and dashes first."""
    normal = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).replace("-", "_").lower()
    match = _SECRET_KEY_RE.search(normal)
    return match.group("word") if match else None


def _env_for(word: str) -> str:
    """Pick the environment variable that is meant to hold a secret called *word*."""
    for fragment, env_name in _ENV_FOR_WORD:
        if fragment in word:
            return env_name
    return BYBIT_API_KEY_ENV


class _JsonValueError(ValueError):
    """Raised from the JSON hooks; carries a complete problem-and-fix text."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build an object, refusing repeated keys: JSON silently keeps the last one."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonValueError(f"key '{key}' appears twice in the same object; keep only one "
                                  "(the earlier value would be silently ignored)")
        result[key] = value
    return result


def _json_kind(value: object) -> str:
    """Name *value*'s JSON type for messages."""
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"
