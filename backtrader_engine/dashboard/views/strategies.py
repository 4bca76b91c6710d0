"""The Strategies page, at ``/strategies``."""

from backtrader_engine.dashboard.navigation import page_settings
from backtrader_engine.dashboard.sections import strategies

strategies.render(page_settings())
