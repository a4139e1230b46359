"""3.2.3 / 3.2.4: resources opened to outside accounts or everyone, from CloudTrail records as AWS writes them.

Outside = neither the resource's account nor an account of the vendor or of its chain (acme's DEV account
is inside); an approved transfer naming the account covers a grant; failed calls are attempts.
"""

from __future__ import annotations

from typing import Any

from tests.checks.cloudtrail import allow, call, policy, store
from tests.checks.world import CUSTOMERS, DEV, OUTSIDER, PROD, World

S3_HOST = f"{CUSTOMERS}.s3.ap-northeast-1.amazonaws.com"
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
OWNER_ID = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def bucket_policy(bucket: str, *statements: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """PutBucketPolicy as S3 records it: the policy as an object (Stratus s3-backdoor-bucket-policy)."""
    return call("PutBucketPolicy", "s3", {
        "bucketPolicy": {"Version": "2012-10-17", "Statement": list(statements)}, "bucketName": bucket,
        "Host": f"{bucket}.s3.ap-northeast-1.amazonaws.com", "policy": ""},
        resources=[{"accountId": PROD, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}], **fields)


def backdoor(bucket: str = CUSTOMERS, account: str = OUTSIDER, **fields: Any) -> dict[str, Any]:
    return bucket_policy(bucket, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                  "Action": ["s3:GetObject", "s3:GetBucketLocation", "s3:ListBucket"],
                                  "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"]}, **fields)


def test_bucket_policy_to_an_outside_account_is_critical_on_a_customer_bucket_until_withdrawn(world: World) -> None:
    store(world, backdoor(event_id="grant", when="2026-11-25T01:00:00Z"),
          call("DeleteBucketPolicy", "s3", {"bucketName": CUSTOMERS, "Host": S3_HOST, "policy": ""},
               event_id="delete", when="2026-11-25T03:00:00Z"))
    drafts = world.drafts("aws.s3.bucket_shared_outside")
    assert [(d.subject, d.severity, d.evidence.event_ids) for d in drafts] == [
        (f"arn:aws:s3:::{CUSTOMERS}->account:{OUTSIDER}", "critical", ["grant", "delete"])]
    assert drafts[0].evidence.details["minutes_open"] == 120
    assert drafts[0].evidence.details["still_open"] is False


