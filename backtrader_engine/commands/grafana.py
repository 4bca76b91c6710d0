"""``grafana [--check]``: write the Grafana dashboards' JSON, or check it is up to date.

Formerly ``dashboards``, which still works (a hidden alias that prints a note): the name
said too little, next to the Streamlit panel that was ``dashboard``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.commands.options import add_config_dir
from backtrader_engine.errors import UserError

#: The committed dashboards, which Grafana's provisioning loads.
DEFAULT_OUT = Path("monitoring/grafana/dashboards")


def register(subparsers: SubCommands) -> None:
    """Add ``grafana`` (alias ``dashboards``) to the CLI's sub-commands."""
    p = subparsers.add_parser("grafana")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"folder (default {DEFAULT_OUT})")
    p.add_argument("--check", action="store_true",
                   help="only check that the files in DIR match; exit 2 if not")
    add_config_dir(p)
    p.set_defaults(handler=start_grafana)


def start_grafana(args: argparse.Namespace) -> int:
    from backtrader_engine.config import load_config
    from backtrader_engine.monitoring.dashboards import (
        Thresholds,
        check_dashboards,
        write_dashboards,
    )

    out = Path(args.out)
    if not str(args.out).strip() or str(args.out) == ".":
        # Path("") is the current folder: the JSON would land next to the user's own files.
        raise UserError(f"--out '{args.out}': expected the dashboards' folder, e.g. "
                        f"{DEFAULT_OUT}")
    thresholds = Thresholds.from_config(load_config(args.config_dir))
    if args.check:
        stale = check_dashboards(out, thresholds)
        if stale:
            raise UserError(f"{out}: {', '.join(stale)} differ from the dashboards generated "
                            f"with {args.config_dir}; regenerate with 'grafana --out {out}'")
        print(f"{out}: dashboards up to date")
        return 0
    _check_out_folder(out)
    try:
        written = write_dashboards(out, thresholds)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write the dashboards there "
                        f"({exc.strerror or exc}); give a writable folder") from None
    for path in written:
        print(path)
    return 0


def _check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` that is, or lies below, a file, before anything is written."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == out else f"lies below the file {existing}"
        raise UserError(f"--out {out}: {where}, not a folder; give the dashboards' folder, "
                        f"e.g. {DEFAULT_OUT}")
