"""Reading grantees from policy documents, ACLs and permissions as CloudTrail records them (pure)."""

from __future__ import annotations

import json
from urllib.parse import quote

from vendorwatch.checks.policies import (
    Grantee,
    acl_grantees,
    is_administrator,
    lambda_grantees,
    policy_grantees,
)

OUTSIDER = "999999999999"


def kinds(grantees: list[Grantee]) -> set[tuple[str, str]]:
    return {(g.kind, g.value) for g in grantees}


def test_policy_as_object_json_string_and_url_encoded_string_read_alike() -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OUTSIDER}:root", "111111111111"]},
         "Action": "s3:GetObject", "Resource": "*"}]}
    expected = {("account", OUTSIDER), ("account", "111111111111")}
    for form in (document, json.dumps(document), quote(json.dumps(document))):
        assert kinds(policy_grantees(form)) == expected


def test_star_principal_is_everyone_unless_a_condition_narrows_it() -> None:
    def statement(condition: dict[str, object] | None) -> dict[str, object]:
        body: dict[str, object] = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
        if condition:
            body["Condition"] = condition
        return {"Statement": [body]}

    assert kinds(policy_grantees(statement(None))) == {("public", "*")}
    assert kinds(policy_grantees(statement({"StringEquals": {"aws:SourceAccount": "111111111111"}}))) == {
        ("account", "111111111111")}
    assert kinds(policy_grantees(statement({"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::b/{OUTSIDER}"}}))) == {
        ("public", "*")}  # an S3 ARN names no account: still everyone
    assert kinds(policy_grantees(statement({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))) == {
        ("organization", "o-abc123")}
    assert kinds(policy_grantees(statement({"StringNotEquals": {"aws:SourceAccount": "111111111111"}}))) == {
        ("public", "*")}  # a negated condition narrows nothing


def test_deny_statements_services_and_cloudfront_identities_grant_no_account() -> None:
    document = {"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}, "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2"},
         "Action": "s3:GetObject"}]}
    assert {g.kind for g in policy_grantees(document)} == {"service"}


def test_acl_canned_headers_and_body() -> None:
    assert kinds(acl_grantees({"acl": [""], "x-amz-acl": ["public-read"]})) == {("public", "public-read")}
    assert kinds(acl_grantees({"x-amz-grant-read": ['uri="http://acs.amazonaws.com/groups/global/AllUsers"',
                                                    'id="abc123"']})) == {("public", "AllUsers"),
                                                                          ("canonical_user", "abc123")}
    single = {"AccessControlPolicy": {"Owner": {"ID": "owner"}, "AccessControlList": {"Grant": {
        "Grantee": {"xsi:type": "AmazonCustomerByEmail", "EmailAddress": "x@example.com"}, "Permission": "READ"}}}}
    assert kinds(acl_grantees(single)) == {("email", "x@example.com")}
    private = {"x-amz-acl": ["private"], "AccessControlPolicy": {"Owner": {"ID": "owner"}, "AccessControlList": {
        "Grant": [{"Grantee": {"xsi:type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}]}}}
    assert acl_grantees(private) == []


def test_lambda_permission_narrowed_by_source_account_or_organization() -> None:
    assert kinds(lambda_grantees({"principal": "*", "action": "lambda:InvokeFunction"})) == {("public", "*")}
    assert kinds(lambda_grantees({"principal": "s3.amazonaws.com", "sourceAccount": OUTSIDER})) == {
        ("account", OUTSIDER)}
    assert kinds(lambda_grantees({"principal": "*", "principalOrgID": "o-abc"})) == {("organization", "o-abc")}
    assert kinds(lambda_grantees({"principal": OUTSIDER})) == {("account", OUTSIDER)}


def test_administrator_policy_is_every_action_on_every_resource_whatever_the_condition() -> None:
    assert is_administrator('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    assert is_administrator({"Statement": {"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}})
    assert not is_administrator({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert is_administrator({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
