"""Findings that live: open, still present, resolved with why, reopened, acknowledged, accepted until a date.

Every test runs on SQLite and PostgreSQL; every transition must be in the history and the audit log.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from tests.checks.world import BASE, MALLORY, World, at, ev, make_world
from vendorwatch import audit
from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.engine import CheckOutcome
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AuditEntry, Finding
from vendorwatch.findings import triage
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.fingerprint import fingerprint
from vendorwatch.findings.query import history
from vendorwatch.findings.reconcile import reconcile
from vendorwatch.records import GrantRecord

CHECK = "identity.not_on_roster"


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    created = make_world(engine, clock)
    created.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    return created


def _finding(world: World) -> Finding:
    with Session(world.engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == CHECK)).one()
        session.expunge(found)
        return found


def _evaluate(world: World) -> None:
    evaluate(world.engine, world.registry, world.clock, only=[CHECK])


def _forget_mallory(world: World) -> None:
    """Mallory joins the roster: the condition clears."""
    document = world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    document["vendors"][0]["roster"].append({"person": "mallory", "name": "Mallory", "since": "2026-01-01",
                                             "identities": [MALLORY]})
    world.reimport({"vendors": document["vendors"]})


def test_new_condition_opens_a_finding_with_fingerprint_and_history(world: World) -> None:
    _evaluate(world)
    finding = _finding(world)
    assert finding.status == "open"
    assert finding.fingerprint == fingerprint(CHECK, "acme", MALLORY)
    assert finding.control_id == "3.2.5"
    assert finding.evidence["event_ids"] == ["m1"]
    with Session(world.engine) as session:
        assert [(h.from_status, h.to_status) for h in history(session, finding.id or 0)] == [(None, "open")]
        actions = [e.action for e in session.exec(select(AuditEntry))]
        assert "finding.open" in actions and "evaluate" in actions
        assert audit.verify(session)[1] == []


def test_still_present_updates_last_seen_and_evidence_without_duplicating(world: World) -> None:
    _evaluate(world)
    first = _finding(world)
    world.clock.set(at("2026-11-26 10:00"))
    world.events(ev("m2", "2026-11-26 09:30", "DescribeInstances", MALLORY))
    _evaluate(world)
    again = _finding(world)
    assert again.id == first.id
    assert again.first_seen == first.first_seen
    assert again.last_seen == at("2026-11-26 10:00")
    assert again.evidence["event_ids"] == ["m1", "m2"]


def test_gone_condition_is_resolved_with_why_and_comes_back_reopened(world: World) -> None:
    _evaluate(world)
    _forget_mallory(world)
    _evaluate(world)
    resolved = _finding(world)
    assert resolved.status == "resolved"
    assert "no longer present" in (resolved.status_reason or "")
    assert resolved.resolved_at is not None
    world.reimport({"vendors": copy.deepcopy(BASE["vendors"])})  # Mallory leaves the roster again
    _evaluate(world)
    reopened = _finding(world)
    assert reopened.status == "open"
    with Session(world.engine) as session:
        steps = [(h.from_status, h.to_status) for h in history(session, reopened.id or 0)]
    assert steps == [(None, "open"), ("open", "resolved"), ("resolved", "open")]


def test_acknowledged_stays_acknowledged_while_present(world: World) -> None:
    _evaluate(world)
    finding = _finding(world)
    with Session(world.engine) as session:
        triage.acknowledge(session, finding.id or 0, actor="yamada", reason="investigating", clock=world.clock)
        session.commit()
    _evaluate(world)
    assert _finding(world).status == "acknowledged"


def test_risk_acceptance_holds_until_its_expiry_then_reopens(world: World) -> None:
    _evaluate(world)
    finding = _finding(world)
    until = world.clock.now() + timedelta(days=7)
    with Session(world.engine) as session:
        triage.accept_risk(session, finding.id or 0, actor="yamada", reason="contractor onboarding", until=until,
                           clock=world.clock)
        session.commit()
    _evaluate(world)
    accepted = _finding(world)
    assert accepted.status == "risk_accepted"
    assert accepted.accepted_until == until
    world.clock.set(until + timedelta(minutes=1))
    _evaluate(world)
    reopened = _finding(world)
    assert reopened.status == "open"
    assert "expired" in (reopened.status_reason or "")
    with Session(world.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.target == f"finding:{finding.id}")).all()
    assert [(e.actor, e.action) for e in entries] == [
        ("vendorwatch", "finding.open"), ("yamada", "finding.risk_accepted"), ("vendorwatch", "finding.open")]


def test_accepting_needs_a_reason_and_a_future_expiry(world: World) -> None:
    _evaluate(world)
    finding = _finding(world)
    with Session(world.engine) as session:
        with pytest.raises(triage.TriageError):
            triage.accept_risk(session, finding.id or 0, actor="y", reason="", until=at("2027-01-01 00:00"),
                               clock=world.clock)
        with pytest.raises(triage.TriageError):
            triage.accept_risk(session, finding.id or 0, actor="y", reason="ok", until=at("2026-01-01 00:00"),
                               clock=world.clock)
        with pytest.raises(triage.TriageError):
            triage.resolve(session, 999999, actor="y", reason="ok", clock=world.clock)


def test_a_resolved_past_incident_stays_resolved_until_events_after_the_resolution(world: World) -> None:
    _evaluate(world)
    finding = _finding(world)
    assert (finding.first_event_at, finding.last_event_at) == (at("2026-11-25 01:00"), at("2026-11-25 01:00"))
    with Session(world.engine) as session:
        triage.resolve(session, finding.id or 0, actor="yamada", reason="contractor left, key removed",
                       clock=world.clock)
        session.commit()
    world.clock.set(at("2026-11-26 10:00"))
    _evaluate(world)  # the old event is still in the look-back window: nothing new happened
    assert _finding(world).status == "resolved"
    with Session(world.engine) as session:
        assert [h.to_status for h in history(session, finding.id or 0)] == ["open", "resolved"]
    world.events(ev("m2", "2026-11-26 09:30", "DescribeInstances", MALLORY))  # after the resolution
    world.clock.set(at("2026-11-26 11:00"))
    _evaluate(world)
    reopened = _finding(world)
    assert reopened.status == "open" and reopened.last_event_at == at("2026-11-26 09:30")


def test_a_resolved_condition_without_events_reopens_while_it_is_still_there(world: World) -> None:
    world.grants(GrantRecord(principal_external_id=MALLORY, kind="managed_policy", name="AdministratorAccess",
                             resource="*", is_admin=True))
    evaluate(world.engine, world.registry, world.clock, only=["access.admin_grant"])
    with Session(world.engine) as session:
        finding = session.exec(select(Finding).where(Finding.check_id == "access.admin_grant")).one()
        assert finding.last_event_at is None
        triage.resolve(session, finding.id or 0, actor="yamada", reason="policy detached", clock=world.clock)
        session.commit()
        finding_id = finding.id
    world.clock.set(at("2026-11-26 10:00"))
    evaluate(world.engine, world.registry, world.clock, only=["access.admin_grant"])
    with Session(world.engine) as session:
        assert session.get(Finding, finding_id).status == "open"  # type: ignore[union-attr]


def test_acknowledging_an_acknowledged_finding_changes_nothing(world: World) -> None:
    _evaluate(world)
    finding_id = _finding(world).id or 0
    with Session(world.engine) as session:
        triage.acknowledge(session, finding_id, actor="yamada", reason="mine", clock=world.clock)
        session.commit()
        entries = len(session.exec(select(AuditEntry)).all())
        triage.acknowledge(session, finding_id, actor="sato", reason="mine too", clock=world.clock)
        session.commit()
        assert [h.to_status for h in history(session, finding_id)] == ["open", "acknowledged"]
        assert len(session.exec(select(AuditEntry)).all()) == entries


def test_a_failing_check_does_not_resolve_its_findings(world: World) -> None:
    _evaluate(world)
    failed = CheckOutcome(checks_by_id()[CHECK], drafts=[], error="OperationalError: database went away")
    with Session(world.engine) as session:
        summary = reconcile(session, [failed], world.clock)
        session.commit()
    assert summary.counts["resolved"] == 0
    assert _finding(world).status == "open"


def test_evidence_times_are_looked_up_once_per_vendor_not_once_per_finding(world: World) -> None:
    # Forty unrostered people, forty findings of one vendor: each lookup of evidence times scans the vendor's
    # events, so one per finding made an evaluation of 792 findings over 1,000,000 events take 87 s.
    intruders = [f"arn:aws:iam::{MALLORY.split(':')[4]}:user/intruder{n:02d}" for n in range(40)]
    world.events(*(ev(f"i{n}", f"2026-11-25 0{n % 9}:00", "DescribeInstances", arn)
                   for n, arn in enumerate(intruders)))
    lookups: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM access_events" in statement and ("source_event_id IN" in statement
                                                  or "source_event_id = ANY" in statement):
            lookups.append(statement)

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        _evaluate(world)
    finally:
        event.remove(world.engine, "before_cursor_execute", count)
    with Session(world.engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == CHECK)).all()
    assert len(found) == 41 and all(f.first_event_at is not None for f in found)
    assert len(lookups) == 1, len(lookups)


def test_a_resolved_finding_with_more_events_than_its_sample_reopens_on_a_new_one(world: World) -> None:
    # Thirty events before the resolution: more than a finding's evidence sample of 20 per principal. When the
    # sample held only the first ones, the newest stored time stayed before the resolution and a recurrence
    # after it was taken for the past incident: the finding stayed resolved.
    world.events(*(ev(f"m-old{n:02d}", f"2026-11-25 0{n % 10}:{n:02d}", "DescribeInstances", MALLORY)
                   for n in range(30)))
    _evaluate(world)
    finding = _finding(world)
    assert finding.last_event_at == at("2026-11-25 09:29")  # the newest of the 31, although 20 are listed
    with Session(world.engine) as session:
        triage.resolve(session, finding.id or 0, actor="yamada", reason="contractor left, key removed",
                       clock=world.clock)
        session.commit()
    world.events(ev("m-new", "2026-11-26 09:30", "DescribeInstances", MALLORY))
    world.clock.set(at("2026-11-26 11:00"))
    _evaluate(world)
    reopened = _finding(world)
    assert reopened.status == "open" and reopened.last_event_at == at("2026-11-26 09:30")
    assert "m-new" in reopened.evidence["event_ids"] and len(reopened.evidence["event_ids"]) == 20
