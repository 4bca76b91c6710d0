"""The config viewer: the effective configuration, field by field, secrets masked.

Values come from :func:`~backtrader_engine.config.load_config_report` (the same loading and
checks as ``config check``), types and descriptions from
:func:`~backtrader_engine.config.describe_fields`. No secret value ever reaches the page: a
field naming an environment variable (``*_env``) shows the variable and whether it is set,
a field whose name looks like a credential shows ``****``, and a URL's password is hidden.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from backtrader_engine.config import AppConfig, describe_fields, load_config_report
from backtrader_engine.config.credentials import (
    BYBIT_API_KEY_ENV,
    BYBIT_SECRET_KEY_ENV,
    GRAFANA_PASSWORD_ENV,
)
from backtrader_engine.dashboard.settings import PASSWORD_ENV as DASHBOARD_PASSWORD_ENV
from backtrader_engine.errors import UserError

MASK = "****"

_SECRET_NAME = re.compile(r"(token|password|passwd|secret|api_?key|private_?key|credential)",
                          re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@\s]*@", re.IGNORECASE)
_SECTIONS = ("bybit", "risk", "alerts", "strategies")


@dataclass(frozen=True)
class ConfigView:
    """The config page: field rows, secret rows and ``config check``'s lines.

    ``problem`` is set (and the tables are empty) when the configuration does not load.
    """

    config_dir: Path
    fields: pd.DataFrame
    secrets: pd.DataFrame
    lines: tuple[str, ...]
    problem: str | None = None


def mask_value(name: str, value: Any, environ: Mapping[str, str]) -> str:
    """The text shown for field *name* holding *value*.

    ``*_env`` fields name a variable: ``TELEGRAM_BOT_TOKEN (set)`` or ``(not set)``. A
    name that looks like a credential shows :data:`MASK`. Anything else is shown as JSON
    text, with the password of any ``scheme://user:password@host`` URL replaced.
    """
    leaf = name.rsplit(".", 1)[-1]
    if leaf.endswith("_env"):
        variable = str(value)
        return f"{variable} ({'set' if environ.get(variable, '').strip() else 'not set'})"
    if _SECRET_NAME.search(leaf) and value not in (None, ""):
        return MASK
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def _expand(pattern: str, data: Any) -> Iterator[tuple[str, Any]]:
    """Concrete (dotted name, value) pairs for a described name with ``<name>`` parts."""
    head, sep, rest = pattern.partition(".")
    if not isinstance(data, dict):
        return
    keys = list(data) if head == "<name>" else [head] if head in data else []
    for key in keys:
        if not sep:
            yield key, data[key]
            continue
        for name, value in _expand(rest, data[key]):
            yield f"{key}.{name}", value


def field_rows(section: str, model: BaseModel, environ: Mapping[str, str]
               ) -> list[dict[str, str]]:
    """One row per leaf field of *model* (the config file *section*), with its description."""
    data = model.model_dump(mode="json")
    rows = []
    for pattern, kind, description in describe_fields(type(model)):
        if kind == "object" or kind.startswith("mapping of string → object"):
            continue  # a heading: its own fields follow as rows
        for name, value in _expand(pattern, data):
            rows.append({"file": Path(getattr(model, "source", section)).name, "field": name,
                         "value": mask_value(name, value, environ), "type": kind,
                         "description": description})
    return rows


def secret_rows(config: AppConfig, environ: Mapping[str, str]) -> list[dict[str, str]]:
    """Each secret: the variable it comes from and whether it is set (never its value)."""
    telegram = config.alerts.telegram
    variables = {"bybit_api_key": BYBIT_API_KEY_ENV, "bybit_secret_key": BYBIT_SECRET_KEY_ENV,
                 "telegram_bot_token": telegram.token_env,
                 "telegram_chat_id": telegram.chat_id_env,
                 "grafana_password": GRAFANA_PASSWORD_ENV}
    rows = []
    for name, info in type(config.secrets).model_fields.items():
        present = getattr(config.secrets, name) is not None
        rows.append({"secret": name, "variable": variables.get(name, ""),
                     "state": "set" if present else "not set",
                     "description": info.description or ""})
    rows.append({"secret": "dashboard_password", "variable": DASHBOARD_PASSWORD_ENV,
                 "state": "set" if environ.get(DASHBOARD_PASSWORD_ENV, "").strip()
                 else "not set",
                 "description": "Password of this panel; required to expose it beyond "
                                "127.0.0.1 (dashboard --expose)."})
    return rows


def config_view(config_dir: Path, environ: Mapping[str, str] | None = None) -> ConfigView:
    """Load *config_dir* and shape it for the page; a config that fails shows why."""
    env = os.environ if environ is None else environ
    field_columns = ["file", "field", "value", "type", "description"]
    secret_columns = ["secret", "variable", "state", "description"]
    try:
        report = load_config_report(config_dir)
    except UserError as exc:
        return ConfigView(Path(config_dir), pd.DataFrame(columns=field_columns),
                          pd.DataFrame(columns=secret_columns), (), str(exc))
    config = report.config
    rows = [row for section in _SECTIONS
            for row in field_rows(section, getattr(config, section), env)]
    return ConfigView(Path(config_dir), pd.DataFrame(rows, columns=field_columns),
                      pd.DataFrame(secret_rows(config, env), columns=secret_columns),
                      report.lines)
