"""A source being collected holds a claim in the database (``source_claims``), renewed while it runs: a source
is never collected twice at once, whichever process (the scheduler, a standby, a person running ``collect``)
starts it. A claim whose holder died expires and can be taken again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError

from vendorwatch.clock import Clock
from vendorwatch.db.core_tables import SOURCE_CLAIMS as _CLAIMS

log = logging.getLogger(__name__)


class SourceClaims:
    """The database's guard: a source is collected by one process at a time (a claim renewed while it runs)."""

    def __init__(self, engine: Engine, clock: Clock, holder: str, claim_seconds: float) -> None:
        self.engine = engine
        self.clock = clock
        self.holder = holder
        self.claim = timedelta(seconds=claim_seconds)

    def take(self, source_id: str) -> bool:
        """Claim the source unless another live claim holds it."""
        now = self.clock.now()
        values = {"holder": self.holder, "claimed_at": now, "expires_at": now + self.claim}
        try:
            with self.engine.begin() as connection:
                if connection.execute(update(_CLAIMS).where(_CLAIMS.c.source_id == source_id,
                                                            _CLAIMS.c.expires_at < now).values(**values)).rowcount:
                    return True
                connection.execute(insert(_CLAIMS).values(source_id=source_id, **values))
                return True
        except IntegrityError:
            return False

    def renew(self, source_id: str) -> None:
        """Extend our claim while the collection runs."""
        with self.engine.begin() as connection:
            connection.execute(update(_CLAIMS).where(_CLAIMS.c.source_id == source_id,
                                                     _CLAIMS.c.holder == self.holder)
                               .values(expires_at=self.clock.now() + self.claim))

    def release(self, source_id: str) -> None:
        """Drop our claim."""
        with self.engine.begin() as connection:
            connection.execute(delete(_CLAIMS).where(_CLAIMS.c.source_id == source_id,
                                                     _CLAIMS.c.holder == self.holder))

    @contextmanager
    def held(self, source_id: str) -> Iterator[bool]:
        """``True`` inside when the source is ours (renewed in the background), ``False`` when it is busy."""
        if not self.take(source_id):
            yield False
            return
        stop = threading.Event()
        beat = self.claim.total_seconds() / 3

        def heartbeat() -> None:
            while not stop.wait(beat):
                try:
                    self.renew(source_id)
                except Exception as exc:  # a busy database: the next beat tries again
                    log.warning("cannot renew the claim on %s: %s", source_id, exc)

        thread = threading.Thread(target=heartbeat, name=f"claim-{source_id}", daemon=True)
        thread.start()
        try:
            yield True
        finally:
            stop.set()
            thread.join()
            self.release(source_id)
