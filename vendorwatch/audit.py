"""The append-only audit log: who did what, when; each entry carries the hash of the one before.

The database refuses UPDATE and DELETE on the table (triggers); the hash chain lets ``audit verify`` show
that nobody with the power to drop those triggers edited or removed an entry after the fact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from vendorwatch.clock import Clock, SystemClock
from vendorwatch.db.tables import AuditEntry

GENESIS = "0" * 64


def entry_hash(prev_hash: str, entry_id: int, at: datetime, actor: str, action: str, target: str,
               details: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and this entry's content, in a canonical encoding."""
    payload = orjson.dumps(
        {
            "prev": prev_hash,
            "id": entry_id,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        },
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(payload).hexdigest()


def record(session: Session, *, actor: str, action: str, target: str, details: dict[str, Any] | None = None,
           clock: Clock | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (so the change and its record commit together)."""
    at = (clock or SystemClock()).now()
    clean = orjson.loads(orjson.dumps(details or {}, option=orjson.OPT_NON_STR_KEYS, default=str))
    # The caller's pending changes are written before the chain is locked, so that the lock (held until commit)
    # covers only reading the chain's head and appending to it.
    session.flush()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Serialize writers so two processes never chain onto the same previous entry.
        session.execute(text("SELECT pg_advisory_xact_lock(7301253)"))
    last = session.exec(select(AuditEntry.id, AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)).first()
    prev_hash = last[1] if last else GENESIS
    entry_id = (last[0] or 0) + 1 if last else 1
    entry = AuditEntry(
        id=entry_id,
        at=at,
        actor=actor,
        action=action,
        target=target,
        details=clean,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, entry_id, at, actor, action, target, clean),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainHead:
    """The newest entry of the chain at some moment: kept outside the database (the monthly digest carries it),
    it proves later that no entry up to it was changed or removed."""

    entries: int  # entries in the log up to and including the head
    entry_id: int  # 0 for an empty log
    hash: str  # GENESIS for an empty log
    at: datetime | None


def head(session: Session, until: datetime | None = None) -> ChainHead:
    """The head of the audit chain as of ``until`` (entries recorded before it), or now."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)
    counting = select(func.count()).select_from(AuditEntry)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
        counting = counting.where(col(AuditEntry.at) < until)
    last = session.exec(query).first()
    if last is None or last.id is None:
        return ChainHead(0, 0, GENESIS, None)
    entries = session.exec(counting.where(col(AuditEntry.id) <= last.id)).one()
    return ChainHead(int(entries), last.id, last.hash, last.at)


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain does not hold, and why."""

    entry_id: int
    reason: str


def verify(session: Session) -> tuple[int, list[ChainBreak]]:
    """Walk the whole log; returns the number of entries and every break (edited, deleted or reordered)."""
    breaks: list[ChainBreak] = []
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
        count += 1
        assert entry.id is not None
        if entry.id != expected_id:
            breaks.append(ChainBreak(entry.id, f"entries {expected_id}..{entry.id - 1} are missing (deleted)"))
        if entry.prev_hash != prev_hash:
            breaks.append(ChainBreak(entry.id, "does not follow the entry before it (an entry was removed or replaced)"))
        actual = entry_hash(entry.prev_hash, entry.id, entry.at, entry.actor, entry.action, entry.target,
                            entry.details)
        if actual != entry.hash:
            breaks.append(ChainBreak(entry.id, "content does not match its hash (edited)"))
        prev_hash = entry.hash
        expected_id = entry.id + 1
    return count, breaks
