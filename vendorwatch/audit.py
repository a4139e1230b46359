"""The append-only audit log: who did what, when; each entry carries the hash of the one before.

The database refuses UPDATE and DELETE on the table (triggers); the hash chain lets ``audit verify`` show
that nobody with the power to drop those triggers edited or removed an entry after the fact. The chain's head,
kept outside the database (``audit anchor``, each monthly digest), proves later that nothing up to it changed,
even if the whole chain was recomputed. With an audit key (an environment variable named by
``VENDORWATCH_AUDIT_KEY_ENV``), each entry also carries an HMAC of its hash: an entry appended by someone
without the key fails ``verify`` even when its hash chain is correct.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from vendorwatch.clock import Clock, SystemClock
from vendorwatch.db.tables import AuditEntry
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.settings import get_settings

GENESIS = "0" * 64
MIN_KEY_BYTES = 16


class _FromSettings:
    """The key named by the settings (the default of ``record`` and the CLI)."""


FROM_SETTINGS = _FromSettings()


def audit_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The audit log's HMAC key, from the environment variable ``VENDORWATCH_AUDIT_KEY_ENV`` names (or none)."""
    name = get_settings().audit_key_env
    if not name:
        return None
    value = (os.environ if environ is None else environ).get(name)
    if not value:
        raise ConfigError(t(
            f"VENDORWATCH_AUDIT_KEY_ENV が指す環境変数 {name}（監査ログの鍵）が設定されていません",
            f"the environment variable {name} named by VENDORWATCH_AUDIT_KEY_ENV (the audit log's key) is not set",
        ))
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(t(f"監査ログの鍵（{name}）は {MIN_KEY_BYTES} バイト以上にしてください",
                            f"the audit log's key ({name}) must be at least {MIN_KEY_BYTES} bytes"))
    return key


def entry_mac(key: bytes, entry_hash_: str) -> str:
    """HMAC-SHA256 of an entry's hash under the audit key."""
    return hmac.new(key, entry_hash_.encode("ascii"), hashlib.sha256).hexdigest()


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
           clock: Clock | None = None, key: bytes | _FromSettings | None = FROM_SETTINGS) -> AuditEntry:
    """Append one entry in the caller's transaction (so the change and its record commit together)."""
    signing = audit_key() if isinstance(key, _FromSettings) else key
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
    digest = entry_hash(prev_hash, entry_id, at, actor, action, target, clean)
    entry = AuditEntry(
        id=entry_id,
        at=at,
        actor=actor,
        action=action,
        target=target,
        details=clean,
        prev_hash=prev_hash,
        hash=digest,
        mac=entry_mac(signing, digest) if signing else None,
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


def verify(session: Session, key: bytes | None = None) -> tuple[int, list[ChainBreak]]:
    """Walk the whole log; returns the number of entries and every break (edited, deleted or reordered).

    With the audit key, every entry from the first signed one on must carry a signature that matches (entries
    recorded before a key was set carry none).
    """
    breaks: list[ChainBreak] = []
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    signed_seen = False
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
        if key is not None:
            if entry.mac is None:
                if signed_seen:
                    breaks.append(ChainBreak(entry.id, "not signed with the audit key (added without the key)"))
            elif not hmac.compare_digest(entry.mac, entry_mac(key, entry.hash)):
                breaks.append(ChainBreak(entry.id, "signature does not match the audit key (forged, or another key)"))
            signed_seen = signed_seen or entry.mac is not None
        prev_hash = entry.hash
        expected_id = entry.id + 1
    return count, breaks


def check_anchors(session: Session, anchors: list[str]) -> list[ChainBreak]:
    """Each anchor (a head's hash kept outside the database) must still be the hash of an entry of the chain.

    Together with ``verify`` finding no break, an anchor still present proves that no entry up to it was edited,
    removed or replaced, even by someone who recomputed the whole chain: that would have changed its hash.
    """
    breaks: list[ChainBreak] = []
    for anchor in anchors:
        entry = session.exec(select(AuditEntry).where(AuditEntry.hash == anchor)).first()
        if entry is None:
            breaks.append(ChainBreak(0, f"anchor {anchor} is no longer in the log: entries up to it were changed"))
    return breaks
