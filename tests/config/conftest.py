"""Factories for configuration tests: editable copies of the shipped configs and a clean env."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import SECRET_ENV_VARS, load_config
from backtrader_engine.errors import ConfigError

SHIPPED_CONFIGS = Path(__file__).resolve().parents[2] / "configs"

Changes = Mapping[str, Any] | Callable[[dict[str, Any]], None]


@pytest.fixture(autouse=True)
def clean_secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hide any real credentials of the developer's shell from every config test."""
    for name in (*SECRET_ENV_VARS, "MY_BOT_TOKEN", "MY_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def shipped_configs() -> Path:
    """The repository's own ``configs/`` directory (read only)."""
    return SHIPPED_CONFIGS


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped ``configs/`` directory."""
    target = tmp_path / "configs"
    shutil.copytree(SHIPPED_CONFIGS, target)
    return target


@pytest.fixture
def edit_config(config_dir: Path) -> Callable[[str, Changes], Path]:
    """Return ``edit(filename, changes)`` that rewrites one file of the private copy.

    *changes* is either a mapping of dotted key → new value (``{"fees.maker": 0.001}``; missing
    intermediate objects are created) or a function that mutates the parsed JSON in place.
    """

    def edit(filename: str, changes: Changes) -> Path:
        path = config_dir / filename
        data = json.loads(path.read_text(encoding="utf-8"))
        if callable(changes):
            changes(data)
        else:
            for dotted, value in changes.items():
                *parents, last = dotted.split(".")
                target = data
                for key in parents:
                    target = target.setdefault(key, {})
                target[last] = value
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path

    return edit


@pytest.fixture
def write_raw(config_dir: Path) -> Callable[[str, str], Path]:
    """Return ``write(filename, text)``: replace a config file with arbitrary text."""

    def write(filename: str, text: str) -> Path:
        path = config_dir / filename
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_error(config_dir: Path) -> Callable[..., str]:
    """Return ``error(**kwargs)``: load the copy, expect a ConfigError, return its message."""

    def error(**kwargs: Any) -> str:
        with pytest.raises(ConfigError) as caught:
            load_config(config_dir, **kwargs)
        message = str(caught.value)
        assert "\n" not in message, "config errors must be a single line"
        return message

    return error
