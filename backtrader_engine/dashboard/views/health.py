"""The System health page, at ``/health``."""

from backtrader_engine.dashboard.navigation import page_settings
from backtrader_engine.dashboard.sections import health

health.render(page_settings())
