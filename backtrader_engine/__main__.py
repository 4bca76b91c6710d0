"""``python -m backtrader_engine``: the same CLI as the ``bte`` console script."""

import sys

from .cli import main

sys.exit(main())
