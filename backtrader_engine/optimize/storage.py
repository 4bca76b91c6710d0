"""Where a study lives: a journal file (default) or a database, and creating/loading studies.

A storage is named by one string so it can travel to worker processes: a database URL
(``postgresql://user:pass@host/db``, ``sqlite:///study.db``) or the path of an Optuna journal
file (``runs/optimize/x/study.journal``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from ..errors import UserError

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
    """Refuse a database URL whose scheme is not supported (journal paths are always fine)."""
    if not is_database_url(storage):
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
                         fingerprint: Mapping[str, object]) -> optuna.Study:
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

    Raises
    ------
    UserError
        When an existing study of that name was run with different settings.
    """
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize",
                                load_if_exists=True)
    if study.direction != optuna.study.StudyDirection.MAXIMIZE:
        raise UserError(f"study '{study_name}' in {mask_storage(storage_name)} minimises; "
                        "use another --study-name")
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
