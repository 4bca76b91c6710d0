"""A real PostgreSQL server for distributed-study tests.

The server is a throwaway cluster in a temporary folder, started with the Debian ``postgresql``
package's binaries (``.ci/run`` installs them), listening on 127.0.0.1 only. Postgres refuses to
run as root, so under root it runs as the ``postgres`` user that the package creates. Outside CI
the tests skip when no server binaries exist; in CI (``CI`` set) a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """Start a PostgreSQL cluster for the session; yields (host, port)."""
    bindir = _pg_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries not found (Debian package 'postgresql')")
    # Not under pytest's tmp_path: that tree is private to the current user, and the server
    # runs as 'postgres' when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="bte-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    port = _free_port()
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "bte",
                                    "--auth=trust", "--encoding=UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-l", str(root / "server.log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield "127.0.0.1", port
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server, as a SQLAlchemy URL."""
    import psycopg

    host, port = postgres_server
    name = f"study_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=host, port=port, user="bte", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://bte@{host}:{port}/{name}"
