"""Half a year of monitoring for digest tests: a registry imported in June 2026, evaluations twice a month with a
moving clock, findings opened, accepted, resolved and escalated, and a source that stops being collected.

The story, month by month (registry of tests/checks/world.py: acme, its sub-vendor acme-sub, beta):
- June: every source collected; acme-sub (customer data, no source) is unmonitored and unsupervised (3.2.1, 3.2.7).
- July: mallory, on no roster, acts in acme's production account (3.2.5 high); alice's console has no MFA (3.2.2).
- August: acme's root user is used (3.2.2 critical, never resolved: escalated); the manager accepts mallory's risk
  until 2026-12-10 (the reason names a person and an e-mail address, which the digest masks).
- September–October: beta's source starts failing (an AccessDenied error with an account id).
- November: bob acts after leaving (3.2.5 critical); alice enables MFA (resolved by the evaluation); the manager
  resolves the generic-name finding by hand; acme-ldap fails too.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import ALICE, BASE, BOB, MALLORY, PROD, World, at, ev, make_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import CollectionRun
from vendorwatch.findings import triage
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings
from vendorwatch.records import PrincipalRecord

ROOT = f"arn:aws:iam::{PROD}:root"
RECIPIENTS = ["board-office@example-sec.co.jp", "ciso@example-sec.co.jp"]
MANAGER = "sato.manager"


def registry_document(mail: dict[str, Any] | None = None, **digest: Any) -> dict[str, Any]:
    """The check tests' registry with a digest section (and the mail server, when given)."""
    document = copy.deepcopy(BASE)
    document["organization"]["digest"] = {"recipients": RECIPIENTS, "language": "ja", **digest}
    if mail is not None:
        document["organization"]["mail"] = mail
    # A roster member whose name appears in a finding's reason: the digest must mask it.
    document["vendors"][0]["contacts"] = [{"name": "佐藤 花子", "email": "hanako.sato@acme.example"}]
    return document


def _runs(world: World, when: str, *, failing: tuple[str, ...] = ()) -> None:
    with Session(world.engine) as session:
        for source in ("acme-aws-prod", "acme-aws-dev", "acme-ldap", "beta-aws"):
            status = "failed" if source in failing else "success"
            error = ("AccessDenied: User arn:aws:iam::333333333333:user/vw-reader is not authorized"
                     if status == "failed" else None)
            session.add(CollectionRun(source_id=source, started_at=at(when), finished_at=at(when), status=status,
                                      error_text=error))
        session.commit()


def _evaluate(world: World, when: str, *, failing: tuple[str, ...] = ()) -> None:
    world.clock.set(at(when))
    _runs(world, when, failing=failing)
    evaluate(world.engine, world.registry, world.clock)


def _finding_id(world: World, check: str) -> int:
    with Session(world.engine) as session:
        [finding] = list_findings(session, check=check)
        assert finding.id is not None
        return finding.id


def seed_half_year(engine: Engine, mail: dict[str, Any] | None = None, **digest: Any) -> World:
    """The world after June–November 2026, the clock on 2026-12-02 09:00 JST."""
    clock = FixedClock(at("2026-06-01 00:00"))
    world = make_world(engine, clock, registry_document(mail, **digest))
    _evaluate(world, "2026-06-05 01:00")
    _evaluate(world, "2026-06-28 01:00")

    world.events(ev("m1", "2026-07-08 01:00", "DescribeInstances", MALLORY))
    world.clock.set(at("2026-07-09 00:00"))
    world.principals(PrincipalRecord(external_id=ALICE, kind="iam_user", name="alice", console_access=True,
                                     mfa_enabled=False, created_at=at("2024-04-01 00:00"),
                                     last_used_at=at("2026-07-08 00:00")))
    _evaluate(world, "2026-07-10 01:00")
    _evaluate(world, "2026-07-29 01:00")

    world.events(ev("r1", "2026-08-11 01:00", "ListBuckets", ROOT, principal_kind="root"))
    _evaluate(world, "2026-08-12 01:00")
    world.clock.set(at("2026-08-20 02:00"))
    with Session(engine) as session:
        triage.accept_risk(session, _finding_id(world, "identity.not_on_roster"), actor=MANAGER,
                           reason="委託先の佐藤 花子 (hanako.sato@acme.example) が 12 月の移行まで必要と説明",
                           until=at("2026-12-10 14:59"), clock=world.clock)
        session.commit()
    _evaluate(world, "2026-08-28 01:00")

    _evaluate(world, "2026-09-14 01:00")
    _evaluate(world, "2026-09-29 01:00", failing=("beta-aws",))
    _evaluate(world, "2026-10-15 01:00", failing=("beta-aws",))
    _evaluate(world, "2026-10-29 01:00", failing=("beta-aws",))

    world.events(ev("b1", "2026-11-05 01:00", "GetObject", BOB, bucket="acme-customers"),
                 ev("admin1", "2026-11-05 02:00", "DescribeInstances", f"arn:aws:iam::{PROD}:user/admin"))
    _evaluate(world, "2026-11-06 01:00", failing=("beta-aws",))
    world.clock.set(at("2026-11-20 00:00"))
    world.principals(PrincipalRecord(external_id=ALICE, kind="iam_user", name="alice", console_access=True,
                                     mfa_enabled=True, created_at=at("2024-04-01 00:00"),
                                     last_used_at=at("2026-11-19 00:00")))
    with Session(engine) as session:
        triage.resolve(session, _finding_id(world, "identity.generic_account_name"), actor=MANAGER,
                       reason="admin ユーザーは 11/19 に削除済み（変更番号 CHG-2211）", clock=world.clock)
        session.commit()
    _evaluate(world, "2026-11-30 10:00", failing=("beta-aws", "acme-ldap"))
    world.clock.set(at("2026-12-02 00:00"))
    return world
