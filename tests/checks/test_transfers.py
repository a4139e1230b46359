"""3.2.4: transfers derived from events, linked to approvals; separation of production and development."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from tests.checks.world import ALICE, ALICE_DEV, CUSTOMERS, DEV, DEV_BUCKET, OUTSIDER, PROD, World, ev
from vendorwatch.checks.transfers import derive_transfers
from vendorwatch.db.core_tables import TRANSFERS
from vendorwatch.records import GrantRecord

# The approval TR-1 covers acme-customers/masked/* from acme-prod to acme-dev on 2026-11-20 09:00-18:00 JST.


def copy(event_id: str, when: str, key: str, **fields: object):
    return ev(event_id, when, "CopyObject", ALICE, bucket=DEV_BUCKET, object_key=key,
              details={"copy_source": f"{CUSTOMERS}/{key}"}, **fields)  # type: ignore[arg-type]


def test_copy_to_dev_without_approval_opens_a_3_2_4_finding(world: World) -> None:
    world.events(copy("cp-1", "2026-11-25 01:00", "customers.csv"))
    drafts = world.drafts("transfer.production_data_unapproved")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [("s3_copy:cp-1", ["cp-1"])]
    assert drafts[0].evidence.details["to"] == "acme-dev"


def test_approved_copy_inside_its_window_and_scope_is_linked_and_not_a_finding(world: World) -> None:
    world.events(copy("ok", "2026-11-20 02:00", "masked/orders.csv"),  # 11:00 JST, inside the window
                 copy("late", "2026-11-20 10:00", "masked/orders.csv"),  # 19:00 JST, after the window
                 copy("scope", "2026-11-20 02:00", "raw/orders.csv"))  # not under masked/
    assert world.subjects("transfer.production_data_unapproved") == {"s3_copy:late", "s3_copy:scope"}
    with Session(world.engine) as session:
        links = dict(session.execute(select(TRANSFERS.c.access_event_id, TRANSFERS.c.approval_id)).all())
    assert sorted(v for v in links.values() if v) == ["TR-1"]


def test_failed_copy_moved_nothing(world: World) -> None:
    world.events(copy("denied", "2026-11-25 01:00", "customers.csv", outcome="failure", error_code="AccessDenied"))
    assert world.drafts("transfer.production_data_unapproved") == []


def test_snapshot_shared_from_production_to_another_account_is_found(world: World) -> None:
    world.events(ev("share", "2026-11-25 01:00", "ModifySnapshotAttribute", ALICE, resource="snap-1",
                    target_account=OUTSIDER, region="ap-northeast-1",
                    details={"added_accounts": [OUTSIDER], "snapshot_id": "snap-1"}),
                 ev("unshare", "2026-11-25 01:05", "ModifySnapshotAttribute", ALICE, resource="snap-1",
                    details={"added_accounts": [], "removed_accounts": [OUTSIDER]}))
    drafts = world.drafts("transfer.production_data_unapproved")
    assert [d.subject for d in drafts] == ["snapshot_share:share"]
    assert drafts[0].evidence.details["resource"] == f"arn:aws:ec2:ap-northeast-1:{PROD}:snapshot/snap-1"


def test_image_shared_from_dev_to_an_unregistered_account_is_found_and_to_prod_is_not(world: World) -> None:
    world.events(ev("ami-out", "2026-11-25 01:00", "ModifyImageAttribute", ALICE_DEV, account_id=DEV,
                    resource="ami-1", target_account=OUTSIDER, details={"added_accounts": [OUTSIDER]}),
                 ev("ami-public", "2026-11-25 01:01", "ModifyImageAttribute", ALICE_DEV, account_id=DEV,
                    resource="ami-2", target_account="all", details={"added_accounts": ["all"]}),
                 ev("ami-prod", "2026-11-25 01:02", "ModifyImageAttribute", ALICE_DEV, account_id=DEV,
                    resource="ami-3", target_account=PROD, details={"added_accounts": [PROD]}),
                 source="acme-aws-dev")
    drafts = {d.subject: d for d in world.drafts("aws.share.outside_vendor_accounts")}
    assert set(drafts) == {"image_share:ami-out", "image_share:ami-public"}
    assert drafts["image_share:ami-public"].severity == "critical"
    assert world.drafts("transfer.production_data_unapproved") == []  # nothing left production


def test_transfers_are_derived_once(world: World) -> None:
    world.events(copy("cp-1", "2026-11-25 01:00", "customers.csv"))
    with Session(world.engine) as session:
        assert derive_transfers(session, world.registry) == 1
        assert derive_transfers(session, world.registry) == 0
        session.commit()


def test_person_writing_to_production_and_development_is_found(world: World) -> None:
    world.events(ev("p", "2026-11-25 01:00", "PutObject", ALICE, bucket="acme-prod-logs"))
    world.events(ev("d", "2026-11-25 01:10", "PutObject", ALICE_DEV, account_id=DEV, bucket=DEV_BUCKET),
                 source="acme-aws-dev")
    drafts = world.drafts("separation.prod_dev_writer")
    assert [(d.subject, sorted(d.evidence.event_ids)) for d in drafts] == [("person:alice", ["d", "p"])]


def test_reading_production_and_writing_development_is_not_writing_both(world: World) -> None:
    world.events(ev("p", "2026-11-25 01:00", "GetObject", ALICE, bucket=CUSTOMERS))
    world.events(ev("d", "2026-11-25 01:10", "PutObject", ALICE_DEV, account_id=DEV, bucket=DEV_BUCKET),
                 source="acme-aws-dev")
    assert world.drafts("separation.prod_dev_writer") == []


def test_production_role_trusting_a_dev_account_is_found(world: World) -> None:
    role = f"arn:aws:iam::{PROD}:role/deployer"
    safe = f"arn:aws:iam::{PROD}:role/reader"
    world.grants(
        GrantRecord(principal_external_id=role, kind="trust", name="trust-policy",
                    document={"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                                             "Action": "sts:AssumeRole"}]}),
        GrantRecord(principal_external_id=safe, kind="trust", name="trust-policy",
                    document={"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                                             "Action": "sts:AssumeRole"}]}),
    )
    drafts = world.drafts("separation.prod_role_assumable_from_dev")
    assert [(d.subject, d.evidence.details["development_accounts"]) for d in drafts] == [(role, [DEV])]
