"""Security events (a denied lookup, a refused upload) are audited even when the request that caused them fails.

Such an event is written in a transaction of its own, so the caller's rollback (a 404 page, an error) does not
take it away. When the caller's transaction has already written something, a second writer would wait on the
caller's locks (SQLite's write lock, the audit log's advisory lock on PostgreSQL), so the event then joins the
caller's transaction instead. Sessions track whether they have written with two listeners installed here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import Clock

_WROTE = "vendorwatch.wrote"


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction(session: OrmSession, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended (commit or rollback)
        session.info.pop(_WROTE, None)


def has_written(session: OrmSession) -> bool:
    """Whether the session's current transaction has written anything."""
    return bool(session.info.get(_WROTE))


def record_security_event(session: Session, *, actor: str, action: str, target: str, details: dict[str, Any],
                          clock: Clock) -> None:
    """Audit a security event so that it survives the caller's rollback whenever that is safe."""
    if has_written(session):
        audit.record(session, actor=actor, action=action, target=target, details=details, clock=clock)
        return
    with Session(session.get_bind()) as own:
        audit.record(own, actor=actor, action=action, target=target, details=details, clock=clock)
        own.commit()
