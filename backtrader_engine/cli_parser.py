"""The command line's argument parser: every usage error is one line and exit code 2.

argparse answers a misspelt choice or a missing option with its whole usage block, which buries
the one line that matters. :class:`OneLineParser` prints only ``error: <what was wrong>`` (a
did-you-mean for a misspelt choice or flag, a pointer to ``--help`` where the usage is what is
missing). Sub-command parsers inherit the class, so one definition covers every command.

Its sub-command lists (:class:`SubCommands`) also take hidden aliases: a command's former
name still runs it, is not listed in ``--help``, and leaves a note naming the new one. They
also take lazy commands, whose options are only built (and whose modules only imported) when
the command is the one being run: ``bte --help`` must not pay for every command's imports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, cast

from backtrader_engine.errors import did_you_mean

#: Exit code of a command line argparse cannot accept, as of any other user error.
EXIT_USAGE = 2


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


class SubCommands(argparse._SubParsersAction):
    """The sub-command list of a :class:`OneLineParser`, with hidden aliases.

    A renamed command keeps its old name as an alias: not listed in ``--help`` nor offered
    as a suggestion, but accepted. The parsed arguments then name the new command, and
    ``alias_note`` holds the line that tells the user about the rename (printed by the
    caller once the whole command line has parsed, so a usage error stays one line).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed: dict[str, str] = {}
        # name -> the loader that registers it (and maybe its siblings) once it is run
        self._pending: dict[str, Callable[[SubCommands], None]] = {}

    def add_lazy(self, name: str, help: str, load: Callable[[SubCommands], None]) -> None:
        """List *name* with *help* now; build its parser with *load* only when it is run.

        *load* receives a fresh sub-command list and registers *name* there (and any other
        names sharing its loader), as an eager ``register(subparsers)`` would; the parsers it
        makes replace the listed placeholders. The help line shown by ``--help`` is *help*.
        """
        self.add_parser(name, help=help)
        self._pending[name] = load

    def load(self, name: str) -> None:
        """Build the parser of lazy command *name* (and its loader's siblings), if not yet."""
        load = self._pending.get(name)
        if load is None:
            return
        scratch = cast(OneLineParser, self._parser_class(prog=self._prog_prefix))
        built = scratch.add_subparsers()
        built._prog_prefix = self._prog_prefix  # "bte backtest", as if added here
        load(built)
        for loaded, parser in built.choices.items():
            if loaded not in self._name_parser_map:
                raise ValueError(f"the loader of {name!r} registered unlisted {loaded!r}")
            self._name_parser_map[loaded] = parser
            self._pending.pop(loaded, None)
        if name in self._pending:
            raise ValueError(f"the loader of {name!r} did not register it")

    def load_all(self) -> None:
        """Build every lazy command's parser (for tools that walk the whole command tree)."""
        for name in list(self._pending):
            self.load(name)

    def add_hidden_alias(self, alias: str, name: str) -> None:
        """Let *alias* run the sub-command *name* (already added), unlisted."""
        if name not in self.choices:
            raise ValueError(f"no sub-command {name!r} to alias")
        self.renamed[alias] = name

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        values = list(values)
        new = self.renamed.get(values[0])
        if new is not None:
            namespace.alias_note = (f"note: '{self._prog_prefix} {values[0]}' is now "
                                    f"'{self._prog_prefix} {new}'")
            values[0] = new
        self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


class OneLineParser(argparse.ArgumentParser):
    """``ArgumentParser`` whose errors are one line on stderr (exit code 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", SubCommands)

    def add_subparsers(self, **kwargs: Any) -> SubCommands:
        # The same call, typed as the action class registered above (argparse's own stubs
        # only know its base class).
        return cast(SubCommands, super().add_subparsers(**kwargs))

    def error(self, message: str) -> NoReturn:
        line = " ".join(_reword(message).split())
        if _wants_help_pointer(line):
            line += f" (see {self.prog} --help)"
        self.exit(EXIT_USAGE, f"error: {line}\n")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # argparse's own message lists the choices in a form that depends on the Python
        # version and suggests nothing; say what kind of value it is and the closest ones.
        if action.choices is None or value in action.choices:
            return
        if isinstance(action, SubCommands) and value in action.renamed:
            return
        choices = [str(c) for c in action.choices]
        if action.option_strings:
            flag = max(action.option_strings, key=len)
            noun = action.dest.replace("_", " ")
            subject = f"{flag} '{value}'"
        else:
            noun = str(action.metavar or action.dest).lower().replace("_", " ")
            subject = f"{self.prog}: '{value}'"
        raise argparse.ArgumentError(
            None, f"{subject} is not {_article(noun)} {noun}; expected one of "
                  f"{', '.join(choices)}{did_you_mean(str(value), choices)}")

    def unrecognized(self, extra: Iterable[str]) -> NoReturn:
        """Refuse arguments no option took, suggesting the closest option of this parser."""
        extra = list(extra)
        options = [s for action in self._actions for s in action.option_strings]
        flags = [a.split("=", 1)[0] for a in extra if a.startswith("--")]
        hint = did_you_mean(flags[0], options) if flags else ""
        self.error(f"unrecognized arguments: {' '.join(extra)}{hint}")


def _reword(message: str) -> str:
    """``argument --cash: 'inf' is not ...`` -> ``--cash 'inf' is not ...``."""
    if message.startswith("argument ") and ": " in message:
        flag, _, rest = message[len("argument "):].partition(": ")
        # Messages of this package's argument types start with the value ("--cash 'inf' is
        # not ..."); argparse's own start with a word ("--cash: expected one argument").
        return f"{flag}: {rest}" if rest[:1].isalpha() else f"{flag} {rest}"
    return message


def _wants_help_pointer(line: str) -> bool:
    """Missing or unknown arguments are best answered by the command's option list."""
    return (line.startswith(("the following arguments are required", "unrecognized arguments"))
            or line.endswith(("expected one argument", "expected at least one argument")))


def active_parser(parser: argparse.ArgumentParser,
                  args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost sub-command parser *args* was parsed with (``bte config show``'s)."""
    current = parser
    while True:
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return current
        name = getattr(args, subs[0].dest, None)
        chosen = subs[0].choices.get(name) if name is not None else None
        if chosen is None:
            return current
        current = chosen


def refuse_unrecognized(parser: argparse.ArgumentParser, args: argparse.Namespace,
                        extra: list[str]) -> NoReturn:
    """Stop with one line for arguments no option of the chosen command took."""
    target = active_parser(parser, args)
    if isinstance(target, OneLineParser):
        target.unrecognized(extra)
    target.error(f"unrecognized arguments: {' '.join(extra)}")
    sys.exit(EXIT_USAGE)  # pragma: no cover - error() does not return
