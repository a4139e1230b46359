"""The tables on SQLite and PostgreSQL: UTC round trips, natural keys, inventory loads that mark rows gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.conftest import CONTRACT_REGISTRY
from tests.registry_import import import_registry
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AccessEvent, Finding, FindingHistory, Principal, TransferApproval, Vendor
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryScope, load_principals
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.records import AccessEventRecord, PrincipalRecord


@pytest.fixture
def registered(engine: Engine, clock: FixedClock) -> Engine:
    import_registry(engine, CONTRACT_REGISTRY, clock)
    return engine


def test_times_are_stored_in_utc_and_come_back_aware(registered: Engine) -> None:
    with Session(registered) as session:
        approval = session.get(TransferApproval, "TR-2026-014")
        assert approval is not None
        assert approval.window_start == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
        assert approval.window_start.tzinfo is not None
        tokyo = timezone(timedelta(hours=9))
        session.add(AccessEvent(source_id="asys-aws-prod", source_event_id="x", vendor_id="asys", action="GetObject",
                                event_time=datetime(2026, 11, 26, 23, 30, tzinfo=tokyo)))
        session.commit()
        stored = session.exec(select(AccessEvent)).one()
        assert stored.event_time == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(registered: Engine) -> None:
    with Session(registered) as session:
        session.add(AccessEvent(source_id="asys-aws-prod", source_event_id="x", vendor_id="asys", action="GetObject",
                                event_time=datetime(2026, 11, 26, 14, 30)))
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_an_event_id_is_unique_per_source(registered: Engine, clock: FixedClock) -> None:
    writer = EventWriter(registered, source_id="asys-aws-prod", vendor_id="asys", run_id=None, batch_size=3)
    events = [AccessEventRecord(source_event_id=f"evt-{n}", event_time=clock.now(), action="GetObject") for n in range(5)]
    writer.add_all(events)
    writer.flush()
    writer.add_all([*events, AccessEventRecord(source_event_id="evt-5", event_time=clock.now(), action="PutObject")])
    counts = writer.flush()
    assert (counts.stored, counts.duplicate) == (6, 5)
    # the same id from another source is another event
    other = EventWriter(registered, source_id="asys-aws-dev", vendor_id="asys", run_id=None)
    other.add(events[0])
    assert other.flush().stored == 1
    with Session(registered) as session:
        session.add(AccessEvent(source_id="asys-aws-prod", source_event_id="evt-0", vendor_id="asys",
                                action="GetObject", event_time=clock.now()))
        with pytest.raises(IntegrityError):
            session.commit()


def test_the_same_event_id_at_another_time_is_kept_as_another_event(registered: Engine, clock: FixedClock) -> None:
    """The key is (source, time, id): a source never re-sends an event with another time, so both are kept."""
    writer = EventWriter(registered, source_id="asys-aws-prod", vendor_id="asys", run_id=None)
    writer.add(AccessEventRecord(source_event_id="evt-0", event_time=clock.now(), action="GetObject"))
    writer.add(AccessEventRecord(source_event_id="evt-0", event_time=clock.now() + timedelta(seconds=1),
                                 action="GetObject"))
    assert writer.flush().stored == 2


@pytest.mark.parametrize(("field", "value", "table"), [
    ("environment_id", "nowhere-prod", "environments"),
    ("run_id", 999_999, "collection_runs"),
    ("source_id", "no-such-source", "sources"),
])
def test_a_batch_that_refers_to_missing_rows_is_refused_whole(registered: Engine, clock: FixedClock, field: str,
                                                              value: object, table: str) -> None:
    """access_events has no foreign keys; the writer checks each batch's references in its transaction."""
    from vendorwatch.errors import DatabaseError

    writer_args: dict[str, object] = {"source_id": "asys-aws-prod", "vendor_id": "asys", "run_id": None}
    event = AccessEventRecord(source_event_id="evt-ok", event_time=clock.now(), action="GetObject",
                              environment_id="asys-prod")
    if field == "environment_id":
        bad = [event, event._replace(source_event_id="evt-bad", environment_id=value)]
    else:
        writer_args[field] = value
        bad = [event]
    writer = EventWriter(registered, **writer_args)  # type: ignore[arg-type]
    writer.add_all(bad)
    with pytest.raises(DatabaseError) as refused:
        writer.flush()
    assert table in str(refused.value) and str(value) in str(refused.value)
    with Session(registered) as session:
        assert session.exec(select(AccessEvent)).all() == []


def test_inventory_marks_what_the_run_did_not_see_as_gone(registered: Engine, clock: FixedClock) -> None:
    def run_with(names: list[str]) -> int:
        recorder = RunRecorder(registered, "asys-aws-prod", clock)
        scope = InventoryScope(source_id="asys-aws-prod", vendor_id="asys", environment_id="asys-prod",
                               run_id=recorder.run_id, now=clock.now(), complete_principal_kinds=frozenset({"iam_user"}))
        with Session(registered) as session:
            load_principals(session, scope, [
                PrincipalRecord(external_id=f"arn:aws:iam::111111111111:user/{n}", kind="iam_user", name=n) for n in names
            ])
            session.commit()
        recorder.finish()
        return recorder.run_id

    first = run_with(["yamada.taro", "suzuki.ichiro"])
    clock.set(clock.now() + timedelta(hours=1))
    second = run_with(["yamada.taro"])
    with Session(registered) as session:
        rows = {p.name: p for p in session.exec(select(Principal))}
    assert rows["suzuki.ichiro"].gone_at == clock.now() and rows["suzuki.ichiro"].gone_run_id == second
    assert rows["suzuki.ichiro"].first_seen_run_id == first
    assert rows["yamada.taro"].gone_at is None and rows["yamada.taro"].last_seen_run_id == second
    clock.set(clock.now() + timedelta(hours=1))
    run_with(["yamada.taro", "suzuki.ichiro"])  # back again: no longer gone, same row
    with Session(registered) as session:
        back = session.exec(select(Principal).where(Principal.name == "suzuki.ichiro")).one()
    assert back.gone_at is None and back.id == rows["suzuki.ichiro"].id


def test_a_run_records_errors_counts_and_the_checkpoint(registered: Engine, clock: FixedClock) -> None:
    recorder = RunRecorder(registered, "asys-aws-prod", clock)
    recorder.count("read", 3)
    recorder.error("AWSLogs/111111111111/x.json.gz", "truncated gzip")
    recorder.save_checkpoint({"last_key": "a"})
    run = recorder.finish()
    assert run.status == "partial"
    assert run.counts == {"read": 3, "errors": 1}
    assert run.errors[0]["where"] == "AWSLogs/111111111111/x.json.gz"
    assert RunRecorder(registered, "asys-aws-prod", clock).checkpoint == {"last_key": "a"}


def test_findings_keep_their_history(registered: Engine, clock: FixedClock) -> None:
    with Session(registered) as session:
        finding = Finding(fingerprint="f" * 64, check_id="aws.iam.console_user_without_mfa", control_id="3.2.2",
                          vendor_id="asys", subject="arn:aws:iam::111111111111:user/yamada.taro", severity="high",
                          first_seen=clock.now(), last_seen=clock.now(),
                          evidence={"event_ids": ["e1"], "principals": ["arn:aws:iam::111111111111:user/yamada.taro"]})
        session.add(finding)
        session.flush()
        assert finding.id is not None
        session.add(FindingHistory(finding_id=finding.id, at=clock.now(), to_status="open", actor="vendorwatch"))
        session.commit()
        assert session.exec(select(FindingHistory)).one().finding_id == finding.id
        assert session.get(Vendor, "asys") is not None
