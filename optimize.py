"""``python optimize.py --strategy SPEC --n-jobs N ...``: the ``optimize`` subcommand.

Same options as ``python -m backtrader_engine optimize``; see ``docs/optimization.md``.
"""

import sys

from backtrader_engine.cli import main

# The guard matters: worker processes are started with "spawn", which imports this file again
# in every worker, where it must not start another optimisation.
if __name__ == "__main__":
    sys.exit(main(["optimize", *sys.argv[1:]]))
