"""Sub-vendors (再委託先) work inside their parent's environments (#12): an identity on the sub-vendor's roster
acting in the parent's account is the sub-vendor's, not "on no roster" and not "used by two vendors"; an
identity declared by two vendors that are not in one parent chain still is."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.checks.world import BASE, CUSTOMERS, HOME_IP, PROD, World, ev, make_world
from vendorwatch.clock import FixedClock

CAROL = f"arn:aws:iam::{PROD}:user/carol"  # acme-sub's engineer, working in acme's production account
DAN = f"arn:aws:iam::{PROD}:user/dan"  # acme-sub's engineer who left on 2025-06-30
NIGHT_JOB = f"arn:aws:iam::{PROD}:role/sub-night-job"  # acme-sub's declared batch role, any hours


def registry(beta_declares_carol: bool = False) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    sub = next(v for v in document["vendors"] if v["id"] == "acme-sub")
    sub["roster"] = [{"person": "carol", "name": "Carol", "since": "2024-04-01", "identities": [CAROL]},
                     {"person": "dan", "name": "Dan", "since": "2024-04-01", "until": "2025-06-30",
                      "identities": [DAN]}]
    sub["accounts"] = [{"principal": NIGHT_JOB, "kind": "service", "owner": "carol", "allowed_hours": "any"}]
    if beta_declares_carol:
        beta = next(v for v in document["vendors"] if v["id"] == "beta")
        beta["roster"] = [{"person": "bo", "name": "Bo", "since": "2024-04-01", "identities": []}]
        beta["accounts"] = [{"principal": CAROL, "kind": "service", "owner": "bo"}]
    return document


@pytest.fixture
def sub_world(engine: Engine, clock: FixedClock) -> World:
    return make_world(engine, clock, registry())


def test_sub_vendor_identity_in_the_parents_account_is_on_a_roster_and_not_two_vendors(sub_world: World) -> None:
    sub_world.events(ev("c1", "2026-11-25 01:00", "GetObject", CAROL, bucket=CUSTOMERS),
                     ev("c2", "2026-11-25 01:05", "DescribeInstances", CAROL))
    assert sub_world.drafts("identity.not_on_roster") == []
    assert sub_world.drafts("access.unregistered_principal") == []
    assert sub_world.drafts("identity.account_used_by_two_vendors") == []


def test_sub_vendor_person_outside_the_networks_is_the_sub_vendors_finding(sub_world: World) -> None:
    sub_world.events(ev("c1", "2026-11-25 01:00", "GetObject", CAROL, bucket=CUSTOMERS, source_ip=HOME_IP))
    drafts = sub_world.drafts("access.customer_data_outside_networks")
    assert [(d.vendor_id, d.evidence.event_ids) for d in drafts] == [("acme-sub", ["c1"])]


def test_sub_vendor_leaver_acting_in_the_parents_account_is_found_for_the_sub_vendor(sub_world: World) -> None:
    sub_world.events(ev("d1", "2026-11-25 01:00", "DescribeInstances", DAN))
    drafts = sub_world.drafts("identity.used_after_leaving")
    assert [(d.vendor_id, d.subject, d.evidence.event_ids) for d in drafts] == [("acme-sub", DAN, ["d1"])]


def test_identity_declared_by_two_vendors_outside_one_chain_is_still_two_vendors(engine: Engine,
                                                                                 clock: FixedClock) -> None:
    world = make_world(engine, clock, registry(beta_declares_carol=True))
    world.events(ev("c1", "2026-11-25 01:00", "DescribeInstances", CAROL))
    drafts = world.drafts("identity.account_used_by_two_vendors")
    assert sorted(d.vendor_id for d in drafts) == ["acme-sub", "beta"]


def test_sub_vendor_hours_and_its_declared_night_job_in_the_parents_account(sub_world: World) -> None:
    session = NIGHT_JOB.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/run-1"
    sub_world.events(ev("n1", "2026-11-25 15:00", "GetObject", session, bucket=CUSTOMERS, session_issuer=NIGHT_JOB),
                     ev("c1", "2026-11-25 15:00", "GetObject", CAROL, bucket=CUSTOMERS))  # 00:00 JST
    drafts = sub_world.drafts("access.customer_data_outside_hours")
    assert [(d.vendor_id, d.subject) for d in drafts] == [("acme-sub", f"{CAROL}@acme-prod")]
