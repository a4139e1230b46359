"""Resources opened to someone outside the vendor: shared by the resource-policy checks of 3.2.3 and 3.2.4.

Each successful call that sets a resource policy (or ACL, grant, permission, trust policy) is read into its
grantees (``policies``). A grantee is *outside* when it is everyone, an S3 ACL grantee of another account,
or an account that is neither the resource's own account nor an account of the vendor or of a vendor in one
parent chain with it (a sub-vendor works inside its parent's environments). Services, organizations and
federated providers are not accounts of anyone and are not judged here.

A grant is not a finding when an approved transfer covers it (vendor, the resource's environment as
``from``, the resource, the time, and the account in ``accounts`` or in the ``to`` environment), nor when it
makes a bucket the registry classes as ``public`` public. A later call that replaces the policy without the
grantee (or deletes the policy) withdraws it: the finding says when, and for how long it was open.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, Severity
from vendorwatch.checks.outages import how_long
from vendorwatch.checks.policies import (
    Grantee,
    account_list_grantees,
    acl_grantees,
    attribute_policy,
    lambda_grantees,
    policy_grantees,
)
from vendorwatch.checks.sql import calls
from vendorwatch.clock import as_utc
from vendorwatch.i18n import t

Reader = Callable[[dict[str, Any]], list[Grantee] | None]


def _attribute_reader(name_key: str, value_key: str) -> Reader:
    def read(details: dict[str, Any]) -> list[Grantee] | None:
        if str(details.get(name_key) or "").lower() != "policy":
            return None  # another attribute: the policy is untouched
        return policy_grantees(details.get(value_key))
    return read


def _attributes_reader(details: dict[str, Any]) -> list[Grantee] | None:
    policy = attribute_policy(details.get("attributes"))
    return None if policy is None else policy_grantees(policy)


def _key_grant(details: dict[str, Any]) -> list[Grantee]:
    principal = details.get("granteePrincipal")
    if not principal:
        return []
    return policy_grantees({"Statement": [{"Effect": "Allow", "Principal": {"AWS": str(principal)},
                                           "Action": [str(o) for o in details.get("operations") or []]}]})


def _withdrawn(_details: dict[str, Any]) -> list[Grantee]:
    return []


# Each call that sets who may use a resource, and how to read its grantees from the recorded parameters.
# ``None`` from a reader: the call did not touch the policy. ``[]``: the policy now grants nobody.
READERS: dict[str, Reader] = {
    "PutBucketPolicy": lambda d: policy_grantees(d.get("bucketPolicy")),
    "DeleteBucketPolicy": _withdrawn,
    "PutBucketAcl": acl_grantees,
    "PutKeyPolicy": lambda d: policy_grantees(d.get("policy")),
    "CreateKey": lambda d: policy_grantees(d.get("policy")),
    "CreateGrant": _key_grant,
    "AddPermission20150331": lambda_grantees,
    "AddPermission20150331v2": lambda_grantees,
    "AddLayerVersionPermission20181031": lambda_grantees,
    "AddPermission": lambda d: account_list_grantees(d.get("aWSAccountId") or d.get("aWSAccountIds"),
                                                     d.get("actionName") or d.get("actions")),
    "SetTopicAttributes": _attribute_reader("attributeName", "attributeValue"),
    "CreateTopic": _attributes_reader,
    "SetQueueAttributes": _attributes_reader,
    "CreateQueue": _attributes_reader,
    "PutResourcePolicy": lambda d: policy_grantees(d.get("resourcePolicy") or d.get("policyDocument")),
    "DeleteResourcePolicy": _withdrawn,
    "SetRepositoryPolicy": lambda d: policy_grantees(d.get("policyText")),
    "DeleteRepositoryPolicy": _withdrawn,
    "CreateRole": lambda d: policy_grantees(d.get("assumeRolePolicyDocument")),
    "UpdateAssumeRolePolicy": lambda d: policy_grantees(d.get("policyDocument")),
    "DeleteRole": _withdrawn,
}
# Calls that replace the whole policy: a later one without a grantee withdraws it. Permissions and grants add.
REPLACING = {"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutKeyPolicy", "SetTopicAttributes",
             "SetQueueAttributes", "PutResourcePolicy", "DeleteResourcePolicy", "SetRepositoryPolicy",
             "DeleteRepositoryPolicy", "CreateRole", "UpdateAssumeRolePolicy", "DeleteRole", "CreateKey",
             "CreateTopic", "CreateQueue"}
_RESOURCE_KEYS = ("functionName", "layerName", "topicArn", "queueUrl", "secretId", "resourceArn", "repositoryName",
                  "keyId", "roleName", "name", "queueName")
_ARN_SERVICE = {"lambda.amazonaws.com": ("lambda", "function:"), "kms.amazonaws.com": ("kms", "key/"),
                "ecr.amazonaws.com": ("ecr", "repository/"), "secretsmanager.amazonaws.com": ("secretsmanager", "secret:"),
                "iam.amazonaws.com": ("iam", "role/"), "sns.amazonaws.com": ("sns", ""), "sqs.amazonaws.com": ("sqs", "")}


def resource_name(row: Any) -> str:
    """The resource a policy call is about: the bucket, else the function, topic, queue, secret, key or role."""
    if row.bucket:
        return f"arn:aws:s3:::{row.bucket}"
    details = row.details or {}
    value = next((str(details[k]) for k in _RESOURCE_KEYS if details.get(k)), None) or row.resource or "(unknown)"
    if value.startswith("arn:"):
        return value
    if value.startswith("https://sqs."):  # https://sqs.<region>.amazonaws.com/<account>/<name>
        parts = value.split("/")
        return f"arn:aws:sqs:{row.region or ''}:{parts[-2] if len(parts) > 2 else ''}:{parts[-1]}"
    service, prefix = _ARN_SERVICE.get(row.service or "", ("", ""))
    if not service:
        return value
    region = "" if service == "iam" else row.region or ""
    return f"arn:aws:{service}:{region}:{row.account_id or ''}:{prefix}{value}"


@dataclass
class Exposure:
    """One grantee outside the vendor on one resource: the calls that granted it and the one that withdrew it."""

    vendor_id: str
    resource: str
    grantee: Grantee
    environment_id: str | None
    account_id: str | None
    granted: list[Any] = field(default_factory=list)
    withdrawn: Any = None

    @property
    def public(self) -> bool:
        """Open to everyone."""
        return self.grantee.kind == "public"


def _covered(ctx: EvaluationContext, vendor_id: str, environment_id: str | None, resource: str,
             account: str | None, when: datetime) -> str | None:
    """The approved transfer covering a grant to ``account`` on ``resource`` at ``when``, if any."""
    if account is None:
        return None
    for approval in ctx.registry.transfers:
        if approval.vendor != vendor_id or approval.from_ != environment_id:
            continue
        if not approval.window.start <= when <= approval.window.end:
            continue
        destination = ctx.knowledge.environments.get(approval.to)
        if account not in approval.accounts and (destination is None or account not in destination.aws_accounts):
            continue
        if any(fnmatch.fnmatchcase(resource, p) or fnmatch.fnmatchcase(resource + "/", p) for p in approval.resources):
            return approval.id
    return None


def _public_bucket(ctx: EvaluationContext, row: Any) -> bool:
    environment = ctx.knowledge.environments.get(row.environment_id or "")
    return bool(row.bucket and environment
                and any(b.name == row.bucket and b.data_class == "public" for b in environment.buckets))


def outside(ctx: EvaluationContext, row: Any, grantee: Grantee, inside: set[str]) -> bool:
    """Whether a grantee of one call is outside the vendor's chain (and not a deliberate public bucket)."""
    if grantee.kind in ("service", "organization", "federated"):
        return False
    if grantee.kind == "account":
        return grantee.value not in inside and grantee.value != row.account_id
    return not (grantee.kind == "public" and _public_bucket(ctx, row))  # a bucket classed public may be


