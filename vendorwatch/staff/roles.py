"""Dashboard roles and what each may do: viewers read, vendor managers triage and unmask, administrators also
manage the staff accounts."""

from __future__ import annotations

from enum import StrEnum

from vendorwatch.errors import VendorWatchError
from vendorwatch.i18n import Text, t


class Role(StrEnum):
    """A staff member's role in the dashboard."""

    VIEWER = "viewer"
    MANAGER = "manager"
    ADMIN = "admin"


class Permission(StrEnum):
    """Something a role may do."""

    VIEW = "view"  # every page, personal data masked
    TRIAGE = "triage"  # acknowledge, accept the risk, resolve a finding
    UNMASK = "unmask"  # show personal data, on purpose and audited
    REVIEW = "review"  # return a questionnaire request with notes, accept it, reopen it
    EVIDENCE = "evidence"  # download the evidence files vendors sent (audited)
    EXPORT = "export"  # export the access trail as CSV for investigators (audited)
    PORTAL_ACCOUNTS = "portal_accounts"  # disable and enable vendor contacts' portal accounts (audited)
    MANAGE_USERS = "manage_users"  # add, disable, reset staff accounts


GRANTED: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.MANAGER: frozenset({Permission.VIEW, Permission.TRIAGE, Permission.UNMASK, Permission.REVIEW,
                             Permission.EVIDENCE, Permission.EXPORT, Permission.PORTAL_ACCOUNTS}),
    Role.ADMIN: frozenset(Permission),
}

LABELS: dict[Role, Text] = {
    Role.VIEWER: t("閲覧者", "viewer"),
    Role.MANAGER: t("委託先管理担当", "vendor manager"),
    Role.ADMIN: t("管理者", "administrator"),
}


class PermissionDeniedError(VendorWatchError):
    """A signed-in user asked for something their role does not allow."""


def parse_role(value: str) -> Role:
    """A role from its name; a bilingual error listing the valid ones otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise VendorWatchError(t(f"役割 {value} はありません（{valid}）", f"there is no role {value} ({valid})")) from None


def allows(role: Role | str, permission: Permission) -> bool:
    """Whether a role carries a permission (an unknown role carries none)."""
    try:
        return permission in GRANTED[Role(role)]
    except ValueError:
        return False


def require(role: Role | str, permission: Permission) -> None:
    """Raise ``PermissionDeniedError`` unless the role carries the permission."""
    if not allows(role, permission):
        label = LABELS.get(Role(role)) if role in Role._value2member_map_ else t(str(role), str(role))
        assert label is not None
        raise PermissionDeniedError(t(f"{label.ja}にはこの操作の権限がありません", f"a {label.en} may not do this"))
