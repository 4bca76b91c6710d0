"""The Research page, at ``/research``."""

from backtrader_engine.dashboard.navigation import page_settings
from backtrader_engine.dashboard.sections import research

research.render(page_settings())
