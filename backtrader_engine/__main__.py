"""``python -m backtrader_engine``: the same CLI as the ``bte`` console script."""

import sys

from backtrader_engine.cli import entry

sys.exit(entry())
