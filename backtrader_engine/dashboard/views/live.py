"""The Live page, at ``/live``."""

from backtrader_engine.dashboard.navigation import page_settings
from backtrader_engine.dashboard.sections import live

live.render(page_settings())
