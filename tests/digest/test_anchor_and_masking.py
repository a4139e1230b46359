"""The audit chain's head as of a moment (what each digest carries), the masking the digest relies on, and findings
about the firm itself in every export."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.checks.world import at, make_world
from vendorwatch import audit
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AuditEntry
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.export import as_csv, as_json, as_ocsf
from vendorwatch.findings.query import list_findings
from vendorwatch.masking import mask_identity, mask_text


def test_the_head_of_the_audit_chain_as_of_a_moment(engine: Engine) -> None:
    with Session(engine) as session:
        assert audit.head(session) == audit.ChainHead(0, 0, audit.GENESIS, None)
        clock = FixedClock(at("2026-11-30 10:00"))
        for n in range(3):
            clock.set(at(f"2026-11-30 1{n}:00"))
            audit.record(session, actor="t", action="test", target=f"x:{n}", clock=clock)
        clock.set(at("2026-12-01 00:00"))
        audit.record(session, actor="t", action="test", target="later", clock=clock)
        session.commit()
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        head = audit.head(session, until=at("2026-11-30 15:00"))  # midnight in Tokyo
        assert (head.entries, head.entry_id, head.hash) == (3, entries[2].id, entries[2].hash)
        assert audit.head(session).hash == entries[-1].hash and audit.head(session).entries == 4
        assert audit.head(session, until=at("2026-11-30 10:00")).entries == 0  # strictly before


def test_masking_hides_the_person_in_identities_and_leaves_dates_alone() -> None:
    assert mask_identity("arn:aws:iam::111111111111:user/yamada.taro") == "arn:aws:iam::111111111111:user/y***"
    assert mask_identity("uid=kyoyu,ou=people,dc=ccs,dc=example") == "uid=k***,ou=people,dc=ccs,dc=example"
    assert mask_identity("arn:aws:iam::111111111111:role/nightly-batch") == "arn:aws:iam::111111111111:role/nightly-batch"
    assert mask_text("left on 2025-06-30, phone 03-5555-0101") == "left on 2025-06-30, phone **-****-0101"


def test_a_finding_about_the_firm_itself_exports_with_no_vendor(sqlite_engine: Engine) -> None:
    world = make_world(sqlite_engine, FixedClock(at("2026-09-10 00:00")))
    world.clock.set(at("2026-10-06 00:00"))
    evaluate(sqlite_engine, world.registry, world.clock)
    with Session(sqlite_engine) as session:
        found = list_findings(session, control="3.2.6")
        assert [f.subject for f in found] == ["digest:2026-09"]
        [item] = json.loads(as_json(found))
        assert item["vendor"] is None and item["control"] == "3.2.6" and item["title"]["en"]
        assert "digest:2026-09" in as_csv(found)
        [ocsf] = json.loads(as_ocsf(found))
        assert ocsf["unmapped"]["vendor"] is None and ocsf["finding_info"]["analytic"]["uid"] == found[0].check_id
