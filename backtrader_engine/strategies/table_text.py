"""The strategy list ``bte strategies`` prints: one line per strategy, then its params."""

from __future__ import annotations

import textwrap

from backtrader_engine.strategies.registry import StrategyInfo


def format_strategy_table(infos: list[StrategyInfo], width: int = 100) -> str:
    """Render *infos* as a plain-text table: one header line per strategy, then its params."""
    name_w = max([len("STRATEGY"), *(len(i.name) for i in infos)])
    lines = [f"{'STRATEGY':<{name_w}}  SPACE  SUMMARY"]
    for info in infos:
        lines.append(f"{info.name:<{name_w}}  {info.space_size:>5}  {info.summary}")
        params = " ".join(f"{k}={v!r}" for k, v in info.params.items())
        lines.extend(
            textwrap.wrap(params, width=width, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)
