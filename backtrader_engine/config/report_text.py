"""Text output for the ``config`` CLI commands: the check summary and the effective config."""

from __future__ import annotations

import json
from pathlib import Path

from backtrader_engine.config.app import AppConfig
from backtrader_engine.config.loader import DEFAULT_CONFIG_DIR, load_config_report


def check_config(config_dir: Path = DEFAULT_CONFIG_DIR,
                 require_secrets: bool = False) -> list[str]:
    """Validate the configuration directory and describe the result line by line.

    Parameters
    ----------
    config_dir
        Directory holding the configuration files.
    require_secrets
        Treat missing credentials of enabled features as errors instead of warnings.

    Returns
    -------
    list[str]
        Lines such as ``ok configs/bybit_config.json``,
        ``note configs/alert_config.json not found; using built-in defaults``,
        ``ok cross-file rules`` and ``warning ...`` for problems that do not stop a backtest.

    Raises
    ------
    ConfigError
        One line for the first hard error.
    """
    return list(load_config_report(config_dir, require_secrets=require_secrets).lines)


def render_config(config: AppConfig) -> str:
    """Render the effective configuration, defaults filled in and secrets masked.

    Parameters
    ----------
    config
        A loaded configuration.

    Returns
    -------
    str
        Indented JSON with sorted keys: the four sections as they would be written to their
        files, plus ``secrets`` with each value passed through
        :func:`~backtrader_engine.config.credentials.mask_secret`.
    """
    document = {
        "bybit": config.bybit.model_dump(mode="json"),
        "risk": config.risk.model_dump(mode="json"),
        "alerts": config.alerts.model_dump(mode="json"),
        "strategies": config.strategies.model_dump(mode="json"),
        # Built from masked strings only, so no code path here can serialise a raw secret.
        "secrets": config.secrets.masked(),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
