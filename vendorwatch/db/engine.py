"""Engines and sessions for the SQLite default and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session

from vendorwatch.errors import DatabaseError
from vendorwatch.i18n import t


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3, the driver VendorWatch installs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(
            t(f"データベース URL が正しくありません: {_shown(url)}", f"not a valid database URL: {_shown(url)}"),
            details=["例 / e.g. sqlite:///vendorwatch.db, postgresql+psycopg://user@host/db"],
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            _require_folder(parsed.database)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "do_connect", _create_private)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError, ArgumentError, TypeError, ValueError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DatabaseError(
            t(f"データベース URL を使えません（{reason}）: {_shown(url)}",
              f"cannot use the database URL ({reason}): {_shown(url)}"),
            details=["対応: sqlite:///PATH, postgresql+psycopg://... / supported: sqlite:///PATH, "
                     "postgresql+psycopg://..."],
        ) from None


def _shown(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1] if "@" in url else url


def _require_folder(database: str | None) -> None:
    """A SQLite file is created where asked or not at all: a missing folder is an error, not a database elsewhere."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).resolve().parent
    if not folder.is_dir():
        raise DatabaseError(t(f"SQLite データベースのフォルダがありません: {folder}",
                              f"the folder of the SQLite database does not exist: {folder}"))


def _create_private(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> None:
    """Create a new SQLite file readable by its owner only (0600), before SQLite creates it with the umask's mode.

    The file holds personal data of vendor staff; SQLite gives its -wal and -shm files the database file's mode.
    """
    database = cargs[0] if cargs else cparams.get("database")
    if not isinstance(database, str) or database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def database_exists(url: str) -> bool:
    """False only for a SQLite file that is not there yet (connecting would create it)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).exists()


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
