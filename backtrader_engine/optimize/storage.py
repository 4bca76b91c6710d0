"""Where a study lives: a journal file (default) or a database, and creating/loading studies.

A storage is named by one string so it can travel to worker processes: a database URL
(``postgresql://user:pass@host/db``, ``sqlite:///study.db``) or the path of an Optuna journal
file (``runs/optimize/x/study.journal``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.study import StudyDirection

from backtrader_engine.errors import UserError

#: URL schemes handed to SQLAlchemy through Optuna's RDBStorage.
DB_SCHEMES = ("sqlite", "postgresql", "mysql")
JOURNAL_NAME = "study.journal"
# Seconds an SQLite writer waits for the database lock before failing: parallel workers take
# turns writing, and a short default timeout turns that into "database is locked" errors.
SQLITE_BUSY_TIMEOUT = 60


def default_storage(out_dir: Path) -> str:
    """The journal file a study uses when no ``--storage`` is given."""
    return str(Path(out_dir) / JOURNAL_NAME)


def is_database_url(storage: str) -> bool:
    """Whether *storage* is a database URL rather than a journal file path."""
    return "://" in storage


def check_storage(storage: str) -> None:
    """Refuse a database URL whose scheme is not supported, or a path that is no journal."""
    if not is_database_url(storage):
        check_journal_file(Path(storage))
        return
    scheme = storage.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme not in DB_SCHEMES:
        raise UserError(
            f"--storage {mask_storage(storage)}: unsupported scheme '{scheme}'; use "
            "postgresql://user:password@host/db, sqlite:///file.db or a journal file path"
        )


def open_storage(storage: str) -> BaseStorage:
    """Open the storage named by *storage* (see the module docstring).

    Raises
    ------
    UserError
        For an unsupported URL scheme or a database that cannot be reached.
    """
    if not is_database_url(storage):
        path = Path(storage)
        check_journal_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The default symlink lock needs symlink rights, which Windows accounts often lack.
        lock = JournalFileOpenLock(str(path)) if os.name == "nt" else None
        return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
    check_storage(storage)
    engine_kwargs: dict[str, object] = {"pool_pre_ping": True}
    if storage.lower().startswith("sqlite"):
        engine_kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}
    try:
        return RDBStorage(storage, engine_kwargs=engine_kwargs)
    except Exception as exc:  # SQLAlchemy/driver errors have no common base worth naming
        reason = " ".join(str(exc).split())[:300]
        raise UserError(f"--storage {mask_storage(storage)}: cannot open the database: "
                        f"{type(exc).__name__}: {reason}") from exc


#: How an SQLite database file begins; named as a journal path it would be read as text.
SQLITE_HEADER = b"SQLite format 3\x00"
# The first journal record (the study's creation) is small; a longer first line is not one.
_FIRST_LINE_LIMIT = 1 << 20


def check_journal_file(path: Path) -> None:
    """Refuse a journal path that is a folder or an existing file that is no Optuna journal.

    A missing or empty file is a new journal. Anything else must start with a journal
    record (one JSON object with an ``op_code``): Optuna would otherwise fail deep inside
    with a decode or key error, or append its records to an unrelated file.

    Raises
    ------
    UserError
        One line naming the path and what it holds instead.
    """
    if path.is_dir():
        raise UserError(f"--storage {path}: is a folder; name a journal file, e.g. "
                        f"{path / JOURNAL_NAME}")
    if not path.exists():
        return
    try:
        with path.open("rb") as fh:
            first = fh.readline(_FIRST_LINE_LIMIT)
    except OSError as exc:
        raise UserError(f"--storage {path}: cannot read it ({exc.strerror or exc})") from None
    if not first:
        return
    if first.startswith(SQLITE_HEADER):
        raise UserError(f"--storage {path}: is an SQLite database, not a journal file; name "
                        f"it as sqlite:///{path}")
    try:
        record = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        record = None
    if not (isinstance(record, dict) and "op_code" in record):
        raise UserError(f"--storage {path}: is not an Optuna journal file (its first line is "
                        "no journal record); name the study.journal an optimisation writes "
                        "(or, for a new study, a path that does not exist yet)")


def mask_storage(storage: str) -> str:
    """*storage* with any password replaced by ``***`` (safe to print and record)."""
    if not is_database_url(storage):
        return storage
    try:
        from sqlalchemy.engine import make_url

        return make_url(storage).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: hide everything between '://' and '@'
        head, _, rest = storage.partition("://")
        return f"{head}://***@{rest.rpartition('@')[2]}" if "@" in rest else storage


def _normalised(fingerprint: Mapping[str, object]) -> dict[str, object]:
    # Stored user attrs come back from JSON; compare like with like.
    return json.loads(json.dumps(dict(fingerprint), default=str))


def create_or_load_study(storage: BaseStorage, storage_name: str, study_name: str,
                         fingerprint: Mapping[str, object],
                         directions: Sequence[str] = ("maximize",)) -> optuna.Study:
    """Create the study, or load it and check it was run with the same settings.

    The parent process creates the study before any worker starts, so workers only ever load
    it and never race inside ``create_study``.

    Parameters
    ----------
    storage : BaseStorage
        An opened storage (:func:`open_storage`).
    storage_name : str
        How the storage was named, for error messages.
    study_name : str
        The study to create or continue.
    fingerprint : Mapping
        The settings that make trial values comparable (strategy, metric, data range, costs,
        fixed params). Stored on a new study; compared on a continued one.
    directions : sequence of str
        ``"maximize"``/``"minimize"`` per metric (several: a multi-objective study).

    Raises
    ------
    UserError
        When an existing study of that name was run with different settings.
    """
    study = optuna.create_study(storage=storage, study_name=study_name,
                                directions=[StudyDirection[d.upper()] for d in directions],
                                load_if_exists=True)
    stored_directions = [d.name.lower() for d in study.directions]
    if len(directions) == 1 and stored_directions == ["minimize"]:
        raise UserError(f"study '{study_name}' in {mask_storage(storage_name)} minimises; "
                        "use another --study-name")
    if stored_directions != list(directions):
        stored_metric = (study.user_attrs.get("fingerprint") or {}).get("metric")
        was = f"--metric {stored_metric}" if stored_metric else (
            f"{len(stored_directions)} objective(s) ({','.join(stored_directions)})")
        raise UserError(f"study '{study_name}' in {mask_storage(storage_name)} was run with "
                        f"{was}, this run has --metric {fingerprint.get('metric')}; use another "
                        "--study-name or the study's --metric")
    wanted = _normalised(fingerprint)
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        study.set_user_attr("fingerprint", wanted)
        return study
    for key, value in wanted.items():
        if stored.get(key) != value:
            raise UserError(
                f"study '{study_name}' in {mask_storage(storage_name)} was run with "
                f"{key}={json.dumps(stored.get(key))}, this run has {key}={json.dumps(value)}; "
                "use another --study-name or the study's settings"
            )
    return study
