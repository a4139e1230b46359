"""A ``files`` source: a folder a vendor ships CloudTrail exports or slapd stats logs into, read incrementally."""

from __future__ import annotations

import gzip
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.files.collect import collect
from tests.connectors.aws.conftest import cloudtrail_record
from tests.scheduler.conftest import files_source, import_registry, registry_yaml
from vendorwatch.clock import FixedClock, SystemClock
from vendorwatch.db.tables import AccessEvent, SourceObject
from vendorwatch.ingest.context import CollectContext

ACME_ACCOUNT = "111111111111"  # the account acme's environment declares: events of any other are rejected

OLD = 1_700_000_000  # a modification time long past: the file has settled


def _delivery(path: Path, count: int, *, settled: bool = True) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    records = [cloudtrail_record(account=ACME_ACCOUNT, event_id=i, when=datetime(2026, 11, 25, 1, n, tzinfo=UTC))
               for n, i in enumerate(ids)]
    path.write_bytes(gzip.compress(orjson.dumps({"Records": records})))
    if settled:
        os.utime(path, (OLD, OLD))
    return ids


def _stored(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return {e.source_event_id for e in session.exec(select(AccessEvent))}


def test_a_files_source_reads_new_files_and_leaves_half_written_ones_for_the_next_run(
    engine: Engine, tmp_path: Path,
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    registry = import_registry(engine, registry_yaml(files_source("acme-drop", drop, settle_seconds=30)),
                               FixedClock(datetime.now(UTC)))
    context = CollectContext.for_source(engine, registry, "acme-drop", SystemClock())

    first = _delivery(drop / "a.json.gz", 3)
    whole = gzip.compress(orjson.dumps({"Records": [cloudtrail_record(account=ACME_ACCOUNT) for _ in range(5)]}))
    (drop / "b.json.gz").write_bytes(whole[: len(whole) // 2])  # an upload cut short
    os.utime(drop / "b.json.gz", (OLD, OLD))
    _delivery(drop / "c.json.gz", 2, settled=False)  # still being written: modified a moment ago

    run = collect(context)
    assert run.kind == "collect" and run.status == "success", run.errors
    assert run.counts["deferred_files"] == 2 and run.counts["stored"] == 3
    assert _stored(engine) == set(first)
    with Session(engine) as session:
        keys = {Path(o.key).name: o.status for o in session.exec(select(SourceObject))}
    assert keys == {"a.json.gz": "ingested"}  # the half-written files are not recorded as read

    # The uploads complete; the next run reads them and does not read a.json.gz again.
    later = _delivery(drop / "b.json.gz", 4)
    os.utime(drop / "c.json.gz", (OLD, OLD))
    second = collect(context)
    assert second.status == "success", second.errors
    assert second.counts["skipped_objects"] == 1 and second.counts["stored"] == 6
    assert "deferred_files" not in second.counts
    assert set(later) <= _stored(engine) and len(_stored(engine)) == 9

    # A file that grew (the vendor appended to its export) is read again; what was stored is not doubled.
    again = collect(context)
    assert again.counts.get("stored", 0) == 0 and again.counts["skipped_objects"] == 3


def test_a_growing_file_is_seen_growing_between_two_looks(tmp_path: Path) -> None:
    from connectors.files.readiness import changed, split_ready

    log = tmp_path / "export.ndjson"
    log.write_bytes(b'{"eventID": "1"}\n')
    os.utime(log, (OLD, OLD))

    def vendor_writes(_: float) -> None:
        with log.open("ab") as stream:
            stream.write(b'{"eventID": "2"}\n')

    ready, deferred = split_ready(changed([log], {}), datetime.now(UTC), 0, pause=vendor_writes)
    assert ready == [] and [d.reason for d in deferred] == ["still growing / 書込み中"]


def test_a_decompression_bomb_is_not_inflated_to_its_end_to_judge_readiness_but_failed_with_its_reason(
    engine: Engine, tmp_path: Path,
) -> None:
    # 64 MiB of zeros in 64 KiB, then a member cut short: judged by inflating it to its end, the file looked
    # like an upload in progress and was left for the next run, every run, inflated each time.
    drop = tmp_path / "drop"
    drop.mkdir()
    registry = import_registry(engine, registry_yaml(files_source("acme-drop", drop)), FixedClock(datetime.now(UTC)))
    context = CollectContext.for_source(engine, registry, "acme-drop", SystemClock())
    tail = gzip.compress(orjson.dumps({"Records": [cloudtrail_record(account=ACME_ACCOUNT) for _ in range(5)]}))
    bomb = drop / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (64 << 20)) + tail[: len(tail) // 2])
    os.utime(bomb, (OLD, OLD))
    run = collect(context)
    assert "deferred_files" not in run.counts, run.counts
    assert [Path(e["where"]).name for e in run.errors] == ["bomb.json.gz"], run.errors
    assert "decompression bomb" in run.errors[0]["reason"]


def test_a_slapd_stats_folder_reads_only_new_and_grown_files(engine: Engine, tmp_path: Path) -> None:
    drop = tmp_path / "logs"
    drop.mkdir()
    registry = import_registry(engine, registry_yaml(files_source("acme-ldap-logs", drop, fmt="slapd_stats")),
                               FixedClock(datetime.now(UTC)))
    context = CollectContext.for_source(engine, registry, "acme-ldap-logs", SystemClock())
    lines = [
        b'2026-11-25T01:00:00.000000+00:00 ldap slapd[1]: conn=1000 fd=12 ACCEPT from IP=203.0.113.7:40000 '
        b'(IP=0.0.0.0:389)\n',
        b'2026-11-25T01:00:01.000000+00:00 ldap slapd[1]: conn=1000 op=0 BIND dn="uid=alice,dc=acme" method=128\n',
        b'2026-11-25T01:00:01.000000+00:00 ldap slapd[1]: conn=1000 op=0 RESULT tag=97 err=0 qtime=0.000 '
        b'etime=0.001 text=\n',
    ]
    log = drop / "slapd.log"
    log.write_bytes(b"".join(lines))
    os.utime(log, (OLD, OLD))
    first = collect(context)
    assert first.status == "success", first.errors
    assert first.counts["stats_binds"] == 1 and first.counts["stored"] == 1
    second = collect(context)
    assert second.counts["skipped_objects"] == 1 and "stats_binds" not in second.counts

    with log.open("ab") as stream:  # slapd logged another bind
        stream.write(lines[1].replace(b"op=0", b"op=1").replace(b"01.000000", b"05.000000"))
        stream.write(lines[2].replace(b"op=0", b"op=1").replace(b"01.000000", b"05.000000"))
    os.utime(log, (OLD + 60, OLD + 60))
    third = collect(context)
    assert third.status == "success", third.errors
    assert third.counts["stats_binds"] == 2 and third.counts["stored"] == 1 and third.counts["duplicate"] == 1