def exposures(ctx: EvaluationContext, actions: tuple[str, ...]) -> list[Exposure]:
    """Outside grantees of the successful ``actions``, per (vendor, resource, grantee), with any withdrawal."""
    found: dict[tuple[str, str, Grantee], Exposure] = {}
    for row in calls(ctx.session, actions):
        reader = READERS.get(row.action)
        grantees = reader(row.details or {}) if reader else None
        if grantees is None:
            continue
        resource = resource_name(row)
        when = as_utc(row.event_time)
        assert when is not None
        if row.action in REPLACING:
            now_granted = {(g.kind, g.value) for g in grantees}
            for (vendor_id, name, grantee), exposure in found.items():
                if (vendor_id, name) == (row.vendor_id, resource) and exposure.withdrawn is None \
                        and (grantee.kind, grantee.value) not in now_granted:
                    exposure.withdrawn = row
        inside = ctx.knowledge.chain_accounts(row.vendor_id)
        for grantee in grantees:
            if not outside(ctx, row, grantee, inside):
                continue
            if _covered(ctx, row.vendor_id, row.environment_id, resource, grantee.account, when):
                continue
            key = (row.vendor_id, resource, Grantee(grantee.kind, grantee.value))
            exposure = found.setdefault(key, Exposure(row.vendor_id, resource, key[2], row.environment_id,
                                                      row.account_id))
            exposure.granted.append(row)
            exposure.withdrawn = None  # granted again: open from here on
    return list(found.values())


