"""3.2.3: the trail. A failed StopLogging is an attempt, not an act."""

from __future__ import annotations

from tests.checks.world import ALICE, CUSTOMERS, PROD, World, ev
from vendorwatch.records import SettingRecord

TRAIL = "org-trail"


def trail_event(event_id: str, when: str, action: str, **fields: object):
    details = fields.pop("details", {"trail_name": TRAIL})
    return ev(event_id, when, action, ALICE, details=details, resource=TRAIL, **fields)  # type: ignore[arg-type]


def test_stop_logging_then_start_reports_how_long_logging_was_off(world: World) -> None:
    world.events(trail_event("stop", "2026-11-25 01:00", "StopLogging"),
                 trail_event("start", "2026-11-25 03:30", "StartLogging"))
    drafts = world.drafts("aws.cloudtrail.logging_stopped")
    assert len(drafts) == 1
    assert drafts[0].evidence.event_ids == ["stop", "start"]
    assert drafts[0].evidence.details["minutes_off"] == 150
    assert drafts[0].evidence.details["still_off"] is False


def test_deleted_trail_with_no_restart_is_still_off(world: World) -> None:
    world.events(trail_event("delete", "2026-11-25 01:00", "DeleteTrail"))
    drafts = world.drafts("aws.cloudtrail.logging_stopped")
    assert drafts[0].evidence.details["still_off"] is True
    assert drafts[0].evidence.details["minutes_off"] == 32 * 60  # until the clock, 2026-11-26 09:00 UTC


def test_failed_stop_logging_is_an_attempt_not_logging_stopped(world: World) -> None:
    world.events(trail_event("try-1", "2026-11-25 01:00", "StopLogging", outcome="failure",
                             error_code="TrailNotFoundException"),
                 trail_event("try-2", "2026-11-25 01:01", "StopLogging", outcome="failure",
                             error_code="AccessDenied"))
    assert world.drafts("aws.cloudtrail.logging_stopped") == []
    attempts = world.drafts("aws.cloudtrail.tamper_attempt")
    assert [(d.evidence.event_ids, d.evidence.details["attempts"]) for d in attempts] == [(["try-1", "try-2"], 2)]


def test_event_selectors_without_data_events_are_found_but_keeping_them_is_not(world: World) -> None:
    keeps = {"trail_name": TRAIL, "event_selectors": [
        {"readWriteType": "All", "includeManagementEvents": True,
         "dataResources": [{"type": "AWS::S3::Object", "values": [f"arn:aws:s3:::{CUSTOMERS}/"]}]}]}
    drops = {"trail_name": TRAIL, "event_selectors": [
        {"readWriteType": "All", "includeManagementEvents": True, "dataResources": []}]}
    world.events(trail_event("keep", "2026-11-25 01:00", "PutEventSelectors", details=keeps),
                 trail_event("drop", "2026-11-25 02:00", "PutEventSelectors", details=drops))
    drafts = world.drafts("aws.cloudtrail.logging_stopped")
    assert [(d.evidence.event_ids, d.evidence.details["dropped"]) for d in drafts] == [(["drop"], ["data_events"])]


def test_customer_bucket_without_data_events_is_found_when_trails_are_known(world: World) -> None:
    world.settings(SettingRecord(kind="aws.trail", subject=f"arn:aws:cloudtrail:ap-northeast-1:{PROD}:trail/{TRAIL}",
                                 data={"logging": True, "multi_region": True, "data_event_buckets": ["acme-prod-logs"]}))
    assert world.subjects("aws.cloudtrail.customer_bucket_without_data_events") == {f"bucket:{CUSTOMERS}"}


def test_customer_bucket_covered_by_a_logging_trail_is_fine(world: World) -> None:
    world.settings(SettingRecord(kind="aws.trail", subject=f"arn:aws:cloudtrail:ap-northeast-1:{PROD}:trail/{TRAIL}",
                                 data={"logging": True, "data_event_buckets": [f"arn:aws:s3:::{CUSTOMERS}/"]}))
    assert world.drafts("aws.cloudtrail.customer_bucket_without_data_events") == []


def test_trail_logging_data_events_of_every_bucket_covers_the_customer_bucket(world: World) -> None:
    world.settings(SettingRecord(kind="aws.trail", subject=f"arn:aws:cloudtrail:ap-northeast-1:{PROD}:trail/{TRAIL}",
                                 data={"logging": True, "data_event_buckets": [], "all_buckets_data_events": True}))
    assert world.drafts("aws.cloudtrail.customer_bucket_without_data_events") == []
