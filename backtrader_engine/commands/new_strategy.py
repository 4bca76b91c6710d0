"""``new-strategy``: write a commented strategy template to start from."""

from __future__ import annotations

import argparse
from pathlib import Path

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.errors import UserError


def register(subparsers: SubCommands) -> None:
    """Add ``new-strategy`` to the CLI's sub-commands."""
    p = subparsers.add_parser("new-strategy")
    p.add_argument("name", metavar="NAME", help="class name in CamelCase, e.g. EmaCross")
    p.add_argument("--out", type=Path, metavar="PATH",
                   help="file to write (default: strategies/<name_in_snake_case>.py)")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p.set_defaults(handler=start_new_strategy)


def start_new_strategy(args: argparse.Namespace) -> int:
    from backtrader_engine.strategies.template import check_class_name, file_name, render_template

    name = check_class_name(args.name)
    path: Path = args.out if args.out is not None else Path("strategies") / file_name(name)
    if path.exists() and not args.force:
        raise UserError(f"new-strategy: {path} exists; pass --force to overwrite it or --out "
                        f"to write elsewhere")
    if path.exists() and path.is_dir():
        raise UserError(f"new-strategy: {path} is a folder; expected a .py file to write")
    spec = f"{path}:{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(name, spec))
    print(f"wrote {path}")
    print(f"  bte strategies {spec}")
    print(f"  bte backtest --strategy {spec}")
    print(f"  python optimize.py --strategy {spec} --n-jobs 2 --trials 50")
    print(f'  paper: add "{spec}": {{"enabled": true, "symbols": ["BTCUSDT"], "timeframe": '
          f'"15m"}} to configs/strategies_config.json, then bte config check')
    return 0
