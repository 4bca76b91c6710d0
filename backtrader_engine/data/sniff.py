"""Format detection by file content (magic bytes, CSV header), cross-checked with the extension.

Content wins over the file name: a Binance archive renamed ``candles.dat`` still loads, while a
``.parquet`` file that is not Parquet (an HTML error page saved by a failed download, a
truncated copy) is reported as such instead of failing deep inside pyarrow.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather

from backtrader_engine.errors import DataError, did_you_mean

#: Supported layouts and a one-line description of each (used in "unknown layout" errors).
FORMATS: dict[str, str] = {
    "freqtrade-feather": "freqtrade Feather (date column + open/high/low/close/volume)",
    "feather": "Feather/Arrow IPC with a datetime index or time column + OHLC",
    "parquet": "Parquet with a datetime index or time column + OHLC",
    "binance-zip": "data.binance.vision kline ZIP (CSV with or without header)",
    "binance-csv": "Binance kline CSV (12 columns, open_time in ms or us)",
    "cryptodatadownload-csv": "CryptoDataDownload CSV (banner line, usually newest first)",
    "csv": "CSV with a time column (or unnamed first column) + open/high/low/close[/volume]",
    "csv-zip": "ZIP holding CSV file(s) of one of the CSV layouts above",
    "directory": "a directory (or glob) of files in the layouts above, concatenated",
}

SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".zip", ".feather", ".arrow", ".parquet")
_COLUMNAR_SUFFIXES = {".parquet": "Parquet", ".feather": "Feather", ".arrow": "Arrow IPC"}
_HEAD_BYTES = 65536
_DELIMITERS = (",", ";", "\t", "|")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CDD_VOLUME = re.compile(r"^volume[ _]?[a-z0-9]+$")


@dataclass(frozen=True)
class CsvLayout:
    """How to read a CSV text: its layout kind, banner lines to skip, header and delimiter."""

    kind: str
    skiprows: int
    header: bool
    sep: str


def supported_layouts() -> str:
    """One line listing the supported layouts, for error messages."""
    return "; ".join(FORMATS.values())


def require_exists(path: Path) -> None:
    """Raise :class:`DataError` (with close-match suggestions) if *path* does not exist."""
    if path.exists():
        return
    parent = path.parent
    hint = ""
    if parent.is_dir():
        hint = did_you_mean(path.name, [p.name for p in parent.iterdir()])
    raise DataError(f"{path}: file not found{hint}; expected an existing data file or directory")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip().strip('"')))


def _split(line: str, sep: str) -> list[str]:
    return [field.strip().strip('"').strip() for field in line.split(sep)]


def _is_cdd_header(names: list[str]) -> bool:
    """CryptoDataDownload headers carry base and quote volume columns side by side."""
    if "volumefrom" in names and "volumeto" in names:
        return True
    return sum(1 for name in names if _CDD_VOLUME.match(name) and name != "volume") >= 2


def sniff_csv(head: str, *, source: str) -> CsvLayout:
    """Classify CSV text from its first lines.

    Parameters
    ----------
    head : str
        The beginning of the file (a few kB are enough).
    source : str
        The file path for error messages.

    Returns
    -------
    CsvLayout

    Raises
    ------
    DataError
        If the text matches none of the supported CSV layouts.
    """
    lines = [line for line in head.splitlines() if line.strip()][:4]
    if not lines:
        raise DataError(f"{source}: file is empty; expected CSV with OHLCV rows")
    skip = 1 if "cryptodatadownload" in lines[0].lower() else 0
    if len(lines) <= skip:
        raise DataError(f"{source}: no header or data after the banner line; expected OHLCV rows")
    first = lines[skip]
    sep = max(_DELIMITERS, key=first.count)
    fields = _split(first, sep)
    if len(fields) < 5:
        raise DataError(
            f"{source}: unknown layout: first line has {len(fields)} field(s) "
            f"'{first[:80]}'; supported layouts: {supported_layouts()}"
        )
    if all(_is_number(f) for f in fields):
        if len(fields) >= 6:
            return CsvLayout("binance-csv", skip, header=False, sep=sep)
        raise DataError(
            f"{source}: unknown layout: headerless CSV with {len(fields)} columns; expected a "
            "header row, or Binance's 12-column kline rows"
        )
    names = [f.lower() for f in fields]
    if names[0] == "open_time" and "close_time" in names:
        return CsvLayout("binance-csv", skip, header=True, sep=sep)
    if skip or _is_cdd_header(names):
        return CsvLayout("cryptodatadownload-csv", skip, header=True, sep=sep)
    return CsvLayout("csv", skip, header=True, sep=sep)


def read_head(path: Path) -> bytes:
    """Return the first bytes of a file."""
    with path.open("rb") as handle:
        return handle.read(_HEAD_BYTES)


def decode_head(head: bytes) -> str:
    """Decode text, dropping a UTF-8 byte-order mark and a possibly cut last character."""
    return head.decode("utf-8-sig", errors="replace")


def zip_csv_members(path: Path) -> list[str]:
    """Names of the CSV members of a ZIP archive, in archive order.

    Raises
    ------
    DataError
        If the archive is corrupt or holds no ``.csv`` member.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith((".csv", ".txt"))
            ]
    except zipfile.BadZipFile as exc:
        raise DataError(f"{path}: corrupt ZIP archive ({exc}); re-download the file") from exc
    if not names:
        raise DataError(f"{path}: ZIP archive holds no .csv file; expected one kline CSV inside")
    return names


