"""Secrets, read only from environment variables and never printed in full.

Configuration files are meant to be committed and shared, so API keys, bot tokens and passwords
are never read from them (the loader rejects such keys). :class:`Secrets` stores each value as a
:class:`pydantic.SecretStr`, whose ``repr``/``str`` show only asterisks, so logging a config object
or an exception that contains one cannot leak it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr

BYBIT_API_KEY_ENV = "BYBIT_API_KEY"
BYBIT_SECRET_KEY_ENV = "BYBIT_SECRET_KEY"
TELEGRAM_BOT_TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
TELEGRAM_CHAT_ID_ENV = "TELEGRAM_CHAT_ID"
GRAFANA_PASSWORD_ENV = "GRAFANA_PASSWORD"

#: Every environment variable a secret may be read from (Telegram names are the defaults).
SECRET_ENV_VARS: tuple[str, ...] = (
    BYBIT_API_KEY_ENV,
    BYBIT_SECRET_KEY_ENV,
    TELEGRAM_BOT_TOKEN_ENV,
    TELEGRAM_CHAT_ID_ENV,
    GRAFANA_PASSWORD_ENV,
)

#: Shortest secret of which a prefix and suffix may be shown; shorter ones are fully hidden.
_MIN_PARTIAL_LENGTH = 12


class Secrets(BaseModel):
    """Credentials taken from the environment; every value is a :class:`SecretStr` or unset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bybit_api_key: SecretStr | None = Field(
        None, description=f"Bybit API key, from ${BYBIT_API_KEY_ENV}.",
    )
    bybit_secret_key: SecretStr | None = Field(
        None, description=f"Bybit API secret, from ${BYBIT_SECRET_KEY_ENV}.",
    )
    telegram_bot_token: SecretStr | None = Field(
        None,
        description=f"Telegram bot token, from ${TELEGRAM_BOT_TOKEN_ENV} (or the variable "
                    "named by 'telegram.token_env').",
    )
    telegram_chat_id: SecretStr | None = Field(
        None,
        description=f"Telegram chat id, from ${TELEGRAM_CHAT_ID_ENV} (or the variable named "
                    "by 'telegram.chat_id_env').",
    )
    grafana_password: SecretStr | None = Field(
        None, description=f"Grafana admin password, from ${GRAFANA_PASSWORD_ENV}.",
    )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        telegram_token_env: str = TELEGRAM_BOT_TOKEN_ENV,
        telegram_chat_id_env: str = TELEGRAM_CHAT_ID_ENV,
    ) -> Secrets:
        """Read the secrets from environment variables.

        Parameters
        ----------
        environ
            Variables to read; ``os.environ`` when ``None``.
        telegram_token_env, telegram_chat_id_env
            Variable names for the Telegram credentials, as configured in the alert config.

        Returns
        -------
        Secrets
            Unset or blank variables give ``None``. Surrounding whitespace is stripped because
            a trailing newline from ``$(cat file)`` would otherwise break authentication.
        """
        env = os.environ if environ is None else environ

        def read(name: str) -> SecretStr | None:
            raw = env.get(name, "").strip()
            return SecretStr(raw) if raw else None

        return cls(
            bybit_api_key=read(BYBIT_API_KEY_ENV),
            bybit_secret_key=read(BYBIT_SECRET_KEY_ENV),
            telegram_bot_token=read(telegram_token_env),
            telegram_chat_id=read(telegram_chat_id_env),
            grafana_password=read(GRAFANA_PASSWORD_ENV),
        )

    def masked(self) -> dict[str, str]:
        """Return field name → :func:`mask_secret` of its value, safe to print.

        Returns
        -------
        dict[str, str]
            One entry per secret, in declaration order.
        """
        return {name: mask_secret(getattr(self, name)) for name in type(self).model_fields}


def mask_secret(value: SecretStr | str | None) -> str:
    """Render a secret so a user can recognise it without it being disclosed.

    Parameters
    ----------
    value
        The secret, a plain string, or ``None``.

    Returns
    -------
    str
        ``"<not set>"`` for ``None`` or an empty value, ``"****"`` for values shorter than 12
        characters (a prefix and suffix would reveal most of them), otherwise the first and last
        four characters around an ellipsis, e.g. ``"abcd…wxyz"``.

    Examples
    --------
    >>> mask_secret("abcdefghijklmnopwxyz")
    'abcd…wxyz'
    >>> mask_secret("short")
    '****'
    >>> mask_secret(None)
    '<not set>'
    """
    if value is None:
        return "<not set>"
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not raw:
        return "<not set>"
    if len(raw) < _MIN_PARTIAL_LENGTH:
        return "****"
    return f"{raw[:4]}…{raw[-4:]}"
