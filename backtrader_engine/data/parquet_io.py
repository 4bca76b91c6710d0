"""Atomic Parquet writes: a reader never sees a half-written file.

The data is written to a temporary file in the target directory and moved into place with
``os.replace``, which is atomic on POSIX and Windows when source and target share a file
system (hence the same directory rather than the system temp dir).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "zstd"


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by the owner only; a store file should get the permissions any
# other new file would. Read once at import, as changing the umask is process-wide.
_NEW_FILE_MODE = 0o666 & ~_read_umask()


def write_parquet_atomic(frame: pd.DataFrame | pd.Series, path: str | Path) -> Path:
    """Write a frame (or named series) with its index to Parquet, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame or pandas.Series
        Data to write; a Series is written as a one-column frame named after it.
    path : str or pathlib.Path
        Target file; parent directories are created.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    table_frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
    table = pa.Table.from_pandas(table_frame, preserve_index=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        pq.write_table(table, tmp, compression=COMPRESSION)
        mode = target.stat().st_mode & 0o777 if target.exists() else _NEW_FILE_MODE
        os.chmod(tmp, mode)
        with tmp.open("rb") as written:
            # Flush to disk before the rename so a crash cannot leave an empty target file.
            os.fsync(written.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
