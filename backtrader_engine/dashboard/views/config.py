"""The Config page, at ``/config``."""

from backtrader_engine.dashboard.navigation import page_settings
from backtrader_engine.dashboard.sections import config

config.render(page_settings())
