"""3.2.3: monitoring beyond CloudTrail switched off, with how long it stayed off; failed calls are attempts.

Request parameters as the services record them (the DeleteFlowLogs, DeleteLogGroup, PutBucketLifecycle and
LeaveOrganization shapes are those of the Stratus Red Team run in ../shared/datasets).
"""

from __future__ import annotations

from tests.checks.cloudtrail import call, store
from tests.checks.world import CUSTOMERS, World

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"


def ids_and_minutes(world: World, check_id: str) -> list[tuple[list[str], float, bool]]:
    return [(d.evidence.event_ids, d.evidence.details["minutes_off"], d.evidence.details["still_off"])
            for d in world.drafts(check_id)]


def test_flow_logs_deleted_and_recreated_says_how_long(world: World) -> None:
    store(world,
          call("DeleteFlowLogs", "ec2", {"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1,
                                                                                  "content": "fl-064ed3a785e4a37ef"}}},
               event_id="delete", when="2026-11-25T01:00:00Z"),
          call("CreateFlowLogs", "ec2", {"CreateFlowLogsRequest": {
              "ResourceId": {"tag": 1, "content": "vpc-0a1b2c3d"}, "TrafficType": "ALL", "ResourceType": "VPC",
              "LogDestinationType": "cloud-watch-logs", "LogGroupName": "/vpc/flow"}},
              event_id="create", when="2026-11-25T04:00:00Z"))
    drafts = world.drafts("aws.vpc.flow_logs_deleted")
    assert [(d.subject, d.evidence.event_ids, d.evidence.details["minutes_off"]) for d in drafts] == [
        ("fl-064ed3a785e4a37ef@delete", ["delete", "create"], 180)]
    assert "3.0 h" in drafts[0].message.en  # type: ignore[union-attr]


def test_flow_logs_created_only_is_quiet(world: World) -> None:
    store(world, call("CreateFlowLogs", "ec2", {"CreateFlowLogsRequest": {
        "ResourceId": {"tag": 1, "content": "vpc-0a1b2c3d"}, "TrafficType": "ALL", "ResourceType": "VPC"}}))
    assert world.drafts("aws.vpc.flow_logs_deleted") == []


def test_guardduty_disabled_but_a_frequency_change_is_not(world: World) -> None:
    store(world,
          call("UpdateDetector", "guardduty", {"detectorId": DETECTOR, "findingPublishingFrequency": "ONE_HOUR"},
               event_id="frequency"),
          call("UpdateDetector", "guardduty", {"detectorId": DETECTOR, "enable": False}, event_id="disable",
               when="2026-11-25T02:00:00Z"),
          call("DisassociateMembers", "guardduty", {"detectorId": DETECTOR, "accountIds": ["222222222222"]},
               event_id="members", when="2026-11-25T02:01:00Z"))
    assert ids_and_minutes(world, "aws.guardduty.disabled") == [
        (["disable"], 31 * 60, True), (["members"], 31 * 60 - 1, True)]


def test_config_recorder_stopped_then_started(world: World) -> None:
    store(world,
          call("StopConfigurationRecorder", "config", {"configurationRecorderName": "default"}, event_id="stop",
               when="2026-11-25T01:00:00Z"),
          call("StartConfigurationRecorder", "config", {"configurationRecorderName": "default"}, event_id="start",
               when="2026-11-25T01:20:00Z"))
    assert ids_and_minutes(world, "aws.config.recording_stopped") == [(["stop", "start"], 20, False)]


def test_log_group_deleted_and_retention_cut_but_a_long_retention_is_fine(world: World) -> None:
    store(world,
          call("DeleteLogGroup", "logs", {"logGroupName": "/stratus-red-team/vpc-flow-logs"}, event_id="delete"),
          call("PutRetentionPolicy", "logs", {"logGroupName": "/app/audit", "retentionInDays": 1}, event_id="cut"),
          call("PutRetentionPolicy", "logs", {"logGroupName": "/app/access", "retentionInDays": 400}, event_id="ok"))
    assert {d.subject for d in world.drafts("aws.logs.log_group_deleted_or_shortened")} == {
        "/stratus-red-team/vpc-flow-logs@delete", "/app/audit (retention 1 days)@cut"}


