"""The audit log is append-only and hash-chained: an edited or deleted entry is found by `audit verify`."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import FixedClock


def write_entries(engine: Engine, clock: FixedClock, count: int = 4) -> None:
    with Session(engine) as session:
        for number in range(1, count + 1):
            audit.record(session, actor="hanako", action="finding.accept", target=f"finding/{number}",
                         details={"reason": f"compensating control {number}", "until": "2027-03-31"}, clock=clock)
        session.commit()


def verify(engine: Engine) -> tuple[int, list[audit.ChainBreak]]:
    with Session(engine) as session:
        return audit.verify(session)


def disable_append_only_guard(engine: Engine) -> None:
    """What an attacker with database-owner rights could do before tampering."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))


def test_an_intact_log_verifies(engine: Engine, clock: FixedClock) -> None:
    write_entries(engine, clock)
    count, breaks = verify(engine)
    assert (count, breaks) == (4, [])


def test_the_database_refuses_to_update_or_delete_entries(engine: Engine, clock: FixedClock) -> None:
    write_entries(engine, clock)
    for statement in ("UPDATE audit_log SET actor = 'mallory' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert verify(engine) == (4, [])


def test_an_edited_entry_is_detected(engine: Engine, clock: FixedClock) -> None:
    write_entries(engine, clock)
    disable_append_only_guard(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    count, breaks = verify(engine)
    assert count == 4
    assert [(b.entry_id, b.reason) for b in breaks] == [(2, "content does not match its hash (edited)")]


def test_an_edit_that_recomputes_its_own_hash_is_still_detected(engine: Engine, clock: FixedClock) -> None:
    write_entries(engine, clock)
    disable_append_only_guard(engine)
    with Session(engine) as session:
        entry = session.get(audit.AuditEntry, 2)
        assert entry is not None
        forged = audit.entry_hash(entry.prev_hash, 2, entry.at, "mallory", entry.action, entry.target, entry.details)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE id = 2"), {"h": forged})
    _, breaks = verify(engine)
    assert [b.entry_id for b in breaks] == [3]  # the next entry no longer follows


def test_a_deleted_entry_is_detected(engine: Engine, clock: FixedClock) -> None:
    write_entries(engine, clock)
    disable_append_only_guard(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = 2"))
    count, breaks = verify(engine)
    assert count == 3
    assert {b.entry_id for b in breaks} == {3}
    assert any("missing" in b.reason for b in breaks)


def test_audit_verify_command_exits_1_on_tampering(engine: Engine, clock: FixedClock, database_url: str,
                                                   run_cli) -> None:
    write_entries(engine, clock)
    ok = run_cli("audit", "verify", env={"VENDORWATCH_DATABASE_URL": database_url})
    assert ok.exit_code == 0, ok.stderr
    assert "audit log intact (4 entries)" in ok.stdout
    disable_append_only_guard(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = 4"))
    recorded_head = verify_head_hash(engine, clock)
    tampered = run_cli("audit", "verify", "--expect-head", recorded_head, env={"VENDORWATCH_DATABASE_URL": database_url})
    assert tampered.exit_code == 1
    assert "tampering detected" in tampered.stdout


def verify_head_hash(engine: Engine, clock: FixedClock) -> str:
    """The hash entry 4 had: recomputed from the same inputs the writer used (as an operator would have noted it)."""
    with Session(engine) as session:
        third = session.get(audit.AuditEntry, 3)
        assert third is not None
        details = {"reason": "compensating control 4", "until": "2027-03-31"}
        return audit.entry_hash(third.hash, 4, clock.now(), "hanako", "finding.accept", "finding/4", details)
