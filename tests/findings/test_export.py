"""Exports: the JSON contract of DESIGN.md, CSV for spreadsheets, OCSF Detection Findings for a SIEM."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import MALLORY, ev, make_world
from vendorwatch.clock import FixedClock
from vendorwatch.findings import triage
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.export import as_csv, as_json, as_ocsf
from vendorwatch.findings.query import list_findings
from vendorwatch.spreadsheet import BOM


def _findings(engine: Engine, clock: FixedClock) -> list:
    world = make_world(engine, clock)
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY),
                 ev("m2", "2026-11-25 01:05", "DescribeInstances", MALLORY))
    evaluate(engine, world.registry, clock, only=["identity.not_on_roster"])
    with Session(engine) as session:
        finding_id = list_findings(session)[0].id or 0
        triage.accept_risk(session, finding_id, actor="yamada", reason="contractor", until=clock.now() + timedelta(days=3),
                           clock=clock)
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        return list_findings(session)


def test_json_csv_and_ocsf_carry_the_same_finding(sqlite_engine: Engine, clock: FixedClock) -> None:
    findings = _findings(sqlite_engine, clock)
    item = json.loads(as_json(findings))[0]
    assert (item["check"], item["control"], item["vendor"], item["subject"]) == (
        "identity.not_on_roster", "3.2.5", "acme", MALLORY)
    assert item["evidence"]["event_ids"] == ["m1", "m2"] and item["evidence"]["principals"] == [MALLORY]
    assert item["status"] == "risk_accepted" and item["accepted_until"].startswith("2026-11-29")
    assert item["title"]["ja"] and item["title"]["en"] and item["message"]["en"]

    text = as_csv(findings)
    assert text.startswith(BOM)  # Japanese Excel reads UTF-8 only with it
    row = next(csv.DictReader(io.StringIO(text[1:])))
    assert (row["check"], row["event_ids"], row["status"]) == ("identity.not_on_roster", "m1 m2", "risk_accepted")
    # the acceptance expiry (end of 2026-11-29 in Tokyo), when it happened, and what to do, in Tokyo time
    assert row["accepted_until (Asia/Tokyo)"] == "2026-11-29 18:00:00"
    assert row["first_event_at (Asia/Tokyo)"] == "2026-11-25 10:00:00"
    assert row["last_event_at (Asia/Tokyo)"] == "2026-11-25 10:05:00"
    assert row["last_seen (Asia/Tokyo)"] == "2026-11-26 18:00:00" and row["remediation_ja"] and row["remediation_en"]
    assert item["first_event_at"] == "2026-11-25T01:00:00+00:00" and item["last_event_at"] == "2026-11-25T01:05:00+00:00"

    ocsf = json.loads(as_ocsf(findings))[0]
    assert (ocsf["class_uid"], ocsf["category_uid"], ocsf["type_uid"]) == (2004, 2, 200402)
    assert (ocsf["severity_id"], ocsf["status_id"], ocsf["status"]) == (4, 3, "Suppressed")
    assert ocsf["finding_info"]["analytic"]["uid"] == "identity.not_on_roster"
    assert [e["uid"] for e in ocsf["finding_info"]["related_events"]] == ["m1", "m2"]
    assert ocsf["resources"] == [{"uid": MALLORY, "name": MALLORY}]
    assert ocsf["unmapped"]["control"] == "3.2.5" and ocsf["unmapped"]["vendor"] == "acme"
    assert ocsf["metadata"]["product"]["name"] == "VendorWatch"