def test_log_retention_threshold_comes_from_the_vendors_checks_map(world: World) -> None:
    vendors = world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)["vendors"]
    vendors[0]["checks"] = {"aws.logs.log_group_deleted_or_shortened": {"min_retention_days": 30}}
    world.reimport({"vendors": vendors})
    store(world, call("PutRetentionPolicy", "logs", {"logGroupName": "/app/audit", "retentionInDays": 90}))
    assert world.drafts("aws.logs.log_group_deleted_or_shortened") == []


def test_access_logging_removed_from_the_customer_bucket_only(world: World) -> None:
    off = {"xmlns": XMLNS}
    store(world,
          call("PutBucketLogging", "s3", {"bucketName": CUSTOMERS, "logging": "", "BucketLoggingStatus": off,
                                          "Host": f"{CUSTOMERS}.s3.ap-northeast-1.amazonaws.com"}, event_id="off"),
          call("PutBucketLogging", "s3", {"bucketName": "acme-prod-logs", "logging": "", "BucketLoggingStatus": off,
                                          "Host": "acme-prod-logs.s3.ap-northeast-1.amazonaws.com"}),
          call("PutBucketLogging", "s3", {"bucketName": CUSTOMERS, "logging": "", "BucketLoggingStatus": {
              "xmlns": XMLNS, "LoggingEnabled": {"TargetBucket": "acme-prod-logs", "TargetPrefix": "s3/"}},
              "Host": f"{CUSTOMERS}.s3.ap-northeast-1.amazonaws.com"}, event_id="on", when="2026-11-25T01:05:00Z"))
    assert ids_and_minutes(world, "aws.s3.access_logging_removed") == [(["off", "on"], 5, False)]


def _create_trail(bucket: str) -> dict[str, object]:
    return call("CreateTrail", "cloudtrail", {"name": "org-trail", "s3BucketName": bucket,
                                              "isMultiRegionTrail": True, "enableLogFileValidation": True},
                when="2026-11-24T00:00:00Z")


def _lifecycle(bucket: str, days: int, event_id: str) -> dict[str, object]:
    # as recorded in the Stratus run (cloudtrail-lifecycle-rule)
    return call("PutBucketLifecycle", "s3", {
        "lifecycle": "", "bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com",
        "LifecycleConfiguration": {"xmlns": XMLNS, "Rule": {"Status": "Enabled", "Filter": {"Prefix": "*"},
                                                            "Expiration": {"Days": days},
                                                            "ID": "nuke-cloudtrail-logs-after-1-day"}}},
        event_id=event_id)


def test_trail_bucket_lifecycle_expiring_within_a_day(world: World) -> None:
    store(world, _create_trail("acme-trail-bucket"), _lifecycle("acme-trail-bucket", 1, "nuke"),
          _lifecycle("acme-scratch", 1, "scratch"))
    drafts = world.drafts("aws.s3.trail_bucket_expiring")
    assert [(d.subject, d.evidence.details["still_off"]) for d in drafts] == [
        ("acme-trail-bucket (nuke-cloudtrail-logs-after-1-day: 1 days)@nuke", True)]


def test_trail_bucket_lifecycle_keeping_logs_long_enough_is_quiet(world: World) -> None:
    store(world, _create_trail("acme-trail-bucket"), _lifecycle("acme-trail-bucket", 400, "archive"))
    assert world.drafts("aws.s3.trail_bucket_expiring") == []


def test_security_hub_disabled_and_enabled_again(world: World) -> None:
    store(world, call("DisableSecurityHub", "securityhub", None, event_id="off", when="2026-11-25T01:00:00Z"),
          call("EnableSecurityHub", "securityhub", {"enableDefaultStandards": True}, event_id="on",
               when="2026-11-25T03:00:00Z"))
    assert ids_and_minutes(world, "aws.securityhub.disabled") == [(["off", "on"], 120, False)]


def test_account_leaving_the_organization_is_found_and_a_failed_leave_is_an_attempt(world: World) -> None:
    store(world, call("LeaveOrganization", "organizations", None, event_id="left"),
          call("LeaveOrganization", "organizations", None, event_id="denied", error="AccessDenied",
               when="2026-11-24T01:00:00Z"),
          call("UpdateDetector", "guardduty", {"detectorId": DETECTOR, "enable": True}, error="AccessDenied"))
    assert [d.subject for d in world.drafts("aws.organizations.account_left")] == ["account 111111111111@left"]
    attempts = world.drafts("aws.monitoring.disable_attempt")
    assert [(d.evidence.event_ids, d.evidence.details["error_codes"]) for d in attempts] == [
        (["denied"], ["AccessDenied"])]
