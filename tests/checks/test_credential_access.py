"""3.2.2 / 3.2.5: credentials taken or planted, from CloudTrail records as AWS writes them (the shapes of the
Stratus Red Team run in ../shared/datasets: GetPasswordData, GetSecretValue, GetParameter(s), CreateAccessKey,
CreateLoginProfile, AttachUserPolicy). Failed calls are attempts."""

from __future__ import annotations

from typing import Any

from tests.checks.cloudtrail import call, policy, store
from tests.checks.world import ALICE, BATCH_ROLE, PROD, World

ATTACKER_SESSION = f"arn:aws:sts::{PROD}:assumed-role/ops/aws-go-sdk-1688990082523310002"
APP_SESSION = f"arn:aws:sts::{PROD}:assumed-role/nightly-batch/i-0abc"


def minute(n: int, second: int = 0) -> str:
    return f"2026-11-25T01:{n:02d}:{second:02d}Z"


def secret(n: int, when: str, principal: str = ALICE, **fields: Any) -> dict[str, Any]:
    arn = f"arn:aws:secretsmanager:ap-northeast-1:{PROD}:secret:acme/secret-{n}-fAVH0t"
    return call("GetSecretValue", "secretsmanager", {"secretId": arn, "versionId": "B36292B7"}, when=when,
                principal=principal, **fields)


def parameter(name: str, when: str, decrypt: bool = True, principal: str = ALICE) -> dict[str, Any]:
    return call("GetParameter", "ssm", {"name": name, "withDecryption": decrypt}, when=when, principal=principal,
                resources=[{"accountId": PROD, "ARN": f"arn:aws:ssm:ap-northeast-1:{PROD}:parameter{name}"}])


def test_password_data_retrieved_is_found_and_failed_calls_are_attempts(world: World) -> None:
    store(world,
          call("GetPasswordData", "ec2", {"instanceId": "i-0cpawn0os061eh9"}, principal=ATTACKER_SESSION,
               event_id="read"),
          *[call("GetPasswordData", "ec2", {"instanceId": f"i-{n:017d}"}, principal=ATTACKER_SESSION,
                 error="Client.UnauthorizedOperation", event_id=f"try-{n}") for n in range(3)])
    drafts = world.drafts("aws.ec2.password_data_retrieved")
    assert [(d.subject, d.evidence.event_ids, d.evidence.details["instances"]) for d in drafts] == [
        (ATTACKER_SESSION, ["read"], ["i-0cpawn0os061eh9"])]
    attempts = world.drafts("aws.credentials.access_attempt")
    assert [(d.subject, d.evidence.details["attempts"]) for d in attempts] == [
        (f"{ATTACKER_SESSION}->GetPasswordData", 3)]


def test_no_password_data_read_is_quiet(world: World) -> None:
    store(world, call("DescribeInstances", "ec2", {"instancesSet": {}, "filterSet": {}}),
          call("GetPasswordData", "ec2", {"instanceId": "i-1"}, error="Client.UnauthorizedOperation"))
    assert world.drafts("aws.ec2.password_data_retrieved") == []
    assert world.drafts("aws.credentials.access_attempt") == []  # one failure is below ``attempts``


def test_burst_of_secrets_and_decrypted_parameters_by_one_principal(world: World) -> None:
    store(world,
          *[secret(n, minute(0, n)) for n in range(6)],
          call("GetParameters", "ssm", {"names": [f"/credentials/acme/credentials-{n}" for n in range(5)],
                                        "withDecryption": True}, when=minute(5)),
          event_id_last := parameter("/credentials/acme/plain", minute(6), decrypt=False))
    drafts = world.drafts("aws.secrets.bulk_read")
    assert [(d.subject.split("@")[0], d.evidence.details["secrets"]) for d in drafts] == [(ALICE, 11)]
    assert event_id_last["eventID"] not in drafts[0].evidence.event_ids  # a plain read returns no secret


def test_an_application_reading_its_few_secrets_all_day_is_quiet(world: World) -> None:
    store(world, *[secret(n % 3, f"2026-11-25T{h:02d}:{m:02d}:00Z", principal=APP_SESSION)
                   for h in range(10) for m in (0, 20, 40) for n in (h, m)],
          *[parameter(f"/app/plain-{n}", minute(n), decrypt=False) for n in range(20)])
    assert world.drafts("aws.secrets.bulk_read") == []


