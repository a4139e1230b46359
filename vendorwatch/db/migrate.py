"""Apply the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from vendorwatch.errors import DatabaseError
from vendorwatch.i18n import t

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The newest migration shipped."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise DatabaseError(
            t(f"データベースに接続できません: {reason}", f"cannot connect to the database: {reason}")
        ) from None


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Create or migrate the database to the newest schema; returns (before, after) revisions."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is missing or behind; tell the user to run ``init``."""
    current = current_revision(engine)
    if current != head_revision():
        raise DatabaseError(
            t(
                "データベースが初期化されていないか古い版です。先に `vendorwatch init` を実行してください",
                "the database is not initialized or is behind; run `vendorwatch init` first",
            )
        )