def test_bucket_policy_for_cloudtrail_and_the_vendors_own_accounts_is_quiet(world: World) -> None:
    store(world, bucket_policy(
        "acme-prod-logs",
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::acme-prod-logs"},
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{DEV}:root", PROD]}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::acme-prod-logs/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-prod-logs/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    assert world.drafts("aws.s3.bucket_shared_outside") == []


def test_public_acl_grant_is_found_and_the_owners_own_grant_is_not(world: World) -> None:
    acl = {"AccessControlList": {"Grant": [
        {"Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                     "ID": OWNER_ID}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"xsi:type": "Group", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                     "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]},
        "xmlns": XMLNS, "Owner": {"ID": OWNER_ID}}
    store(world, call("PutBucketAcl", "s3", {"bucketName": CUSTOMERS, "Host": S3_HOST, "acl": "",
                                             "AccessControlPolicy": acl}, event_id="acl"))
    drafts = world.drafts("aws.s3.bucket_shared_outside")
    assert [(d.subject, d.severity) for d in drafts] == [(f"arn:aws:s3:::{CUSTOMERS}->public:AllUsers", "critical")]


def test_grant_covered_by_an_approved_transfer_naming_the_account_is_quiet(world: World) -> None:
    world.reimport({"transfers": [
        {"id": "TR-9", "vendor": "acme", "from": "acme-prod", "to": "acme-dev", "accounts": [OUTSIDER],
         "resources": [f"arn:aws:s3:::{CUSTOMERS}"], "purpose": "auditor reads the export", "approved_by": "部長",
         "window": {"start": "2026-11-25T09:00:00+09:00", "end": "2026-11-25T18:00:00+09:00"}}]})
    store(world, backdoor(when="2026-11-25T01:00:00Z"))
    assert world.drafts("aws.s3.bucket_shared_outside") == []
    store(world, backdoor(when="2026-11-25T12:00:00Z", event_id="late"))  # after the approved window
    assert [d.evidence.event_ids for d in world.drafts("aws.s3.bucket_shared_outside")] == [["late"]]


def test_kms_key_policy_and_grant_to_an_outside_account_but_not_to_the_vendors_dev_account(world: World) -> None:
    key = f"arn:aws:kms:ap-northeast-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    store(world,
          call("PutKeyPolicy", "kms", {"keyId": key, "policyName": "default", "bypassPolicyLockoutSafetyCheck": False,
                                       "policy": policy(allow({"AWS": f"arn:aws:iam::{PROD}:root"}, "kms:*"),
                                                        allow({"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                                                              ["kms:Decrypt", "kms:DescribeKey"]))},
               event_id="key-policy"),
          call("CreateGrant", "kms", {"keyId": key, "granteePrincipal": f"arn:aws:iam::{DEV}:role/batch",
                                      "operations": ["Decrypt"]}, event_id="dev-grant"),
          call("CreateGrant", "kms", {"keyId": key, "granteePrincipal": f"arn:aws:iam::{OUTSIDER}:role/x",
                                      "operations": ["Decrypt", "GenerateDataKey"]}, event_id="outside-grant"))
    drafts = world.drafts("aws.kms.key_shared_outside")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [
        (f"{key}->account:{OUTSIDER}", ["key-policy", "outside-grant"])]


def test_lambda_permission_to_everyone_is_critical_but_a_service_of_the_own_account_is_not(world: World) -> None:
    store(world,
          # as recorded in the Stratus run (lambda-backdoor-function)
          call("AddPermission20150331v2", "lambda", {"functionName": "acme-export", "statementId": "backdoor",
                                                     "action": "lambda:InvokeFunction", "principal": "*"},
               event_id="public"),
          call("AddPermission20150331v2", "lambda", {"functionName": "acme-thumbnails", "statementId": "s3",
                                                     "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com",
                                                     "sourceAccount": PROD,
                                                     "sourceArn": f"arn:aws:s3:::{CUSTOMERS}"}, event_id="s3"))
    drafts = world.drafts("aws.resource_policy.opened_outside")
    assert [(d.subject, d.severity) for d in drafts] == [
        (f"arn:aws:lambda:ap-northeast-1:{PROD}:function:acme-export->public:*", "critical")]


def test_sqs_sns_secrets_and_ecr_policies_opened_outward(world: World) -> None:
    queue = f"https://sqs.ap-northeast-1.amazonaws.com/{PROD}/orders"
    topic = f"arn:aws:sns:ap-northeast-1:{PROD}:alerts"
    store(world,
          call("SetQueueAttributes", "sqs", {"queueUrl": queue, "attributes": {
              "Policy": policy(allow("*", "sqs:SendMessage", f"arn:aws:sqs:ap-northeast-1:{PROD}:orders"))}},
              event_id="sqs"),
          call("SetTopicAttributes", "sns", {"topicArn": topic, "attributeName": "Policy", "attributeValue": policy(
              allow({"AWS": "*"}, "SNS:Publish", topic, Condition={"StringEquals": {"AWS:SourceOwner": PROD}}))},
              event_id="sns-own"),
          call("PutResourcePolicy", "secretsmanager", {"secretId": "prod/db", "blockPublicPolicy": True,
                                                       "resourcePolicy": policy(allow(
                                                           {"AWS": f"arn:aws:iam::{OUTSIDER}:user/x"},
                                                           "secretsmanager:GetSecretValue"))}, event_id="secret"),
          call("SetRepositoryPolicy", "ecr", {"repositoryName": "app", "force": False, "policyText": policy(
              allow({"AWS": OUTSIDER}, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]))}, event_id="ecr"))
    drafts = {d.evidence.event_ids[0]: d.subject for d in world.drafts("aws.resource_policy.opened_outside")}
    assert drafts == {
        "sqs": f"arn:aws:sqs:ap-northeast-1:{PROD}:orders->public:*",
        "secret": f"arn:aws:secretsmanager:ap-northeast-1:{PROD}:secret:prod/db->account:{OUTSIDER}",
        "ecr": f"arn:aws:ecr:ap-northeast-1:{PROD}:repository/app->account:{OUTSIDER}",
    }


BACKDOOR_TRUST = ('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
                  '      "Principal": {\n        "Service": "ec2.amazonaws.com"\n      },\n'
                  '      "Action": "sts:AssumeRole"\n    },\n    {\n      "Effect": "Allow",\n'
                  f'      "Principal": {{\n        "AWS": "arn:aws:iam::{OUTSIDER}:root"\n      }},\n'
                  '      "Action": "sts:AssumeRole"\n    }\n  ]\n}')
EC2_TRUST = ('{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
             '"Sid":""}],"Version":"2012-10-17"}')


def test_backdoor_role_trust_then_reverted_says_how_long_it_was_open(world: World) -> None:
    # the two UpdateAssumeRolePolicy calls of the Stratus run (iam-backdoor-role), accounts replaced
    store(world,
          call("UpdateAssumeRolePolicy", "iam", {"roleName": "ops", "policyDocument": BACKDOOR_TRUST},
               event_id="backdoor", when="2026-11-25T01:00:00Z", region="us-east-1"),
          call("UpdateAssumeRolePolicy", "iam", {"policyDocument": EC2_TRUST, "roleName": "ops"},
               event_id="revert", when="2026-11-25T01:04:13Z", region="us-east-1"))
    drafts = world.drafts("aws.iam.role_trusts_outside")
    assert [(d.subject, d.severity, d.evidence.event_ids) for d in drafts] == [
        (f"arn:aws:iam::{PROD}:role/ops->account:{OUTSIDER}", None, ["backdoor", "revert"])]
    assert drafts[0].evidence.details["withdrawn_at"] == "2026-11-25T01:04:13+00:00"


def test_role_trusting_its_own_account_and_the_vendors_dev_account_is_quiet(world: World) -> None:
    own = ('{"Statement":[{"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Effect":"Allow",'
           f'"Principal":{{"AWS":["{PROD}","arn:aws:iam::{DEV}:role/deployer"]}},"Sid":""}}],"Version":"2012-10-17"}}')
    store(world, call("CreateRole", "iam", {"path": "/", "roleName": "deploy", "assumeRolePolicyDocument": own,
                                            "maxSessionDuration": 3600}))
    assert world.drafts("aws.iam.role_trusts_outside") == []


def test_public_access_block_removed_from_the_customer_bucket_until_restored(world: World) -> None:
    off = {"xmlns": XMLNS, "RestrictPublicBuckets": False, "BlockPublicPolicy": False, "BlockPublicAcls": True,
           "IgnorePublicAcls": True}
    on = {"xmlns": XMLNS, "RestrictPublicBuckets": True, "BlockPublicPolicy": True, "BlockPublicAcls": True,
          "IgnorePublicAcls": True}
    store(world,
          call("PutPublicAccessBlock", "s3", {"publicAccessBlock": "", "bucketName": CUSTOMERS, "Host": S3_HOST,
                                              "PublicAccessBlockConfiguration": off},
               event_id="weaken", when="2026-11-25T01:00:00Z"),
          call("PutPublicAccessBlock", "s3", {"publicAccessBlock": "", "bucketName": CUSTOMERS, "Host": S3_HOST,
                                              "PublicAccessBlockConfiguration": on},
               event_id="restore", when="2026-11-25T01:30:00Z"),
          call("DeletePublicAccessBlock", "s3", {"publicAccessBlock": "", "bucketName": "acme-prod-logs",
                                                 "Host": "acme-prod-logs.s3.ap-northeast-1.amazonaws.com"}))
    drafts = world.drafts("aws.s3.public_access_block_removed")
    assert [(d.evidence.event_ids, d.evidence.details["minutes_off"]) for d in drafts] == [(["weaken", "restore"], 30)]
    assert "RestrictPublicBuckets" in drafts[0].subject


def test_failed_backdoor_is_an_attempt_and_a_failed_internal_role_is_nothing(world: World) -> None:
    store(world, backdoor(error="AccessDenied", event_id="denied"),
          call("CreateRole", "iam", {"roleName": "app", "assumeRolePolicyDocument": EC2_TRUST},
               error="EntityAlreadyExists"))
    assert world.drafts("aws.s3.bucket_shared_outside") == []
    attempts = world.drafts("aws.resource_policy.exposure_attempt")
    assert [(d.evidence.event_ids, d.evidence.details["error_codes"]) for d in attempts] == [(["denied"], ["AccessDenied"])]
