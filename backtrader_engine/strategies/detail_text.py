"""One strategy as ``bte strategies NAME`` prints it: every param, its default, its range."""

from __future__ import annotations

import inspect

import backtrader as bt

from backtrader_engine.strategies.params import strategy_params
from backtrader_engine.strategies.space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    ParamSpec,
    space_of,
)
from backtrader_engine.texttable import table


def describe_range(spec: ParamSpec | None) -> str:
    """How a search-space entry reads in the table: ``int 5..20``, ``float 0.5..3 log``,
    ``one of True, False``; ``-`` for a param the optimiser does not search."""
    if spec is None:
        return "-"
    if isinstance(spec, IntParam | FloatParam):
        text = f"{spec.kind} {spec.low:g}..{spec.high:g}"
        if spec.step not in (None, 1):
            text += f" step {spec.step:g}"
        return text + (" log" if spec.log else "")
    if isinstance(spec, CategoricalParam):
        return "one of " + ", ".join(repr(c) for c in spec.choices)
    return spec.kind


def format_strategy_detail(name: str, strategy: type[bt.Strategy]) -> str:
    """*strategy*'s name and docstring summary, then a table of its params (default and
    search range), then how many of them a study searches."""
    space = space_of(strategy)
    params = strategy_params(strategy)
    rows = [[param, repr(default), describe_range(space.get(param))]
            for param, default in params.items()]
    summary = " ".join(inspect.cleandoc(strategy.__doc__ or "").split("\n\n")[0].split())
    lines = [name, *([summary] if summary else []), "",
             *table(["PARAM", "DEFAULT", "SEARCH SPACE"], rows, "<<<"), "",
             f"{len(space)} of {len(params)} params are searched by optimize "
             "(change a default with --param NAME=VALUE)"]
    return "\n".join(lines)
