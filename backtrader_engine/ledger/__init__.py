"""The paper ledger: one SQLite file per session, and the only code that touches it.

* :mod:`.schema` — the tables, their indexes and the schema version;
* :mod:`.migrations` — which version a file holds; bringing it to this code's;
* :mod:`.writer` — :class:`LedgerWriter`, the crash-safe writer of the paper session;
* :mod:`.reader` — :class:`LedgerReader`, typed read-only reads for every other consumer
  (status, metrics, control panel, Telegram, parity);
* :mod:`.rows` — the typed rows both return;
* :mod:`.resume` — whether a session may resume a folder's ledger, checked read-only;
* :mod:`.files` — the file's name in a state folder, and removing it.

The package sits below everything that uses it: it imports only the standard library and
the package's error type. Code elsewhere reads and writes the ledger through it, never with
SQL of its own (``tests/ledger/test_one_door.py`` holds everyone to that).
"""

from backtrader_engine.ledger.files import FILENAME, ledger_path, remove_ledger
from backtrader_engine.ledger.reader import LedgerReader, LedgerReadError, logged_until
from backtrader_engine.ledger.resume import check_resumable
from backtrader_engine.ledger.schema import SCHEMA_VERSION
from backtrader_engine.ledger.writer import LedgerDivergence, LedgerWriter

__all__ = [
    "FILENAME",
    "SCHEMA_VERSION",
    "LedgerDivergence",
    "LedgerReadError",
    "LedgerReader",
    "LedgerWriter",
    "check_resumable",
    "ledger_path",
    "logged_until",
    "remove_ledger",
]
