"""Observables: what the vendor's own systems show about a claim a questionnaire asks the vendor to make.

A question may name one of these (``observable: console_users_have_mfa``). When the vendor answers it with
a compliant answer and the telemetry says otherwise, the answer is contradicted: the contradiction checks
(``questionnaire.contradicted_*``) open a finding, and the reviewer sees the evidence beside the answer.

Each observable reads the database only: the inventory (principals, observed settings), the registry's
roster, and the findings other checks have stored (open, acknowledged or risk-accepted: a risk the firm has
accepted is still a fact that contradicts the claim).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from vendorwatch.checks.knowledge import Knowledge
from vendorwatch.db.core_tables import FINDINGS, PRINCIPALS, SETTINGS
from vendorwatch.dn import identity_key
from vendorwatch.i18n import Text, t

ACTIVE_FINDING_STATUSES = ("open", "acknowledged", "risk_accepted")
MAX_LISTED = 50


@dataclass(frozen=True)
class Observable:
    """A claim telemetry can test: its control, what it claims, and the checks whose findings contradict it."""

    id: str
    control: str
    claim: Text
    contradicting_checks: tuple[str, ...] = ()


@dataclass
class Observation:
    """What the telemetry shows about one vendor's claim: contradicted or not, and the proof."""

    observable: str
    vendor_id: str
    contradicted: bool = False
    finding_ids: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    principals: list[str] = field(default_factory=list)
    facts: list[Text] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A plain form for finding evidence and screens."""
        return {"observable": self.observable, "vendor": self.vendor_id, "contradicted": self.contradicted,
                "finding_ids": self.finding_ids, "event_ids": self.event_ids, "principals": self.principals,
                "facts": [f.model_dump() for f in self.facts]}


OBSERVABLES: dict[str, Observable] = {
    o.id: o
    for o in (
        Observable("console_users_have_mfa", "3.2.2",
                   t("コンソールを利用するすべてのユーザーに MFA が設定されている", "every console user has MFA"),
                   ("aws.iam.console_user_without_mfa", "aws.iam.console_login_without_mfa",
                    "aws.iam.mfa_deactivated")),
        Observable("no_shared_accounts", "3.2.5",
                   t("アカウントや認証情報を共有していない", "no account or credential is shared"),
                   ("identity.shared_credential", "identity.generic_account_name",
                    "identity.account_used_by_two_vendors", "identity.not_rotated_after_owner_change",
                    "aws.iam.credential_created_for_other_user")),
        Observable("leavers_removed", "3.2.5",
                   t("離任者のアカウントは速やかに削除・無効化している",
                     "accounts are removed or disabled when staff leave"),
                   ("identity.used_after_leaving",)),
        Observable("no_unapproved_prod_to_dev", "3.2.4",
                   t("本番データが承認なく開発環境に移ることはない",
                     "production data never reaches development without approval"),
                   ("transfer.production_data_unapproved", "aws.share.outside_vendor_accounts")),
        Observable("logging_never_stopped", "3.2.3",
                   t("ログは保管され、停止されることはない", "logs are kept and never switched off"),
                   ("aws.cloudtrail.logging_stopped", "aws.vpc.flow_logs_deleted", "aws.guardduty.disabled",
                    "aws.config.recording_stopped", "aws.logs.log_group_deleted_or_shortened",
                    "aws.s3.access_logging_removed", "aws.s3.trail_bucket_expiring", "aws.securityhub.disabled")),
    )
}


def _from_findings(session: Session, observation: Observation, check_ids: tuple[str, ...]) -> None:
    rows = session.execute(
        select(FINDINGS.c.id, FINDINGS.c.check_id, FINDINGS.c.subject, FINDINGS.c.evidence)
        .where(FINDINGS.c.vendor_id == observation.vendor_id, FINDINGS.c.check_id.in_(check_ids),
               FINDINGS.c.status.in_(ACTIVE_FINDING_STATUSES))
        .order_by(FINDINGS.c.id)
    ).all()
    for row in rows:
        evidence = row.evidence or {}
        observation.finding_ids.append(row.id)
        observation.event_ids.extend(evidence.get("event_ids", []))
        observation.principals.extend(evidence.get("principals", []))
        observation.facts.append(t(f"指摘事項 #{row.id}（{row.check_id}）: {row.subject}",
                                   f"finding #{row.id} ({row.check_id}): {row.subject}"))


def _console_users_without_mfa(session: Session, _knowledge: Knowledge, observation: Observation, _today: date) -> None:
    rows = session.execute(
        select(PRINCIPALS.c.external_id).where(
            PRINCIPALS.c.vendor_id == observation.vendor_id, PRINCIPALS.c.kind == "iam_user",
            PRINCIPALS.c.console_access.is_(True), PRINCIPALS.c.mfa_enabled.is_(False),
            PRINCIPALS.c.gone_at.is_(None), PRINCIPALS.c.disabled.is_(False),
        ).order_by(PRINCIPALS.c.external_id)
    ).all()
    for row in rows:
        observation.principals.append(row.external_id)
        observation.facts.append(t(f"{row.external_id} は MFA なしでコンソールに入れます",
                                   f"{row.external_id} can sign in to the console without MFA"))


def _leavers_still_active(session: Session, knowledge: Knowledge, observation: Observation, today: date) -> None:
    """Roster identities whose person has left (and that no later member holds) still active in the inventory."""
    held: dict[str, list[tuple[date | None, str]]] = {}
    for entry in knowledge.roster:
        if entry.vendor_id == observation.vendor_id:
            held.setdefault(identity_key(entry.external_id), []).append((entry.until, entry.person))
    left = {identity: max(u for u, _ in members if u is not None)
            for identity, members in held.items()
            if all(u is not None for u, _ in members) and max(u for u, _ in members if u is not None) < today}
    if not left:
        return
    rows = session.execute(
        select(PRINCIPALS.c.external_id).where(
            PRINCIPALS.c.vendor_id == observation.vendor_id, PRINCIPALS.c.gone_at.is_(None),
            PRINCIPALS.c.disabled.is_(False),
        )
    ).all()
    for row in rows:
        until = left.get(identity_key(row.external_id))
        if until is None:
            continue
        observation.principals.append(row.external_id)
        observation.facts.append(t(f"{row.external_id} は {until.isoformat()} に離任した要員のものですが、まだ有効です",
                                   f"{row.external_id} belongs to a person who left on {until.isoformat()} "
                                   "but is still active"))


def _trails_not_logging(session: Session, _knowledge: Knowledge, observation: Observation, _today: date) -> None:
    rows = session.execute(
        select(SETTINGS.c.subject, SETTINGS.c.data).where(
            and_(SETTINGS.c.vendor_id == observation.vendor_id, SETTINGS.c.kind == "aws.trail",
                 SETTINGS.c.gone_at.is_(None))
        ).order_by(SETTINGS.c.subject)
    ).all()
    for row in rows:
        if (row.data or {}).get("logging") is False:
            observation.facts.append(t(f"証跡 {row.subject} は記録を停止しています（最新の収集時点）",
                                       f"trail {row.subject} is not logging (as last collected)"))


_TELEMETRY: dict[str, Callable[[Session, Knowledge, Observation, date], None]] = {
    "console_users_have_mfa": _console_users_without_mfa,
    "leavers_removed": _leavers_still_active,
    "logging_never_stopped": _trails_not_logging,
}


def observe(session: Session, knowledge: Knowledge, observable_id: str, vendor_id: str, today: date) -> Observation:
    """What the database shows about one vendor's claim (``today`` in the organization's zone)."""
    observable = OBSERVABLES[observable_id]
    observation = Observation(observable_id, vendor_id)
    _from_findings(session, observation, observable.contradicting_checks)
    reader = _TELEMETRY.get(observable_id)
    if reader is not None:
        reader(session, knowledge, observation, today)
    observation.event_ids = list(dict.fromkeys(observation.event_ids))[:MAX_LISTED]
    observation.principals = sorted(set(observation.principals))[:MAX_LISTED]
    observation.contradicted = bool(observation.finding_ids or observation.principals or observation.facts)
    return observation
