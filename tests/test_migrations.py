"""Migrations build the schema from an empty database on SQLite and PostgreSQL, and match the tables."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

import vendorwatch.db.tables  # noqa: F401
from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.clock import FixedClock
from vendorwatch.db.conditional import include_object
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import MIGRATIONS, alembic_config, current_revision, head_revision, upgrade
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.sync import apply_import


def test_there_is_exactly_one_head() -> None:
    assert len(ScriptDirectory(str(MIGRATIONS)).get_heads()) == 1


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": False, "include_object": include_object(connection.dialect.name)})
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
    inspector = inspect(engine)
    indexes = {i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes("access_events")}
    assert indexes["ix_access_events_vendor_time"] == ("vendor_id", "event_time")
    if engine.dialect.name == "sqlite":  # covering indexes, the event time after a few low-cardinality columns
        assert indexes["ix_access_events_identity"][:4] == ("principal_kind", "outcome", "event_time", "principal")
        assert indexes["ix_access_events_customer"][:4] == ("vendor_id", "environment_id", "outcome", "event_time")
        assert indexes["ix_access_events_action_outcome"][:3] == ("action", "outcome", "event_time")
        assert "ix_access_events_action_time" not in indexes
    else:  # hash aggregation: only the narrow indexes, cheap to keep up at ingest
        assert indexes["ix_access_events_action_time"] == ("action", "event_time")
        assert not {"ix_access_events_identity", "ix_access_events_customer"} & set(indexes)
    uniques = {u["name"]: tuple(u["column_names"]) for u in inspector.get_unique_constraints("access_events")}
    assert uniques["uq_access_event"] == ("source_id", "event_time", "source_event_id")
    assert inspector.get_foreign_keys("access_events") == []  # checked per batch by EventWriter


def test_the_customer_index_stays_partial_on_sqlite_after_the_table_rebuild(sqlite_engine: Engine) -> None:
    upgrade(sqlite_engine)
    with sqlite_engine.connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_access_events_customer'").scalar_one()
    assert "WHERE customer_data = 1" in sql


def test_upgrade_keeps_events_and_their_references(database_url: str, clock: FixedClock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """0005ingest rebuilds access_events on SQLite: rows, and the transfers pointing at them, survive."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0004checks")
    registry, document = load_registry(CONTRACT_REGISTRY)
    # Today's audit entry has columns 0004 lacks (0009tamper); the import's audit entry is not what this is about.
    monkeypatch.setattr("vendorwatch.registry.sync.audit.record", lambda *args, **kwargs: None)
    with Session(engine) as session:
        apply_import(session, registry, document, path="vendorwatch.yaml", actor="tester", clock=clock)
        session.commit()
    columns = "source_id, source_event_id, event_time, vendor_id, action, outcome, customer_data"
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO access_events ({columns}) VALUES "
                                "('asys-aws-prod', 'e-1', '2026-11-26 00:00:00', 'asys', 'CopySnapshot', 'success', "
                                "false)"))
        event_id = connection.execute(text("SELECT id FROM access_events")).scalar_one()
        connection.execute(text("INSERT INTO transfers (access_event_id, vendor_id, kind, occurred_at) VALUES "
                                "(:id, 'asys', 'snapshot_copy', '2026-11-26 00:00:00')"), {"id": event_id})

    assert upgrade(engine) == ("0004checks", head_revision())

    with engine.begin() as connection:
        assert connection.execute(text("SELECT id, source_event_id FROM access_events")).all() == [(event_id, "e-1")]
        assert connection.execute(text("SELECT access_event_id FROM transfers")).scalar_one() == event_id
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # back on afterwards
    with pytest.raises(IntegrityError), engine.begin() as connection:  # the same event again: refused
        connection.execute(text(f"INSERT INTO access_events ({columns}) VALUES "
                                "('asys-aws-prod', 'e-1', '2026-11-26 00:00:00', 'asys', 'CopySnapshot', 'success', "
                                "false)"))
    engine.dispose()


def test_the_check_indexes_go_back_to_principal_order_on_downgrade(sqlite_engine: Engine) -> None:
    """0006timeled only reorders SQLite's check indexes; downgrading restores 0004's order, partial index kept."""
    def layout() -> dict[str, tuple[str, ...]]:
        return {i["name"]: tuple(i["column_names"]) for i in inspect(sqlite_engine).get_indexes("access_events")}

    upgrade(sqlite_engine)
    assert layout()["ix_access_events_identity"][0] == "principal_kind"
    command.downgrade(alembic_config(sqlite_engine), "0005ingest")
    assert layout()["ix_access_events_identity"][0] == "principal"
    assert layout()["ix_access_events_customer"][2] == "principal"
    with sqlite_engine.connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_access_events_customer'").scalar_one()
    assert "WHERE customer_data = 1" in sql
    assert upgrade(sqlite_engine) == ("0005ingest", head_revision())
    assert layout()["ix_access_events_action_outcome"][:3] == ("action", "outcome", "event_time")


def test_the_audit_log_index_upgrades_and_downgrades_with_its_triggers_in_place(database_url: str,
                                                                                clock: FixedClock) -> None:
    """0010auditidx adds the partial index of a contact's failed portal sign-ins; the log stays append-only, and
    an entry of another action with a target longer than a PostgreSQL b-tree entry holds is still recorded."""
    from vendorwatch import audit
    from vendorwatch.db.append_only import missing_protections

    engine = make_engine(database_url)

    def indexes() -> dict[str, tuple[str, ...]]:
        return {i["name"]: tuple(i["column_names"]) for i in inspect(engine).get_indexes("audit_log")}

    command.upgrade(alembic_config(engine), "0009sched")
    with Session(engine) as session:  # an entry from before the index
        audit.record(session, actor="tester", action="portal.signin.failure", target="portal:account:1",
                     clock=clock, key=None)
        session.commit()
    assert "ix_audit_log_portal_failures" not in indexes()
    assert upgrade(engine) == ("0009sched", head_revision())
    assert indexes()["ix_audit_log_portal_failures"] == ("target", "at", "action")
    with engine.connect() as connection:
        assert missing_protections(connection) == []
    long_path = "/srv/registries/" + "".join(f"{n:x}" for n in range(1200)) + "/vendorwatch.yaml"  # 3,361 bytes
    with Session(engine) as session:  # appending still works, and the chain holds every entry
        audit.record(session, actor="tester", action="portal.signin.failure", target="portal:account:1",
                     clock=clock, key=None)
        audit.record(session, actor="tester", action="registry.import", target=long_path, clock=clock, key=None)
        session.commit()
        assert audit.verify(session, key=None) == (3, [])
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET target = 'portal:account:2'"))

    command.downgrade(alembic_config(engine), "0009sched")
    assert "ix_audit_log_portal_failures" not in indexes()
    with engine.connect() as connection:
        assert missing_protections(connection) == []
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 3
    assert upgrade(engine) == ("0009sched", head_revision())
    assert "ix_audit_log_portal_failures" in indexes()
    engine.dispose()
