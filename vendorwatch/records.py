"""Normalized records: the contract between connectors (which yield them) and the loaders and checks.

Connectors know nothing of checks; they turn what a vendor system says into these records. Small
inventories are pydantic models; access events, which come by the million, are a typed ``NamedTuple``
so that parsing stays close to the speed of reading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

PrincipalKind = Literal[
    "iam_user", "iam_role", "access_key", "root", "assumed_role", "aws_service", "ldap_account", "ad_account",
    "ldap_group", "other",
]
Outcome = Literal["success", "failure"]


class PrincipalRecord(BaseModel):
    """An identity as a source reports it (IAM user, role, access key, directory account)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    external_id: str = Field(min_length=1, description="ARN, access key id or DN")
    kind: PrincipalKind
    name: str
    display_name: str | None = None
    parent_external_id: str | None = Field(default=None, description="the user an access key belongs to")
    owner: str | None = None
    email: str | None = None
    mfa_enabled: bool | None = None
    console_access: bool | None = None
    disabled: bool = False
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    password_changed_at: datetime | None = None
    locked_at: datetime | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class GrantRecord(BaseModel):
    """A right of a principal: a policy, a group membership, a trust relationship."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal_external_id: str
    kind: Literal["managed_policy", "inline_policy", "group_membership", "group_policy", "trust", "directory_group",
                  "other"]
    name: str
    resource: str | None = None
    is_admin: bool = False
    document: dict[str, Any] | None = None


class SettingRecord(BaseModel):
    """A configuration observed on a source: a password policy, a trail's status, ..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="e.g. aws.password_policy, aws.trail, ldap.ppolicy, ad.domain_policy")
    subject: str = Field(description="what it is about: the account, the trail ARN, the policy DN")
    data: dict[str, Any]


class AccessEventRecord(NamedTuple):
    """One logged action, normalized. ``source_event_id`` is unique per source (e.g. CloudTrail eventID)."""

    source_event_id: str
    event_time: datetime  # aware, UTC
    action: str
    principal: str | None = None
    principal_kind: str | None = None
    access_key_id: str | None = None
    session_issuer: str | None = None
    service: str | None = None
    resource: str | None = None
    bucket: str | None = None
    object_key: str | None = None
    target_account: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    outcome: str = "success"
    error_code: str | None = None
    mfa_used: bool | None = None
    account_id: str | None = None
    region: str | None = None
    environment_id: str | None = None
    data_class: str | None = None
    customer_data: bool = False
    details: dict[str, Any] | None = None
