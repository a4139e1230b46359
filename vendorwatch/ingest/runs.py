"""The life of a collection run: started (visible at once), errors and counts as they come, finished.

Every connector counts with the same names (``Count``) and records the same kind of error: where (the object
or API concerned) and why, in Japanese and English.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from vendorwatch.clock import Clock
from vendorwatch.db.tables import CollectionRun
from vendorwatch.i18n import Text
from vendorwatch.ingest.run_owner import mark_interrupted, this_process

RunStatus = Literal["running", "success", "partial", "failed", "interrupted"]
MAX_RECORDED_ERRORS = 1000


class Count(StrEnum):
    """The counts of a run, the same names for every connector (``collection_runs.counts`` keys)."""

    READ = "read"  # records read from the source (events, log lines that were binds, accesslog entries)
    STORED = "stored"  # events stored by this run
    DUPLICATE = "duplicate"  # events read again and already stored
    REJECTED = "rejected"  # records that could not be stored (a needed field missing or wrong)
    REJECTED_ACCOUNT = "rejected_account"  # of them, events of an account not declared for the source's vendor
    FILES = "files"  # files or objects this run was given
    FAILED_FILES = "failed_files"  # of them, those that could not be read to their end
    SKIPPED_OBJECTS = "skipped_objects"  # files or objects ingested earlier and unchanged: not read again
    FILES_SEEN = "files_seen"  # files found in a `files` source's folder
    DEFERRED_FILES = "deferred_files"  # of them, still being delivered: left for the next run
    PRINCIPALS = "principals"  # principals seen (accounts, users, roles, keys)
    PRINCIPALS_ADDED = "principals_added"  # of them, seen for the first time
    PRINCIPALS_GONE = "principals_gone"  # principals seen before and not any more: marked gone
    GRANTS = "grants"  # grants seen
    GRANTS_GONE = "grants_gone"
    SETTINGS = "settings"  # observed settings (password policies, trails)
    SETTINGS_GONE = "settings_gone"
    GROUPS = "groups"  # directory groups read
    LOG_LINES = "stats_lines"  # lines of a slapd stats log read
    LOG_BINDS = "stats_binds"  # binds found in them
    LOG_GARBLED = "stats_garbled"  # lines that could not be understood
    BINDS_LEFT_TO_STATS_LOG = "accesslog_binds_left_to_stats_log"  # accesslog binds the stats log gives instead
    DIGESTS = "digests"  # CloudTrail digest files checked
    INTEGRITY_VERIFIED = "integrity_verified"  # log files whose hash a validly signed digest vouches for
    INTEGRITY_FAILED = "integrity_failed"
    INTEGRITY_NO_DIGEST = "integrity_no_digest"
    INTEGRITY_UNSIGNED = "integrity_unsigned"
    ERRORS = "errors"  # errors recorded (set by ``finish``)


def run_error(where: str, reason: Text, at: str, details: Sequence[str] = ()) -> dict[str, Any]:
    """One error as a run keeps it: ``reason`` in both languages, and in each (for a screen in one language),
    followed by the details (messages from outside, the same in both)."""
    tail = "".join(f"; {detail}" for detail in details)
    return {"where": where, "reason": f"{reason.both()}{tail}"[:2000], "reason_ja": f"{reason.ja}{tail}"[:2000],
            "reason_en": f"{reason.en}{tail}"[:2000], "at": at}


def error_text(message: Text, details: Sequence[str] = ()) -> str:
    """What went wrong with a run as a whole, as ``collection_runs.error_text`` keeps it."""
    return f"{message.both()}{''.join(f'; {detail}' for detail in details)}"


class RunRecorder:
    """Records one run of one source. Errors are kept with the object or API they concern and the reason."""

    def __init__(self, engine: Engine, source_id: str, clock: Clock, kind: str = "collect") -> None:
        self.engine = engine
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []
        self.error_total = 0
        self.checkpoint: dict[str, Any] | None = None
        with Session(engine) as session:
            # A collect run is made under the source's claim (the CLI's collect and the scheduler take it).
            mark_interrupted(session, source_id, clock.now(), noticed_by=this_process(), claimed=kind == "collect")
            previous = last_checkpoint(session, source_id)
            run = CollectionRun(source_id=source_id, kind=kind, started_at=clock.now(), status="running",
                                checkpoint=previous, owner=this_process())
            session.add(run)
            session.commit()
            session.refresh(run)
        assert run.id is not None
        self.run_id: int = run.id
        self.source_id = source_id
        self.checkpoint = previous

    def error(self, where: str, reason: Text | str, details: Sequence[str] = ()) -> None:
        """Record a problem with one object or call; the run goes on with the rest.

        ``reason`` is bilingual; a plain string (a message from outside with no translation) is kept as it is
        in both languages, as are the ``details``.
        """
        self.error_total += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            text = reason if isinstance(reason, Text) else Text(ja=reason, en=reason)
            self.errors.append(run_error(where, text, self.clock.now().isoformat(), details))

    def count(self, name: Count, amount: int = 1) -> None:
        """Add to one of the run's counts."""
        self.counts[Count(name).value] += amount

    def set_count(self, name: Count, amount: int) -> None:
        """Set one of the run's counts (a total kept elsewhere, such as the event writer's)."""
        self.counts[Count(name).value] = amount

    def save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Remember how far the source has been read; only move it past data that was stored."""
        self.checkpoint = checkpoint
        with Session(self.engine) as session:
            run = session.get(CollectionRun, self.run_id)
            assert run is not None
            run.checkpoint = checkpoint
            run.counts = dict(self.counts)
            session.add(run)
            session.commit()

    def finish(self, status: RunStatus | None = None, error_text: Text | str | None = None) -> CollectionRun:
        """Close the run; without an explicit status, ``partial`` if errors were recorded, else ``success``.

        ``error_text`` (what went wrong with the run as a whole) is kept in both languages.
        """
        if isinstance(error_text, Text):
            error_text = error_text.both()
        final: RunStatus = status or ("partial" if self.error_total else "success")
        with Session(self.engine) as session:
            run = session.get(CollectionRun, self.run_id)
            assert run is not None
            run.finished_at = self.clock.now()
            run.status = final
            run.counts = dict(self.counts) | ({Count.ERRORS.value: self.error_total} if self.error_total else {})
            run.errors = list(self.errors)
            run.error_text = error_text
            run.checkpoint = self.checkpoint
            session.add(run)
            session.commit()
            session.refresh(run)
            return run


def last_checkpoint(session: Session, source_id: str) -> dict[str, Any] | None:
    """The checkpoint of the newest finished run of a source that recorded one."""
    run = session.exec(
        select(CollectionRun)
        .where(CollectionRun.source_id == source_id, col(CollectionRun.finished_at).is_not(None),
               col(CollectionRun.checkpoint).is_not(None))
        .order_by(col(CollectionRun.id).desc())
        .limit(1)
    ).first()
    return run.checkpoint if run else None


def latest_run_id(engine: Engine, source_id: str) -> int:
    """The id of the source's newest run (0 when it has none): what a later crash may have left open."""
    with Session(engine) as session:
        return session.exec(select(CollectionRun.id).where(CollectionRun.source_id == source_id)
                            .order_by(col(CollectionRun.id).desc()).limit(1)).first() or 0


def close_left_running(engine: Engine, source_id: str, after: int, clock: Clock, error_text: str) -> CollectionRun:
    """Close as failed the source's runs newer than ``after`` that a crashed connector left open, and return the
    newest of them (a new failed run when the connector raised before starting one)."""
    with Session(engine) as session:
        newer = (CollectionRun.source_id == source_id, col(CollectionRun.id) > after)
        left = session.exec(select(CollectionRun).where(*newer).order_by(col(CollectionRun.id).desc())).first()
        if left is not None and left.finished_at is not None:
            return left  # the connector finished its run (as failed) before raising
        for run in session.exec(select(CollectionRun).where(*newer, col(CollectionRun.finished_at).is_(None))):
            run.finished_at = clock.now()
            run.status = "failed"
            run.error_text = error_text
            session.add(run)
        session.commit()
        if left is not None:
            session.refresh(left)
            return left
    return RunRecorder(engine, source_id, clock).finish("failed", error_text=error_text)
