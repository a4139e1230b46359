"""The vendor's audit-role template (docs/aws) is least privilege, trusts only the firm with an external id,
matches its Terraform twin, and the role built from it works for a collection on moto's server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.aws.collect import collect
from tests.conftest import ROOT
from tests.connectors.aws.conftest import EXTERNAL_ID_ENV, FIRM_ACCOUNT, VENDOR_ACCOUNT
from vendorwatch.db.tables import Principal
from vendorwatch.ingest.context import CollectContext

TEMPLATE = ROOT / "docs" / "aws" / "vendorwatch-audit-role.cfn.yaml"
TERRAFORM = ROOT / "docs" / "aws" / "vendorwatch-audit-role.tf"
READ_ONLY = re.compile(r"^(iam|cloudtrail|s3):(Get|List|Describe|Lookup)[A-Za-z]*$")
ALSO_ALLOWED = {"iam:GenerateCredentialReport", "kms:Decrypt"}  # the report must be generated to be read


class CfnLoader(yaml.SafeLoader):
    """YAML loader that reads CloudFormation's short-form tags (!Ref, !Sub, ...) as their long forms."""


def _tag(name: str) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _short, _long in {"Ref": "Ref", "Sub": "Fn::Sub", "GetAtt": "Fn::GetAtt", "If": "Fn::If",
                      "Equals": "Fn::Equals", "Not": "Fn::Not", "Join": "Fn::Join"}.items():
    CfnLoader.add_constructor(f"!{_short}", _tag(_long))

_NO_VALUE = object()


def _resolve(node: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> Any:
    """Evaluate the intrinsic functions the template uses, as CloudFormation would."""
    if isinstance(node, list):
        resolved = [_resolve(item, parameters, conditions) for item in node]
        return [item for item in resolved if item is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return _NO_VALUE if node["Ref"] == "AWS::NoValue" else parameters[node["Ref"]]
    if set(node) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: parameters[m.group(1)], node["Fn::Sub"])
    if set(node) == {"Fn::If"}:
        name, when_true, when_false = node["Fn::If"]
        return _resolve(when_true if conditions[name] else when_false, parameters, conditions)
    return {key: _resolve(value, parameters, conditions) for key, value in node.items()}


def _template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=CfnLoader)
    return loaded


def _documents(parameters: dict[str, str], kms: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    role = _template()["Resources"]["VendorWatchAuditRole"]["Properties"]
    values = {"AWS::Partition": "aws", **parameters}
    trust = _resolve(role["AssumeRolePolicyDocument"], values, {"TrailUsesKms": kms})
    [policy] = role["Policies"]
    return trust, _resolve(policy["PolicyDocument"], values, {"TrailUsesKms": kms})


PARAMETERS = {"TrustedAccountId": FIRM_ACCOUNT, "ExternalId": "vw-ext-8d1f0c2a9b7e", "TrailBucketName": "acme-trail",
              "TrailKmsKeyArn": "arn:aws:kms:ap-northeast-1:111111111111:key/abcd", "RoleName": "VendorWatchAudit"}


def test_the_template_grants_only_reads_scoped_to_the_trail_bucket() -> None:
    _, policy = _documents(PARAMETERS, kms=True)
    actions = [action for statement in policy["Statement"] for action in statement["Action"]]
    assert actions and all(READ_ONLY.match(a) or a in ALSO_ALLOWED for a in actions), actions
    assert not any(a.endswith("*") for a in actions)
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
    s3_resources = {r for s in policy["Statement"] for a in s["Action"] if a.startswith("s3:")
                    for r in [s["Resource"]]}
    assert s3_resources == {"arn:aws:s3:::acme-trail", "arn:aws:s3:::acme-trail/*"}
    without_kms = _documents(PARAMETERS, kms=False)[1]
    assert "kms:Decrypt" not in [a for s in without_kms["Statement"] for a in s["Action"]]


def test_the_role_trusts_only_the_firm_and_requires_the_external_id() -> None:
    trust, _ = _documents(PARAMETERS, kms=False)
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{FIRM_ACCOUNT}:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "vw-ext-8d1f0c2a9b7e"}}
    parameters = _template()["Parameters"]
    assert parameters["ExternalId"]["NoEcho"] is True
    assert _template()["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["VendorWatchAuditRole", "Arn"]}


def test_terraform_grants_the_same_actions() -> None:
    _, policy = _documents(PARAMETERS, kms=True)
    cfn = sorted(a for s in policy["Statement"] for a in s["Action"])
    terraform = sorted(set(re.findall(r'"((?:iam|cloudtrail|s3|kms|sts):[A-Za-z]+)"', TERRAFORM.read_text())))
    assert terraform == sorted({*cfn, "sts:AssumeRole", "sts:ExternalId"})  # trust action and condition key


def test_the_role_built_from_the_template_serves_a_collection(
    engine: Engine, context_for: Callable[[str], CollectContext], moto_endpoint: str
) -> None:
    # The vendor creates the role in its account from the template's documents; the firm then collects
    # through it with the external id. (moto checks the documents' syntax, not the permissions.)
    trust, policy = _documents(PARAMETERS, kms=False)
    setup = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{VENDOR_ACCOUNT}:role/bootstrap", RoleSessionName="deploy")["Credentials"]
    vendor_iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint,
                              aws_access_key_id=setup["AccessKeyId"], aws_secret_access_key=setup["SecretAccessKey"],
                              aws_session_token=setup["SessionToken"])
    role = vendor_iam.create_role(RoleName="VendorWatchAudit", AssumeRolePolicyDocument=json.dumps(trust),
                                  MaxSessionDuration=3600)["Role"]
    vendor_iam.put_role_policy(RoleName="VendorWatchAudit", PolicyName="vendorwatch-read-only",
                               PolicyDocument=json.dumps(policy))
    assert role["Arn"] == f"arn:aws:iam::{VENDOR_ACCOUNT}:role/VendorWatchAudit"

    run = collect(context_for("acme-aws-role"), environ={EXTERNAL_ID_ENV: PARAMETERS["ExternalId"]})
    assert run.status == "success", run.errors
    with Session(engine) as session:
        roles = {p.name: p for p in session.exec(select(Principal).where(Principal.kind == "iam_role"))}
    audit = roles["VendorWatchAudit"]
    assert audit.attributes["trusted_outside_accounts"] == [FIRM_ACCOUNT]
    assert audit.attributes["external_id_required"] is True


def test_docs_exist_in_both_languages() -> None:
    text = (Path(ROOT) / "docs" / "aws-vendor-setup.md").read_text(encoding="utf-8")
    assert "外部 ID" in text and "external id" in text.lower()
    assert "vendorwatch-audit-role.cfn.yaml" in text and "vendorwatch-audit-role.tf" in text
