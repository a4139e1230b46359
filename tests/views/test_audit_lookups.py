"""The read models' lookups in the audit log: right on both databases, and on SQLite (which plans without
statistics) answered the way they were meant to be: a contact's failed sign-ins from the covering partial index
``ix_audit_log_portal_failures`` (0010auditidx), the staff's recent sign-ins backwards along the primary key
(an index range over every sign-in ever made, then a sort, is what an index on every action would have made SQLite
pick). Plans, not timings:
``python -m benchmarks.audit_lookups`` measures them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import FixedClock
from vendorwatch.views import portal_contacts, staff


def _seed(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        for n in range(30):
            clock.set(clock.now() + timedelta(hours=1))
            audit.record(session, actor="mail@vendor.example", action="portal.signin.failure",
                         target=f"portal:account:{n % 3 + 1}", clock=clock, key=None)
            audit.record(session, actor="someone", action="finding.status_changed", target=f"finding:{n}",
                         clock=clock, key=None)
            audit.record(session, actor="vera", action=staff.SIGN_IN_ACTIONS[n % 3], target="staff:vera",
                         details={"method": "password"}, clock=clock, key=None)
        session.commit()


def _plan(engine: Engine, lookup: Callable[[Session], Any]) -> str:
    """SQLite's plan of the last statement a lookup sends."""
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        with Session(engine) as session:
            lookup(session)
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sent[-1][0], sent[-1][1]).all()
    return " | ".join(str(row[-1]) for row in rows)


def test_failures_and_sign_ins_are_read_right(engine: Engine, clock: FixedClock) -> None:
    _seed(engine, clock)
    with Session(engine) as session:
        failures = portal_contacts._failures(session, [1, 2, 4], clock.now() - timedelta(hours=15))
        recent = staff.recent_sign_ins(session, limit=4)
    assert failures == {1: 5, 2: 5}  # the last 15 hours: 15 failures over 3 accounts; account 4 has none
    assert [r.action for r in recent] == ["signout", "signin.failure", "signin.success", "signout"]
    assert [r.at for r in recent] == sorted((r.at for r in recent), reverse=True)


def test_sqlite_counts_failures_from_the_covering_index(sqlite_engine: Engine, clock: FixedClock) -> None:
    _seed(sqlite_engine, clock)
    plan = _plan(sqlite_engine, lambda s: portal_contacts._failures(s, [1, 2], clock.now() - timedelta(days=30)))
    assert "USING COVERING INDEX ix_audit_log_portal_failures (target=? AND at>?)" in plan


def test_sqlite_reads_recent_sign_ins_backwards_along_the_primary_key(sqlite_engine: Engine,
                                                                     clock: FixedClock) -> None:
    _seed(sqlite_engine, clock)
    plan = _plan(sqlite_engine, lambda s: staff.recent_sign_ins(s))
    assert plan == "SCAN audit_log", plan  # no index, no sort: it stops at the 50th sign-in
