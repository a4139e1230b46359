"""Only one active scheduler per database; the others stand by and take over when it dies.

- PostgreSQL: a session-level advisory lock held on a dedicated connection. When the active process dies its
  connection closes and the server releases the lock at once; a standby gets it at its next attempt.
- SQLite (one machine): a lease row renewed by a heartbeat; a standby takes the lease once it has expired.

Both record the holder in ``scheduler_leases`` so that ``status`` can say which scheduler is active.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from vendorwatch.clock import Clock
from vendorwatch.db.core_tables import SCHEDULER_LEASES

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
ADVISORY_KEY = 7301255  # beside the audit log's ...253 and the digest's ...254
_LEASES = SCHEDULER_LEASES


def holder_name() -> str:
    """Who this process is, as the lease shows it: host, process id and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leadership(Protocol):
    """The right to be the active scheduler."""

    holder: str

    def acquire(self) -> bool:
        """Try to become (or stay) the active scheduler; never waits."""
        ...

    def renew(self) -> bool:
        """Heartbeat; ``False`` when the right was lost (another scheduler has it, or the database went away)."""
        ...

    def release(self) -> None:
        """Give the right up (on a clean exit), so a standby need not wait for the lease to expire."""
        ...


class Lease:
    """A lease row with a heartbeat (any database; the one used on SQLite)."""

    def __init__(self, engine: Engine, clock: Clock, lease_seconds: float, holder: str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or holder_name()

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours."""
        now = self.clock.now()
        values = {"holder": self.holder, "heartbeat_at": now, "expires_at": now + self.lease}
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    update(_LEASES).where(_LEASES.c.name == LEASE_NAME)
                    .where((_LEASES.c.holder == self.holder) | (_LEASES.c.expires_at < now))
                    .values(**values, acquired_at=now)
                ).rowcount
                if taken:
                    return True
                exists = connection.execute(text("SELECT 1 FROM scheduler_leases WHERE name = :n"),
                                            {"n": LEASE_NAME}).first()
                if exists:
                    return False
                connection.execute(insert(_LEASES).values(name=LEASE_NAME, acquired_at=now, **values))
                return True
        except IntegrityError:
            return False  # another standby inserted it a moment ago
        except OperationalError as exc:  # busy database: try again at the next beat
            log.warning("cannot take the scheduler lease now: %s", exc)
            return False

    def renew(self) -> bool:
        """Extend our lease; ``False`` if it is no longer ours."""
        now = self.clock.now()
        try:
            with self.engine.begin() as connection:
                return bool(connection.execute(
                    update(_LEASES).where(_LEASES.c.name == LEASE_NAME, _LEASES.c.holder == self.holder)
                    .values(heartbeat_at=now, expires_at=now + self.lease)
                ).rowcount)
        except OperationalError as exc:
            # A busy SQLite file: keep going while the lease has not run out (the next beat retries).
            log.warning("cannot renew the scheduler lease now: %s", exc)
            return True

    def release(self) -> None:
        """Delete our lease row."""
        with self.engine.begin() as connection:
            connection.execute(delete(_LEASES).where(_LEASES.c.name == LEASE_NAME, _LEASES.c.holder == self.holder))


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a dedicated connection; the lease row only shows the holder."""

    def __init__(self, engine: Engine, clock: Clock, lease_seconds: float, holder: str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.holder = holder or holder_name()
        self.lease = timedelta(seconds=lease_seconds)
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        """Try the lock on our own connection (kept open while we hold it)."""
        if self.connection is not None:
            return self.renew()
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
        except DBAPIError:
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self.connection = connection
        self._show_holder()
        return True

    def renew(self) -> bool:
        """Check that our connection (hence the lock) is still alive."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            log.error("lost the scheduler lock with its connection: %s", exc)
            self._drop()
            return False
        self._show_holder()
        return True

    def release(self) -> None:
        """Unlock and close the connection."""
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self.connection.execute(delete(_LEASES).where(_LEASES.c.holder == self.holder))
        except DBAPIError:
            pass
        self._drop()

    def _show_holder(self) -> None:
        assert self.connection is not None
        now = self.clock.now()
        values = {"holder": self.holder, "heartbeat_at": now, "expires_at": now + self.lease}
        changed = self.connection.execute(update(_LEASES).where(_LEASES.c.name == LEASE_NAME).values(**values)).rowcount
        if not changed:
            self.connection.execute(insert(_LEASES).values(name=LEASE_NAME, acquired_at=now, **values))

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(DBAPIError):
                self.connection.close()
            self.connection = None


def leadership_for(engine: Engine, clock: Clock, lease_seconds: float) -> Leadership:
    """The advisory lock on PostgreSQL, the lease elsewhere."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, clock, lease_seconds)
    return Lease(engine, clock, lease_seconds)
