"""Which process runs a collection run, and whether it still lives: a run left ``running`` by a killed process
is marked ``interrupted`` by the next run of its source, a run still going in another process is left alone."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlmodel import Session, col, select

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


def mark_interrupted(session: Session, source_id: str, now: datetime, noticed_by: str) -> list[int]:
    """Mark the source's runs left ``running`` by ended processes as ``interrupted``; returns their ids."""
    stale = session.exec(select(CollectionRun).where(CollectionRun.source_id == source_id,
                                                     CollectionRun.status == "running",
                                                     col(CollectionRun.finished_at).is_(None))).all()
    marked: list[int] = []
    for run in stale:
        if run.id is None or not is_gone(run.owner):
            continue
        run.status = "interrupted"
        run.finished_at = now
        run.error_text = (f"interrupted: the process {run.owner or '(unknown)'} ended without finishing the run "
                          f"(noticed by {noticed_by})")
        session.add(run)
        marked.append(run.id)
    return marked
