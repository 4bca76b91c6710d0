"""Entry script of the panel: ``streamlit run app.py -- [panel options]``.

``python -m backtrader_engine panel`` runs it with the right options; Streamlit puts
the arguments after ``--`` into ``sys.argv[1:]``.
"""

import sys

from backtrader_engine.dashboard.main import run

run(sys.argv[1:])
