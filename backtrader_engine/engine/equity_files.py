"""The per-bar equity record as files: ``equity.csv`` for people and ``equity.parquet`` for code.

The CSV is the one pandas writes with ``to_csv(index_label="datetime", float_format="%.10f")``,
byte for byte, but formatted a whole column at a time (:mod:`.csv_fields`), several times
faster. The Parquet file holds the same frame in binary; it reads back with
``pandas.read_parquet`` as the frame that was written (the bar times as its index), and the
same frame always gives the same bytes: fixed compression and row groups, and no metadata that
changes from run to run (the file names the pyarrow and pandas versions that wrote it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from backtrader_engine.engine.csv_fields import datetimes, fixed_point, join_rows

INDEX_LABEL = "datetime"
DECIMALS = 10
FLOAT_FORMAT = f"%.{DECIMALS}f"
PARQUET_COMPRESSION = "zstd"
PARQUET_COMPRESSION_LEVEL = 1
# One row group up to a year of one-minute bars: row groups split only longer records.
PARQUET_ROW_GROUP = 1 << 20

_PLAIN_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ -.%")


def write_equity_csv(equity: pd.DataFrame, path: Path) -> Path:
    """Write *equity* as pandas' ``to_csv`` would with the report's settings, faster.

    Frames this writer does not know how to format exactly (time zones, fractions of a
    second, columns that are not floats or names that would need quoting) go through pandas
    itself, so the file is the same either way.
    """
    dates = datetimes(equity.index)
    names = [INDEX_LABEL, *map(str, equity.columns)]
    floats = all(dtype == np.float64 for dtype in equity.dtypes)
    plain = all(set(name) <= _PLAIN_NAME for name in names)
    if dates is None or not floats or not plain:
        equity.to_csv(path, index_label=INDEX_LABEL, float_format=FLOAT_FORMAT)
        return path
    columns = [fixed_point(equity[name].to_numpy(), DECIMALS) for name in equity.columns]
    header = ",".join(names) + "\n"
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8"))
        handle.write(join_rows([dates, *columns]))
    return path


def write_equity_parquet(equity: pd.DataFrame, path: Path) -> Path:
    """Write *equity* to Parquet with its bar times as the ``datetime`` index column."""
    table = pa.Table.from_pandas(equity.rename_axis(INDEX_LABEL), preserve_index=True)
    # Byte-stream split (floats) and delta (times) encodings make the columns compress to a
    # sixth of the CSV at zstd's fastest level; dictionaries would only cost time on values
    # that rarely repeat.
    encodings = {field.name: _encoding(field.type) for field in table.schema}
    pq.write_table(table, path, compression=PARQUET_COMPRESSION,
                   compression_level=PARQUET_COMPRESSION_LEVEL, row_group_size=PARQUET_ROW_GROUP,
                   use_dictionary=False,
                   column_encoding={k: v for k, v in encodings.items() if v is not None})
    return path


def _encoding(kind: pa.DataType) -> str | None:
    if pa.types.is_floating(kind):
        return "BYTE_STREAM_SPLIT"
    if pa.types.is_timestamp(kind) or pa.types.is_integer(kind):
        return "DELTA_BINARY_PACKED"
    return None


def read_equity(folder: Path) -> pd.DataFrame:
    """The equity record of the report in *folder*, indexed by bar time.

    From ``equity.parquet`` when the report has one; reports written before it existed have
    only ``equity.csv``.
    """
    parquet, text = Path(folder) / "equity.parquet", Path(folder) / "equity.csv"
    if parquet.is_file():
        return pd.read_parquet(parquet)
    return pd.read_csv(text, index_col=INDEX_LABEL, parse_dates=[INDEX_LABEL])
