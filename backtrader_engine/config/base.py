"""Common base of all configuration models: strict keys, immutable values, named rules.

Validation happens in two steps. Pydantic first checks every field on its own (types, ranges,
formats). Only when all fields pass does :class:`ConfigModel` run the model's cross-field rules:
small functions named ``_rule_<what>`` listed in the model's ``rules`` tuple. Each returns a
:class:`RuleViolation` or ``None``; the first violation is raised as a one-line
:class:`~backtrader_engine.errors.ConfigError`, which pydantic lets propagate unchanged because it
is not a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationInfo, model_validator

from backtrader_engine.config.messages import format_problem
from backtrader_engine.errors import ConfigError


@dataclass(frozen=True)
class RuleViolation:
    """A broken cross-field rule, described well enough to print as one line.

    Attributes
    ----------
    field
        Dotted path of the field to change, relative to the file (``fees.maker``).
    value
        Its current value.
    problem
        What is wrong (``must not exceed 'fees.taker' (0.00055)``).
    fix
        What to do about it.
    section
        For rules spanning several files: the :class:`AppConfig` attribute (``"strategies"``)
        whose file holds *field*. ``None`` means the model the rule belongs to.
    """

    field: str
    value: object
    problem: str
    fix: str
    section: str | None = None

    def message(self, source: str) -> str:
        """Render the violation as the canonical one-line message for *source*."""
        return format_problem(source, self.field, self.value, self.problem, self.fix)


#: A cross-field rule: receives the validated model, returns a violation or ``None``.
Rule = Callable[[Any], RuleViolation | None]


class ConfigModel(BaseModel):
    """Base for configuration models.

    Unknown keys are rejected (``extra="forbid"``) so a misspelt key fails loudly instead of
    silently falling back to its default; instances are frozen so one loaded configuration can
    be shared by the engine, the alerting and the dashboard without anyone changing it under the
    others. Strict mode stops JSON strings such as ``"5"`` or ``"false"`` being coerced into
    numbers or booleans, which usually hides a quoting mistake.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True,
                              allow_inf_nan=False)

    #: Cross-field rules checked, in order, once all fields are valid.
    rules: ClassVar[tuple[Rule, ...]] = ()
    #: File name the model is normally loaded from; used in messages when no path is known.
    default_filename: ClassVar[str] = ""

    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """Where this configuration came from, as shown in messages (a path or a label)."""
        return self._source or self.default_filename or type(self).__name__

    @model_validator(mode="after")
    def _check_rules(self, info: ValidationInfo) -> Self:
        """Record the source passed in the validation context, then apply ``rules``."""
        context = info.context if isinstance(info.context, dict) else {}
        source = context.get("source")
        # Pydantic also runs this validator on already-built sub-models handed to a parent, with
        # the parent's context; the first source recorded is the file the values came from.
        if isinstance(source, str) and not self._source:
            self._source = source
        for rule in type(self).rules:
            violation = rule(self)
            if violation is not None:
                raise ConfigError(self.violation_message(violation))
        return self

    def __eq__(self, other: object) -> bool:
        """Compare settings only: the same values read from two files are equal."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    # Field values include lists and dicts, so a value-based hash could not work anyway. None
    # is how Python marks a class unhashable; type checkers only know __hash__ as a method.
    __hash__ = None  # type: ignore[assignment]

    def violation_message(self, violation: RuleViolation) -> str:
        """Render *violation* against the file that holds its field.

        Parameters
        ----------
        violation
            A violation returned by one of this model's rules.

        Returns
        -------
        str
            The one-line message; models composed of several files override this to pick the
            file named by ``violation.section``.
        """
        return violation.message(self.source)
