"""Market data: loading any supported layout, timeframes, resampling, quality and storage.

Every loader returns the canonical OHLCV frame: float64 columns ``open, high, low, close,
volume`` indexed by an ascending, unique, tz-naive UTC ``DatetimeIndex`` named ``datetime``.
"""

from backtrader_engine.data.bundled import (
    DatasetInfo,
    bundled_datasets,
    bundled_info,
    bundled_perp_1h,
    default_dataset,
)
from backtrader_engine.data.frame import OHLCV_COLUMNS, canonicalize
from backtrader_engine.data.funding import load_funding, parse_funding_arg
from backtrader_engine.data.loader import LoadInfo, load_ohlcv, load_with_report
from backtrader_engine.data.parquet_io import write_parquet_atomic
from backtrader_engine.data.quality import (
    Finding,
    QualityReport,
    check_quality,
    validate_for_backtest,
)
from backtrader_engine.data.quality_checks import Gap, VolatilitySummary
from backtrader_engine.data.quality_text import format_quality_report
from backtrader_engine.data.resample import resample_ohlcv
from backtrader_engine.data.sniff import FORMATS, detect_format
from backtrader_engine.data.store import DataStore, MergeResult, StoreEntry
from backtrader_engine.data.timeframes import (
    TIMEFRAMES,
    canonical_timeframe,
    infer_timeframe,
    parse_timeframe,
    timeframe_to_backtrader,
)

__all__ = [
    "FORMATS",
    "OHLCV_COLUMNS",
    "TIMEFRAMES",
    "DataStore",
    "DatasetInfo",
    "Finding",
    "Gap",
    "LoadInfo",
    "MergeResult",
    "QualityReport",
    "StoreEntry",
    "VolatilitySummary",
    "bundled_datasets",
    "bundled_info",
    "bundled_perp_1h",
    "canonical_timeframe",
    "canonicalize",
    "check_quality",
    "default_dataset",
    "detect_format",
    "format_quality_report",
    "infer_timeframe",
    "load_funding",
    "load_ohlcv",
    "load_with_report",
    "parse_funding_arg",
    "parse_timeframe",
    "resample_ohlcv",
    "timeframe_to_backtrader",
    "validate_for_backtest",
    "write_parquet_atomic",
]
