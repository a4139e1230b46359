"""Who a resource policy, ACL or permission lets in: the grantees of one CloudTrail call, as AWS records it.

CloudTrail keeps request parameters as the caller sent them: a bucket policy as a JSON object, most other
policy documents (KMS, IAM trust, SNS, SQS, Secrets Manager, ECR) as a JSON *string*, sometimes URL-encoded,
an ACL as the XML request turned into a dict (a single grant is an object, several a list). This module reads
all of them into one list of ``Grantee``; whether a grantee is outside the vendor is decided by the checks.

Only ``Allow`` statements grant. A ``*`` principal narrowed by a condition on the caller's or source's
account (``aws:SourceAccount``, ``aws:PrincipalAccount``, ...) grants those accounts; narrowed to an
organization (``aws:PrincipalOrgID``) it grants that organization; otherwise it grants everyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

GranteeKind = Literal["account", "public", "service", "organization", "canonical_user", "email", "federated"]
_ACCOUNT = re.compile(r"^\d{12}$")
_ACCOUNT_CONDITIONS = ("aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "aws:resourceaccount",
                       "kms:calleraccount")
_ORG_CONDITIONS = ("aws:principalorgid", "aws:sourceorgid")
_ARN_CONDITIONS = ("aws:sourcearn", "aws:principalarn")
_PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
_PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")


@dataclass(frozen=True)
class Grantee:
    """One party a call lets in: an account (by id), everyone, a service, an organization, an S3 ACL grantee."""

    kind: GranteeKind
    value: str
    actions: tuple[str, ...] = ()

    @property
    def account(self) -> str | None:
        """The account id this grantee is, or belongs to (None for everyone, a service, an organization)."""
        return self.value if self.kind == "account" else None

    def label(self) -> str:
        """How a reader sees it: ``account 123456789012``, ``everyone``, ``organization o-abc``."""
        return {"account": f"account {self.value}", "public": "everyone (*)",
                "organization": f"organization {self.value}", "canonical_user": f"canonical user {self.value}",
                "email": f"AWS customer {self.value}", "service": f"service {self.value}",
                "federated": f"federated {self.value}"}[self.kind]


def document(value: Any) -> dict[str, Any] | None:
    """A policy document from what CloudTrail recorded: an object, a JSON string, or a URL-encoded JSON string."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def as_list(value: Any) -> list[Any]:
    """A value that AWS writes as one item or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def account_of(principal: str) -> str | None:
    """The account of ``123456789012``, ``arn:aws:iam::123456789012:root`` or any ARN naming an account."""
    text = principal.strip()
    if _ACCOUNT.match(text):
        return text
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) >= 5 and _ACCOUNT.match(parts[4]):
            return parts[4]
    return None


def _principal_grantees(value: str, actions: tuple[str, ...]) -> Grantee:
    if value.strip() == "*":
        return Grantee("public", "*", actions)
    if value.endswith(".amazonaws.com") or value.endswith(".amazonaws.com.cn") \
            or value.startswith("arn:aws:iam::cloudfront:user/"):
        return Grantee("service", value, actions)  # a service (CloudFront's origin access identity is one)
    account = account_of(value)
    if account is not None:
        return Grantee("account", account, actions)
    return Grantee("canonical_user", value, actions)  # a canonical user id in an S3 policy


def _condition_values(conditions: Any, keys: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    if not isinstance(conditions, dict):
        return values
    for operator, clauses in conditions.items():
        if not isinstance(clauses, dict) or str(operator).lower().startswith("stringnot") \
                or str(operator).lower().startswith("arnnot"):
            continue  # a negated condition narrows nothing
        for key, value in clauses.items():
            if str(key).lower() in keys:
                values.extend(str(v) for v in as_list(value))
    return values


def _narrowed(conditions: Any, actions: tuple[str, ...]) -> list[Grantee] | None:
    """What a ``*`` principal really grants under its conditions; None when the conditions do not narrow it."""
    accounts = _condition_values(conditions, _ACCOUNT_CONDITIONS)
    accounts += [a for a in (account_of(v) for v in _condition_values(conditions, _ARN_CONDITIONS)) if a]
    organizations = _condition_values(conditions, _ORG_CONDITIONS)
    if not accounts and not organizations:
        return None
    return ([Grantee("account", a, actions) for a in accounts if _ACCOUNT.match(a)]
            + [Grantee("organization", o, actions) for o in organizations])


def policy_grantees(policy: Any) -> list[Grantee]:
    """Grantees of the ``Allow`` statements of a policy document (object or string)."""
    parsed = document(policy)
    if parsed is None:
        return []
    found: list[Grantee] = []
    for statement in as_list(parsed.get("Statement")):
        if not isinstance(statement, dict) or str(statement.get("Effect", "")).lower() != "allow":
            continue
        actions = tuple(str(a) for a in as_list(statement.get("Action")))
        principal = statement.get("Principal")
        if principal is None:
            continue  # an identity policy or NotPrincipal: not a grant to someone else
        entries: list[tuple[str, str]] = []
        if isinstance(principal, str):
            entries.append(("AWS", principal))
        elif isinstance(principal, dict):
            for kind, values in principal.items():
                entries.extend((str(kind), str(v)) for v in as_list(values))
        for kind, value in entries:
            if kind == "Service":
                found.append(Grantee("service", value, actions))
                continue
            if kind == "Federated":
                found.append(Grantee("federated", value, actions))
                continue
            if kind == "CanonicalUser":
                found.append(Grantee("canonical_user", value, actions))
                continue
            grantee = _principal_grantees(value, actions)
            if grantee.kind == "public":
                narrowed = _narrowed(statement.get("Condition"), actions)
                if narrowed is not None:
                    found.extend(narrowed)
                    continue
            found.append(grantee)
    return found


def _acl_header_grantees(header: Any, permission: str) -> Iterator[Grantee]:
    for item in as_list(header):
        for part in str(item).split(","):
            kind, _, value = part.strip().partition("=")
            value = value.strip().strip('"')
            if kind.lower() == "uri" and value in _PUBLIC_GROUPS:
                yield Grantee("public", value.rsplit("/", 1)[-1], (permission,))
            elif kind.lower() == "id" and value:
                yield Grantee("canonical_user", value, (permission,))
            elif kind.lower() == "emailaddress" and value:
                yield Grantee("email", value, (permission,))


def acl_grantees(details: dict[str, Any]) -> list[Grantee]:
    """Grantees of a PutBucketAcl / PutObjectAcl other than the owner: canned ACL, grant headers or the ACL body."""
    found: list[Grantee] = []
    for canned in as_list(details.get("x-amz-acl")):
        if str(canned) in _PUBLIC_CANNED:
            found.append(Grantee("public", str(canned), ("READ",)))
    for header, permission in (("x-amz-grant-read", "READ"), ("x-amz-grant-write", "WRITE"),
                               ("x-amz-grant-read-acp", "READ_ACP"), ("x-amz-grant-write-acp", "WRITE_ACP"),
                               ("x-amz-grant-full-control", "FULL_CONTROL")):
        found.extend(_acl_header_grantees(details.get(header), permission))
    body = details.get("AccessControlPolicy")
    if isinstance(body, dict):
        owner = (body.get("Owner") or {}).get("ID") if isinstance(body.get("Owner"), dict) else None
        acl = body.get("AccessControlList") or {}
        grants = as_list(acl.get("Grant")) if isinstance(acl, dict) else []
        for grant in grants:
            if not isinstance(grant, dict) or not isinstance(grant.get("Grantee"), dict):
                continue
            grantee, permission = grant["Grantee"], str(grant.get("Permission", ""))
            if grantee.get("URI") in _PUBLIC_GROUPS:
                found.append(Grantee("public", str(grantee["URI"]).rsplit("/", 1)[-1], (permission,)))
            elif grantee.get("EmailAddress"):
                found.append(Grantee("email", str(grantee["EmailAddress"]), (permission,)))
            elif grantee.get("ID") and grantee.get("ID") != owner:
                found.append(Grantee("canonical_user", str(grantee["ID"]), (permission,)))
    return found


def lambda_grantees(details: dict[str, Any]) -> list[Grantee]:
    """The grantee of a Lambda AddPermission: the principal, narrowed by ``sourceAccount`` / ``principalOrgID``."""
    principal = str(details.get("principal") or "")
    if not principal:
        return []
    actions = (str(details.get("action") or ""),)
    if details.get("sourceAccount"):
        return [Grantee("account", str(details["sourceAccount"]), actions)]
    if details.get("principalOrgID") or details.get("organizationId"):
        return [Grantee("organization", str(details.get("principalOrgID") or details["organizationId"]), actions)]
    source_account = account_of(str(details.get("sourceArn") or ""))
    if source_account:
        return [Grantee("account", source_account, actions)]
    return [_principal_grantees(principal, actions)]


def account_list_grantees(accounts: Any, actions: Any) -> list[Grantee]:
    """Grantees of an SNS / SQS AddPermission (a list of account ids, or ``*``)."""
    names = tuple(str(a) for a in as_list(actions))
    return [_principal_grantees(str(a), names) for a in as_list(accounts)]


def attribute_policy(attributes: Any) -> Any:
    """The ``Policy`` of an SNS / SQS attribute map (``{"Policy": "<json>"}``)."""
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            if str(key).lower() == "policy":
                return value
    return None


def is_administrator(policy: Any) -> bool:
    """Whether an identity policy allows every action (``*`` or ``*:*``) on every resource, under any condition."""
    parsed = document(policy)
    if parsed is None:
        return False
    for statement in as_list(parsed.get("Statement")):
        if not isinstance(statement, dict) or str(statement.get("Effect", "")).lower() != "allow":
            continue
        actions = {str(a) for a in as_list(statement.get("Action"))}
        resources = {str(r) for r in as_list(statement.get("Resource"))}
        if actions & {"*", "*:*"} and "*" in resources:  # a condition (MFA, source IP) keeps it an administrator
            return True
    return False