def test_secret_burst_threshold_comes_from_the_vendors_checks_map(world: World) -> None:
    vendors = world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)["vendors"]
    vendors[0]["checks"] = {"aws.secrets.bulk_read": {"secrets": 3, "window_minutes": 10}}
    world.reimport({"vendors": vendors})
    store(world, secret(1, minute(0)), secret(2, minute(5)), secret(3, minute(9)), secret(4, minute(30)),
          *[secret(n, f"2026-11-25T05:0{n}:00Z", event_id=f"later-{n}") for n in range(3)])
    drafts = world.drafts("aws.secrets.bulk_read")
    assert [(d.evidence.details["secrets"], d.evidence.details["threshold"]) for d in drafts] == [(3, 3), (3, 3)]
    assert drafts[1].evidence.event_ids == ["later-0", "later-1", "later-2"]  # a second burst, its own finding


def test_mfa_deactivated_is_found_but_a_device_replaced_within_the_grace_is_not(world: World) -> None:
    store(world,
          call("DeactivateMFADevice", "iam", {"userName": "bob", "serialNumber": f"arn:aws:iam::{PROD}:mfa/bob"},
               event_id="bob-off", when=minute(0)),
          call("DeactivateMFADevice", "iam", {"userName": "alice", "serialNumber": f"arn:aws:iam::{PROD}:mfa/alice"},
               when=minute(1)),
          call("DeleteVirtualMFADevice", "iam", {"serialNumber": f"arn:aws:iam::{PROD}:mfa/alice"}, when=minute(2)),
          call("EnableMFADevice", "iam", {"userName": "alice", "serialNumber": f"arn:aws:iam::{PROD}:mfa/alice2"},
               when=minute(9)))
    drafts = world.drafts("aws.iam.mfa_deactivated")
    assert [(d.evidence.event_ids, d.evidence.details["still_off"]) for d in drafts] == [(["bob-off"], True)]


def test_keys_and_passwords_created_for_another_user_but_not_ones_own(world: World) -> None:
    store(world,
          call("CreateAccessKey", "iam", {"userName": "stratus-red-team-backdoor-u-user"}, event_id="key"),
          call("CreateLoginProfile", "iam", {"userName": "bob", "passwordResetRequired": False}, event_id="profile",
               principal=ATTACKER_SESSION),
          call("CreateAccessKey", "iam", {"userName": "alice"}),  # alice's own key, named
          call("CreateAccessKey", "iam", None))  # her own key, the default
    drafts = world.drafts("aws.iam.credential_created_for_other_user")
    assert sorted((d.subject, tuple(d.evidence.event_ids)) for d in drafts) == [
        (f"{PROD}:user/bob", ("profile",)), (f"{PROD}:user/stratus-red-team-backdoor-u-user", ("key",))]


def test_admin_policy_attached_outside_an_approved_change(world: World) -> None:
    store(world,
          call("AttachUserPolicy", "iam", {"userName": "malicious-iam-user",
                                           "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
               event_id="admin"),
          call("PutRolePolicy", "iam", {"roleName": "ops", "policyName": "everything",
                                        "policyDocument": policy({"Effect": "Allow", "Action": "*", "Resource": "*"})},
               event_id="inline"),
          call("AttachRolePolicy", "iam", {"roleName": "app",
                                           "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}),
          call("PutRolePolicy", "iam", {"roleName": "app", "policyName": "inline", "policyDocument": policy(
              {"Action": ["ec2:Describe*"], "Effect": "Allow", "Resource": "*"})}))
    assert sorted(d.evidence.event_ids[0] for d in world.drafts("aws.iam.admin_policy_attached")) == ["admin", "inline"]


def test_admin_policy_within_an_approved_change_is_quiet_and_a_failed_one_is_an_attempt(world: World) -> None:
    world.reimport({"changes": [{"id": "CHG-7", "vendor": "acme", "targets": ["role/ops", "breakglass-*"],
                                 "window": {"start": "2026-11-25T09:00:00+09:00", "end": "2026-11-25T12:00:00+09:00"},
                                 "purpose": "yearly DR test", "approved_by": "部長"}]})
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    store(world, call("AttachRolePolicy", "iam", {"roleName": "ops", "policyArn": admin}),
          call("AttachUserPolicy", "iam", {"userName": "breakglass-1", "policyArn": admin}),
          call("AttachUserPolicy", "iam", {"userName": "mallory", "policyArn": admin}, error="AccessDenied",
               event_id="denied", principal=BATCH_ROLE.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
               + "/s"),
          call("CreateAccessKey", "iam", {"userName": "bob"}, error="LimitExceeded", event_id="key-denied"))
    assert world.drafts("aws.iam.admin_policy_attached") == []
    attempts = world.drafts("aws.iam.credential_plant_attempt")
    assert sorted(d.evidence.event_ids[0] for d in attempts) == ["denied", "key-denied"]
