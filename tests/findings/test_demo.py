"""The demo's incidents give the findings they are written for, and its legitimate stories give none."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import DEMO_REGISTRY
from tests.registry_import import import_registry
from vendorwatch.clock import FixedClock
from vendorwatch.demo.load import load_demo
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings


def test_demo_incidents_and_recordings_give_their_findings(sqlite_engine: Engine, clock: FixedClock) -> None:
    registry = import_registry(sqlite_engine, DEMO_REGISTRY, clock)
    loaded = load_demo(sqlite_engine, registry, clock)
    assert not loaded.missing and sum(loaded.recordings.values()) == 3003
    again = load_demo(sqlite_engine, registry, clock)  # idempotent: nothing stored twice
    assert again.events == 0 and sum(again.recordings.values()) == 0
    evaluate(sqlite_engine, registry, clock)
    with Session(sqlite_engine) as session:
        found = {(f.check_id, f.subject): f.evidence["event_ids"] for f in list_findings(session)}
    assert found[("transfer.production_data_unapproved", "s3_copy:demo-copy-raw")] == ["demo-copy-raw"]
    assert not any(s == "s3_copy:demo-copy-approved" for _, s in found)
    assert found[("identity.used_after_leaving", "arn:aws:iam::123837392027:user/kobayashi.ken")] == ["demo-kobayashi"]
    assert found[("identity.shared_credential", "uid=kyoyu,ou=people,dc=ccs,dc=example")]
    assert not any(c == "identity.shared_credential" and "takahashi" in s for c, s in found)
    assert len(found[("auth.failed_signin_burst", "uid=takahashi.megumi,ou=people,dc=ccs,dc=example")]) == 6
    assert ("access.customer_data_outside_hours", "arn:aws:iam::123456789123:user/pedro@tradesys-prod") in found
    assert ("access.admin_grant", "arn:aws:iam::123456789123:user/pedro") in found
    assert not any(c == "access.admin_grant" and s.endswith("breakglass") for c, s in found)
    # The sub-vendor's operator works in its parent's account under the sub-vendor's roster (#12): attributed to
    # opswatch, neither "on no roster" nor "one account used by two vendors".
    assert not any(s == "arn:aws:iam::123456789123:user/opswatch-yoshida"
                   and c in ("identity.account_used_by_two_vendors", "identity.not_on_roster")
                   for c, s in found)
