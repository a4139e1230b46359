"""Which process runs a collection run, and whether it still lives: a run left ``running`` by a killed process
is marked ``interrupted`` by the next run of its source, a run still going in another process is left alone.

On this host the process table says whether the owner lives. A process on another host cannot be asked; but a
``collect`` run is only ever made under the source's claim (``source_claims``, renewed while it runs), so a
collect run of another host is dead when no live claim holds its source, or when the new run is itself a
collect (it holds the claim: no other collect can). Another host's ``import`` runs hold no claim: left alone."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlmodel import Session, col, select

from vendorwatch.db.core_tables import SOURCE_CLAIMS
from vendorwatch.db.tables import CollectionRun


def _started(pid: int) -> str:
    """When a process started (clock ticks since boot, Linux), so that a reused process id is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of stat(5), counted after the command name


@cache
def this_process() -> str:
    """``host/pid/start`` of the running process."""
    return f"{socket.gethostname()}/{os.getpid()}/{_started(os.getpid())}"


def on_this_host(owner: str | None) -> bool:
    """Whether a run's owner (``host/pid/start``) is a process of this host."""
    return owner is not None and owner.partition("/")[0] == socket.gethostname()


def is_gone(owner: str | None) -> bool:
    """Whether the process that owns a run has ended; a process on another host is assumed alive."""
    if owner is None:
        return True  # written before owners were recorded: no such process can use this schema
    host, _, rest = owner.partition("/")
    pid_text, _, started = rest.partition("/")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, and someone else's
    return bool(started) and _started(pid) != started


def _claim_live(session: Session, source_id: str, now: datetime) -> bool:
    """Whether some process holds the source's claim right now."""
    return session.execute(select(SOURCE_CLAIMS.c.source_id).where(SOURCE_CLAIMS.c.source_id == source_id,
                                                                   SOURCE_CLAIMS.c.expires_at >= now)).first() is not None


def mark_interrupted(session: Session, source_id: str, now: datetime, noticed_by: str, *,
                     claimed: bool = False) -> list[int]:
    """Mark the source's runs left ``running`` by ended processes as ``interrupted``; returns their ids.

    ``claimed``: the new run is a collect made under the source's claim."""
    stale = session.exec(select(CollectionRun).where(CollectionRun.source_id == source_id,
                                                     CollectionRun.status == "running",
                                                     col(CollectionRun.finished_at).is_(None))).all()
    marked: list[int] = []
    for run in stale:
        if run.id is None:
            continue
        remote_collect = run.kind == "collect" and run.owner is not None and not on_this_host(run.owner)
        if not (is_gone(run.owner) or (remote_collect and (claimed or not _claim_live(session, source_id, now)))):
            continue
        run.status = "interrupted"
        run.finished_at = now
        how = ("no longer holds the source's claim (another host)" if remote_collect and not is_gone(run.owner)
               else "ended without finishing the run")
        run.error_text = f"interrupted: the process {run.owner or '(unknown)'} {how} (noticed by {noticed_by})"
        session.add(run)
        marked.append(run.id)
    return marked