def zip_member_head(path: Path, member: str) -> str:
    """Decoded first bytes of one archive member."""
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        return decode_head(handle.read(_HEAD_BYTES))


def _feather_kind(path: Path) -> str:
    try:
        if read_head(path).startswith(b"ARROW1"):
            schema = pa.ipc.open_file(path).schema
        else:  # Feather v1 has no IPC footer; reading it whole is the only way to its schema.
            schema = feather.read_table(path).schema
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(
            f"{path}: unreadable Feather file ({exc}); re-create or re-download it"
        ) from exc
    date = schema.field("date") if "date" in schema.names else None
    ohlcv = {"open", "high", "low", "close", "volume"}
    if date is not None and pa.types.is_timestamp(date.type) and ohlcv <= set(schema.names):
        return "freqtrade-feather"
    return "feather"


def _check_suffix(path: Path, detected: str) -> None:
    """Refuse a columnar extension on a file whose content is something else."""
    expected = _COLUMNAR_SUFFIXES.get(path.suffix.lower())
    if expected is None:
        return
    if detected == "parquet" and expected == "Parquet":
        return
    if detected in ("feather", "freqtrade-feather") and expected != "Parquet":
        return
    raise DataError(
        f"{path}: the extension says {expected} but the content is not (detected {detected}); "
        "the file may be truncated or mislabelled"
    )


def detect_container(path: Path) -> str:
    """Classify a file by its magic bytes: ``parquet``, ``feather``, ``zip`` or ``text``.

    Raises
    ------
    DataError
        For a binary file of any other kind.
    """
    head = read_head(path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"ARROW1", b"FEA1")):
        return "feather"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if b"\x00" in head:
        raise DataError(
            f"{path}: unknown layout: binary file that is not Parquet, Feather or ZIP; "
            f"supported layouts: {supported_layouts()}"
        )
    return "text"


def detect_format(path: str | Path) -> str:
    """Detect the layout of a data file or directory from its content.

    Parameters
    ----------
    path : str or pathlib.Path
        A file, or a directory whose supported files are loaded together.

    Returns
    -------
    str
        One of the keys of :data:`FORMATS`: ``"freqtrade-feather"``, ``"feather"``,
        ``"parquet"``, ``"binance-zip"``, ``"binance-csv"``, ``"cryptodatadownload-csv"``,
        ``"csv"``, ``"csv-zip"`` or ``"directory"``.

    Raises
    ------
    DataError
        If the path does not exist or its layout is not supported.
    """
    path = Path(path)
    require_exists(path)
    if path.is_dir():
        return "directory"
    container = detect_container(path)
    if container == "parquet":
        detected = "parquet"
    elif container == "feather":
        detected = _feather_kind(path)
    elif container == "zip":
        members = zip_csv_members(path)
        inner = sniff_csv(zip_member_head(path, members[0]), source=f"{path} [{members[0]}]")
        detected = "binance-zip" if inner.kind == "binance-csv" else "csv-zip"
    else:
        detected = sniff_csv(decode_head(read_head(path)), source=str(path)).kind
    _check_suffix(path, detected)
    return detected
