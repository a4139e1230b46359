"""End to end on the real CloudTrail recordings of shared/datasets/ with the demo registry (docs/examples).

A first-time user's path: ``init`` → ``import cloudtrail`` (both files) → ``evaluate`` → ``findings --format
json``. The findings asserted here, with the event ids that prove them, are documented in
docs/dataset-findings.md. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DATASETS, DEMO_REGISTRY

INVICTUS = DATASETS / "invictus-aws_dataset-stratus-2023-07-10.cloudtrail.json.gz"
OTRF = DATASETS / "otrf-ec2_proxy_s3_exfiltration-2020-09-14.ndjson.gz"
DEV = "arn:aws:iam::123837392027:user"
WAF_SESSION = "arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40"


@pytest.fixture
def findings(run_cli, database_url: str) -> list[dict[str, Any]]:
    env = {"VENDORWATCH_DATABASE_URL": database_url}
    for args in (("init", "--config", str(DEMO_REGISTRY)),
                 ("import", "cloudtrail", str(INVICTUS), "--source", "tradesys-aws-dev"),
                 ("import", "cloudtrail", str(OTRF), "--source", "tradesys-aws-prod"),
                 ("evaluate",)):
        result = run_cli(*args, env=env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    listed = run_cli("findings", "--format", "json", env=env)
    assert listed.exit_code == 0, listed.stderr
    return json.loads(listed.stdout)


def _by(findings: list[dict[str, Any]], check: str) -> dict[str, list[str]]:
    return {f["subject"]: sorted(f["evidence"]["event_ids"]) for f in findings if f["check"] == check}


def test_datasets_give_the_documented_findings(findings: list[dict[str, Any]]) -> None:
    assert all(f["vendor"] in ("tradesys", "opswatch", "callcentre") for f in findings)
    assert all(f["control"] in {f"3.2.{n}" for n in range(1, 8)} for f in findings)

    # 3.2.3 logging: the successful DeleteTrail x2 and PutEventSelectors x2 are acts ...
    stopped = _by(findings, "aws.cloudtrail.logging_stopped")
    assert sorted(ids[0] for ids in stopped.values()) == sorted([
        "076e96d5-2983-473f-920a-2fc2d7e02777", "3d6df238-f83c-4a34-bea8-45cf80a2050b",
        "c0057a42-1625-4b1d-9db5-352f931f790a", "fcec2e46-3cc3-4ac2-8144-3674f06990e4"])
    # ... the failed StopLogging x3 and DeleteTrail (TrailNotFoundException) are attempts, never "stopped".
    failed = {"9790ee84-ed2b-4866-83d1-f32af0dd4cd2", "b4610d54-efe9-40b0-b9f9-71156081d520",
              "f6e10706-705c-47f2-94d4-112a9527ab8b", "b7e19efd-92be-4182-bbbc-b6468296710b"}
    assert not failed & {i for ids in stopped.values() for i in ids}
    attempts = _by(findings, "aws.cloudtrail.tamper_attempt")
    assert sorted(attempts.values()) == [
        ["9790ee84-ed2b-4866-83d1-f32af0dd4cd2", "b4610d54-efe9-40b0-b9f9-71156081d520",
         "f6e10706-705c-47f2-94d4-112a9527ab8b"],
        ["b7e19efd-92be-4182-bbbc-b6468296710b"]]

    # 3.2.3 the stolen WAF-role session read the customer bucket from 1.2.3.4, outside the role's 10.0.0.0/16.
    outside = _by(findings, "access.customer_data_outside_networks")
    assert outside == {f"{WAF_SESSION}@tradesys-prod": sorted([
        "bf575a0c-c344-4302-a468-00e6a84a127a", "5376677f-96d4-468a-9539-f0f7edbec349",
        "46937d3a-6d68-4ba2-9520-a2ecf06dca32", "771299cb-e200-4926-9604-c85358b30499",
        "2308e1b4-ed27-49fc-b6e4-cc9a612c1c13", "40266d7a-ea06-445b-875c-e17ea31b1bb4",
        "fddb4992-b7e8-4c4a-bce5-31fee5c25667", "edc2222c-5063-47fb-9fc0-c2ffb86b9d15",
        "e5a92162-e061-4d33-a39c-c2b8ec9dbf83"])}
    # 10:00-10:13 JST on a Monday: inside the production hours; and the role is declared, so registered.
    assert _by(findings, "access.customer_data_outside_hours") == {}
    assert _by(findings, "access.unregistered_principal") == {}

    # 3.2.2 the Stratus backdoor user signed in without MFA; bert-jan's sign-in used MFA.
    assert _by(findings, "aws.iam.console_login_without_mfa") == {
        f"{DEV}/stratus-red-team-nmfalu-gfjyeaypjt": ["70e5932e-9022-4b38-837e-ca10dad94eb7"]}

    # 3.2.4 snapshot, AMI and DB snapshot shared from dev to unregistered accounts (the removals are not shares).
    shares = _by(findings, "aws.share.outside_vendor_accounts")
    assert shares == {
        "image_share:8fe3095f-909c-41f5-a769-00b9ec6e95df": ["8fe3095f-909c-41f5-a769-00b9ec6e95df"],
        "snapshot_share:741616fd-4713-426d-8861-3ccae4ba994e": ["741616fd-4713-426d-8861-3ccae4ba994e"],
        "db_snapshot_share:2d19ab1e-82e9-4302-ad10-a405b50c8d49": ["2d19ab1e-82e9-4302-ad10-a405b50c8d49"]}
    assert _by(findings, "transfer.production_data_unapproved") == {}  # nothing left production

    # 3.2.5 benjamin is on no roster; IAM users, keys and login profiles were created for unrostered names.
    off_roster = _by(findings, "identity.not_on_roster")
    assert set(off_roster) == {f"{DEV}/benjamin", f"{DEV}/stratus-red-team-nmfalu-gfjyeaypjt"}
    assert "875240ac-e821-4fc6-a311-8c352a1d20f5" in off_roster[f"{DEV}/benjamin"]
    assert _by(findings, "identity.created_for_unrostered") == {
        f"{DEV}/malicious-iam-user": ["85c89720-8103-4281-9e0e-8977b52bcdbe", "8c282c0b-00d1-4369-95b7-cb50b6eee620"],
        f"{DEV}/stratus-red-team-backdoor-u-user": ["648d0a9c-6d07-4c99-bd4e-9a27b3ad45d2",
                                                     "64b7de64-bf53-47ae-b7e3-d30cb1b5136e"],
        f"{DEV}/stratus-red-team-login-profile-user": ["564ee71e-5934-49b7-8a5f-d6f4d9248018",
                                                        "f0d7bb15-75c8-4770-a500-92d1f71b948c"],
        f"{DEV}/stratus-red-team-nmfalu-gfjyeaypjt": ["1170c908-ce8d-4c6f-bc65-cf43aae5235b",
                                                       "66d008e1-12cf-4a45-99e7-0be67fc70d71"]}
    assert _by(findings, "identity.shared_credential") == {}  # one network per key at a time

    # 3.2.1 / 3.2.7 monitoring: the directories were never collected; the sub-vendor has no source.
    assert set(_by(findings, "monitoring.source_not_collected")) == {"source:tradesys-ldap", "source:callcentre-ad"}
    assert set(_by(findings, "monitoring.vendor_without_source")) == {"vendor:opswatch"}
    assert set(_by(findings, "supervision.subvendor_unsupervised")) == {"subvendor:opswatch"}

    # #13 detection depth (docs/dataset-findings.md, "invictus: new checks").
    _new_checks_on_invictus(findings)


def _new_checks_on_invictus(findings: list[dict[str, Any]]) -> None:
    """What the resource-policy, monitoring and credential checks find in the Stratus run, and what they don't."""
    role = "arn:aws:iam::123837392027:role/stratus-red-team-backdoor-r-role"
    # the backdoor trust (d96d75c7) and its revert (059cf0ed); the CreateRole trusting its own account is quiet
    assert _by(findings, "aws.iam.role_trusts_outside") == {
        f"{role}->account:193672423079": ["059cf0ed-af91-40a6-9c89-a8a4fb81dc65", "d96d75c7-e715-44ff-9735-9dc51afbd774"]}
    # the backdoor bucket policy and its removal; the CloudTrail service policies (988f1043, dfcc072b) are quiet
    assert _by(findings, "aws.s3.bucket_shared_outside") == {
        "arn:aws:s3:::stratus-red-team-bdbp-lhfzvgcamn->account:193672423079": [
            "b921a62d-9241-42a2-bb3c-6821e55c20cd", "d58cf935-0194-41d0-baa0-9efc030ce2e6"]}
    assert _by(findings, "aws.resource_policy.opened_outside") == {
        "arn:aws:lambda:us-east-1:123837392027:function:stratus-red-team-backdoor-f-func->public:*": [
            "b1f37249-bb39-4b9c-a302-e6d0f807d70c"]}
    assert _by(findings, "aws.kms.key_shared_outside") == {}
    # monitoring: the flow log deleted, the flow-log group deleted, the 1-day lifecycle on the trail bucket
    # (removed again by DeleteBucketLifecycle 8ec435c9); the failed LeaveOrganization is an attempt
    assert _by(findings, "aws.vpc.flow_logs_deleted") == {
        "fl-064ed3a785e4a37ef@de58d903-38d7-4f30-a84b-b79d858e8376": ["de58d903-38d7-4f30-a84b-b79d858e8376"]}
    assert list(_by(findings, "aws.logs.log_group_deleted_or_shortened").values()) == [
        ["349b65f9-1932-4258-a52e-476cf4fcf6d7"]]
    assert list(_by(findings, "aws.s3.trail_bucket_expiring").values()) == [
        ["7823c70d-f7f9-4a04-b4c0-baa8fbe09ea3", "8ec435c9-76d1-47d1-8eae-8a8864e3dff5"]]
    assert _by(findings, "aws.organizations.account_left") == {}
    assert [ids for ids in _by(findings, "aws.monitoring.disable_attempt").values()] == [
        ["be7f89b5-d456-4423-b3e6-0fb0b19bad7c"]]
    # credentials: 29 failed GetPasswordData are attempts, no password was read; bert-jan's burst of secrets
    assert _by(findings, "aws.ec2.password_data_retrieved") == {}
    password_attempts = [f for f in findings if f["check"] == "aws.credentials.access_attempt"]
    assert [f["evidence"]["details"]["attempts"] for f in password_attempts] == [29]
    bursts = [f for f in findings if f["check"] == "aws.secrets.bulk_read"]
    assert [(f["evidence"]["principals"], f["evidence"]["details"]["secrets"]) for f in bursts] == [
        ([f"{DEV}/bert-jan"], 62)]
    assert bursts[0]["evidence"]["event_ids"][0] == "0bdf2b9c-2cf9-40dd-a88b-0148e08e5a75"
    # planted: keys and login profiles made for four other users; AdministratorAccess attached twice; the
    # AmazonSSMManagedInstanceCore attachments and ec2:Describe* inline policies are quiet
    assert _by(findings, "aws.iam.credential_created_for_other_user") == {
        "123837392027:user/malicious-iam-user": ["8c282c0b-00d1-4369-95b7-cb50b6eee620"],
        "123837392027:user/stratus-red-team-backdoor-u-user": ["64b7de64-bf53-47ae-b7e3-d30cb1b5136e"],
        "123837392027:user/stratus-red-team-login-profile-user": ["f0d7bb15-75c8-4770-a500-92d1f71b948c"],
        "123837392027:user/stratus-red-team-nmfalu-gfjyeaypjt": ["1170c908-ce8d-4c6f-bc65-cf43aae5235b"]}
    assert sorted(ids[0] for ids in _by(findings, "aws.iam.admin_policy_attached").values()) == [
        "493e08b7-63e4-49a4-832a-1a7598ce78e5", "f4923a37-92d5-4dfd-9786-6caef2b5f33c"]
    for quiet in ("aws.s3.public_access_block_removed", "aws.guardduty.disabled", "aws.config.recording_stopped",
                  "aws.s3.access_logging_removed", "aws.securityhub.disabled", "aws.iam.mfa_deactivated",
                  "aws.resource_policy.exposure_attempt", "aws.iam.credential_plant_attempt"):
        assert _by(findings, quiet) == {}, quiet
