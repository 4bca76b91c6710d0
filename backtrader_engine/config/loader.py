"""Loading the configuration directory into a validated :class:`AppConfig`.

Missing-file policy: a single file missing from an existing configuration directory falls back
to the built-in defaults with a note (so a fresh checkout can run with only the files it cares
about), but an explicitly given file path or directory that does not exist is an error, because
silently trading on defaults after a typo in a path would be worse than stopping.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from pydantic import ValidationError

from backtrader_engine.config.alerts import AlertConfig
from backtrader_engine.config.app import AppConfig
from backtrader_engine.config.base import ConfigModel
from backtrader_engine.config.bybit import BybitConfig
from backtrader_engine.config.credentials import Secrets
from backtrader_engine.config.jsonfile import read_json_object
from backtrader_engine.config.messages import format_validation_error
from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.config.strategies import StrategiesConfig
from backtrader_engine.errors import ConfigError, did_you_mean

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=ConfigModel)

#: Default configuration directory, relative to the working directory.
DEFAULT_CONFIG_DIR = Path("configs")


@dataclass(frozen=True)
class ConfigFile:
    """One file of the configuration directory and the model it is validated against."""

    section: str
    filename: str
    model: type[ConfigModel]


CONFIG_FILES: tuple[ConfigFile, ...] = (
    ConfigFile("bybit", BybitConfig.default_filename, BybitConfig),
    ConfigFile("risk", RiskConfig.default_filename, RiskConfig),
    ConfigFile("alerts", AlertConfig.default_filename, AlertConfig),
    ConfigFile("strategies", StrategiesConfig.default_filename, StrategiesConfig),
)


def validate_data(model: type[M], data: dict[str, object], source: str) -> M:
    """Validate parsed JSON against *model*: fields first, then the model's named rules.

    Parameters
    ----------
    model
        Configuration model class.
    data
        Parsed top-level JSON object.
    source
        How the file is named in messages.

    Returns
    -------
    M
        The validated, frozen model, remembering *source*.

    Raises
    ------
    ConfigError
        One line for the first field problem or broken rule.
    """
    try:
        return model.model_validate(data, context={"source": source})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc, model)) from exc


def load_section(path: Path | str, model: type[M]) -> M:
    """Load and validate one configuration file against *model*; a missing file is an error.

    Parameters
    ----------
    path
        JSON file, e.g. ``configs/risk_config.json``.
    model
        Its model: :class:`BybitConfig`, :class:`RiskConfig`, :class:`AlertConfig` or
        :class:`StrategiesConfig` (any :class:`ConfigModel` with a ``default_filename``).

    Returns
    -------
    M
        The validated settings, remembering *path* as their source. Only the file's own
        rules are checked; those spanning files (strategy symbols against the exchange
        config, say) only by :func:`load_config`.

    Raises
    ------
    ConfigError
        If the file is missing, unparsable or invalid.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "not found"
        raise ConfigError(f"{source}: {what}; check the path (the default file is "
                          f"configs/{model.default_filename})")
    return validate_data(model, read_json_object(path, source), source)


@dataclass(frozen=True)
class LoadReport:
    """Result of loading a configuration directory.

    Attributes
    ----------
    config
        The validated configuration.
    lines
        Human-readable status lines: ``ok <file>``, ``note ...`` and ``warning ...``.
    """

    config: AppConfig
    lines: tuple[str, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        """The lines that are not plain ``ok`` confirmations."""
        return tuple(line for line in self.lines if not line.startswith("ok "))


def load_config_report(config_dir: Path | str = DEFAULT_CONFIG_DIR, *,
                       require_secrets: bool = False) -> LoadReport:
    """Load every file of *config_dir*, check the cross-file rules, read secrets from the env.

    Parameters
    ----------
    config_dir
        Directory holding the four JSON files.
    require_secrets
        Treat credentials needed by enabled features (e.g. Telegram) as required.

    Returns
    -------
    LoadReport
        The configuration and the status lines shown by ``config check``.

    Raises
    ------
    ConfigError
        One line for the first hard problem.
    """
    directory = Path(config_dir)
    _check_directory(directory)
    lines: list[str] = []
    sections: dict[str, ConfigModel] = {}
    for spec in CONFIG_FILES:
        path = directory / spec.filename
        if path.exists():
            sections[spec.section] = load_section(path, spec.model)
            lines.append(f"ok {path}")
        else:
            label = f"{path} (built-in defaults)"
            sections[spec.section] = validate_data(spec.model, {}, label)
            lines.append(f"note {path} not found; using built-in defaults")
    lines.extend(_stray_file_warnings(directory))
    config = _assemble(sections, directory)
    lines.append("ok cross-file rules")
    missing = config.missing_secrets()
    if missing and require_secrets:
        raise ConfigError(missing[0])
    lines.extend(f"warning {message}" for message in missing)
    if not config.strategies.enabled():
        lines.append(f"warning {config.strategies.source}: no strategy is enabled; set "
                     "'enabled' to true for at least one to trade")
    return LoadReport(config, tuple(lines))


def load_config(config_dir: Path = DEFAULT_CONFIG_DIR, *,
                require_secrets: bool = False) -> AppConfig:
    """Load and validate the whole configuration.

    Parameters
    ----------
    config_dir
        Directory holding ``bybit_config.json``, ``risk_config.json``, ``alert_config.json``
        and ``strategies_config.json``. A file missing from it falls back to built-in defaults
        (logged as a warning); a missing directory is an error.
    require_secrets
        Fail when an enabled feature lacks its credentials, e.g. Telegram without
        ``TELEGRAM_BOT_TOKEN``; meant for paper trading.

    Returns
    -------
    AppConfig
        The validated configuration, secrets read from the environment.

    Raises
    ------
    ConfigError
        One line naming the file, field, value, problem and fix.
    """
    report = load_config_report(config_dir, require_secrets=require_secrets)
    for line in report.notes:
        logger.warning("%s", line)
    return report.config


def _check_directory(directory: Path) -> None:
    """Refuse a missing directory: it nearly always means a typo or the wrong working dir."""
    if not directory.exists():
        raise ConfigError(f"{directory}: configuration directory not found; run from the "
                          "project root or pass the directory that holds "
                          + ", ".join(spec.filename for spec in CONFIG_FILES))
    if not directory.is_dir():
        raise ConfigError(f"{directory}: is a file, not a directory; pass the directory that "
                          "holds the configuration files")


def _stray_file_warnings(directory: Path) -> list[str]:
    """Warn about JSON files that are probably misspelt config files and so are ignored."""
    known = [spec.filename for spec in CONFIG_FILES]
    return [
        f"warning {path}: not a known config file{did_you_mean(path.name, known)}; it is ignored"
        for path in sorted(directory.glob("*.json"))
        if path.name not in known
    ]


def _assemble(sections: dict[str, ConfigModel], directory: Path) -> AppConfig:
    """Combine the validated files, read the secrets and apply the cross-file rules."""
    alerts = cast(AlertConfig, sections["alerts"])
    secrets = Secrets.from_env(
        os.environ,
        telegram_token_env=alerts.telegram.token_env,
        telegram_chat_id_env=alerts.telegram.chat_id_env,
    )
    data = {**sections, "secrets": secrets}
    return AppConfig.model_validate(data, context={"source": str(directory)})