def exposure_drafts(ctx: EvaluationContext, actions: tuple[str, ...], what: tuple[str, str],
                    severity: Callable[[Exposure], Severity | None] = lambda e: "critical" if e.public else None,
                    ) -> Iterator[FindingDraft]:
    """Findings of ``exposures``: ``what`` names the policy kind (ja, en) in the messages."""
    for exposure in exposures(ctx, actions):
        first, last = exposure.granted[0], exposure.granted[-1]
        granted_at = as_utc(first.event_time)
        assert granted_at is not None
        ids = [r.source_event_id for r in exposure.granted]
        withdrawn_at = as_utc(exposure.withdrawn.event_time) if exposure.withdrawn is not None else None
        if exposure.withdrawn is not None:
            ids.append(exposure.withdrawn.source_event_id)
        until = withdrawn_at or ctx.now
        last_at = as_utc(last.event_time)
        assert last_at is not None
        minutes = round((until - last_at).total_seconds() / 60, 1)
        state_ja, state_en = how_long(withdrawn_at, minutes, ("取消し", "withdrawn"), ("公開", "open"),
                                      ("取消しの記録なし", "no withdrawal seen"))
        grantee = exposure.grantee.label()
        principals = sorted({r.principal for r in exposure.granted if r.principal})
        who = ", ".join(principals) or "(unknown)"
        yield FindingDraft(
            exposure.vendor_id, f"{exposure.resource}->{exposure.grantee.kind}:{exposure.grantee.value}",
            Evidence(ids, principals,
                     {"resource": exposure.resource, "grantee": grantee, "grantee_kind": exposure.grantee.kind,
                      "grantee_value": exposure.grantee.value, "actions": sorted({r.action for r in exposure.granted}),
                      "environment": exposure.environment_id, "account": exposure.account_id,
                      "granted_at": granted_at.isoformat(),
                      "withdrawn_at": withdrawn_at.isoformat() if withdrawn_at else None,
                      "minutes_open": minutes, "still_open": withdrawn_at is None,
                      "customer_data": any(bool(r.customer_data) for r in exposure.granted)}),
            t(f"{who} が{what[0]} {exposure.resource} で {grantee} にアクセスを許可: {state_ja}",
              f"{who} let {grantee} in through the {what[1]} of {exposure.resource}: {state_en}"),
            severity=severity(exposure),
        )
