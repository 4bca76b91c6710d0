"""``config check`` and ``config show``."""

from __future__ import annotations

import argparse

from ..config import check_config, load_config, render_config


def start_config_check(args: argparse.Namespace) -> int:
    for line in check_config(args.config_dir, require_secrets=args.require_secrets):
        print(line)
    return 0


def start_config_show(args: argparse.Namespace) -> int:
    print(render_config(load_config(args.config_dir)))
    return 0
