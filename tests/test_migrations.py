"""Migrations build the schema from an empty database on SQLite and PostgreSQL, and match the tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import vendorwatch.db.tables  # noqa: F401
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import MIGRATIONS, alembic_config, current_revision, head_revision, upgrade


def test_there_is_exactly_one_head() -> None:
    assert len(ScriptDirectory(str(MIGRATIONS)).get_heads()) == 1


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_from_empty_then_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    before, after = upgrade(engine)
    assert (before, after) == (None, head_revision())
    tables = set(inspect(engine).get_table_names())
    assert {"vendors", "access_events", "findings", "finding_history", "audit_log", "collection_runs",
            "principals", "grants", "transfers", "transfer_approvals"} <= tables
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())  # idempotent
    engine.dispose()


def test_access_events_have_the_indexes_checks_rely_on(engine: Engine) -> None:
    indexes = {tuple(i["column_names"]) for i in inspect(engine).get_indexes("access_events")}
    assert ("vendor_id", "event_time") in indexes
    assert ("principal", "event_time") in indexes
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("access_events")}
    assert ("source_id", "source_event_id") in uniques or ("source_id", "source_event_id") in indexes
