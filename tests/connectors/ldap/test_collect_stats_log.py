"""Collecting a stats log that grows, rotates and holds a damaged line: binds keep their client IP across the
rotation, the damaged line is reported on the run, and the checkpoint never passes a line not yet complete."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.ldap.collect import collect
from tests.connectors.ldap.conftest import Traffic
from tests.servers.slapd import MAX_FAILURE, SlapdServer
from vendorwatch.db.tables import AccessEvent
from vendorwatch.ingest.context import CollectContext

pytestmark = pytest.mark.slapd


def _binds(engine: Engine) -> list[AccessEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AccessEvent).where(AccessEvent.source_id == "dirco-shipped")))


def test_rotated_and_damaged_stats_log_is_collected_without_loss(
    engine: Engine, context_for: Callable[[str], CollectContext], slapd_server: SlapdServer, traffic: Traffic,
    shipped_log: Path,
) -> None:
    lines = slapd_server.stats_log.read_bytes().splitlines(keepends=True)
    accept = next(i for i, line in enumerate(lines) if b"IP=127.0.0.5" in line)
    bad_results = [i for i, line in enumerate(lines) if b"RESULT tag=97 err=49" in line]
    # First run: the log ends right after the bad client's ACCEPT, with a line half written.
    half = lines[accept + 1][: len(lines[accept + 1]) // 2]
    shipped_log.write_bytes(b"".join(lines[: accept + 1]) + half)
    first = collect(context_for("dirco-shipped"))
    assert first.status == "success", first.errors
    assert first.checkpoint is not None
    assert first.checkpoint["stats_log"]["position"]["offset"] == len(b"".join(lines[: accept + 1]))
    assert "127.0.0.5" in first.checkpoint["stats_log"]["state"]["connections"].values()

    # slapd finishes the line and logs on; logrotate renames the file; slapd writes to a new one.
    split = bad_results[1] + 1
    with shipped_log.open("ab") as stream:
        stream.write(lines[accept + 1][len(half):] + b"".join(lines[accept + 2: split]))
    os.rename(shipped_log, shipped_log.with_name("stats.log.1"))
    shipped_log.write_bytes(b"6b07e139.0 0x1 conn=77x op=0 BIND dn=\"x\" method=128\n" + b"".join(lines[split:]))

    second = collect(context_for("dirco-shipped"))
    assert second.status == "partial"  # the damaged line is reported, the rest is stored
    assert any("conn=77x" in error["reason"] for error in second.errors)
    assert second.counts["stats_garbled"] == 1
    position = second.checkpoint["stats_log"]["position"] if second.checkpoint else {}
    assert position["inode"] == shipped_log.stat().st_ino and position["offset"] == shipped_log.stat().st_size

    locked = [e for e in _binds(engine) if e.principal == traffic.locked_dn]
    assert len(locked) == MAX_FAILURE + 2
    assert {(e.outcome, e.source_ip) for e in locked} == {("failure", traffic.bad_ip)}

    third = collect(context_for("dirco-shipped"))
    assert third.counts.get("stored", 0) == 0 and third.status == "success"
