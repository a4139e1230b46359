"""Questionnaires for ``vendorwatch demo``: the baseline sent to two vendors and the short form to a sub-vendor,
answered the way the demo's incidents make interesting.

- tradesys says every console user has MFA; the demo's shared console "admin" has none: a contradiction (3.2.2).
- callcentre says no account is shared; the directory shows the shared "kyoyu" account used from two sites at
  once: a contradiction (3.2.5). It also declares no account lockout (1(2)③): a gap. Its answers are accepted.
- opswatch, the sub-vendor, has started the short form and not submitted it: its parent's 3.2.7 finding stays.

Idempotent: nothing is sent when the demo database already has campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from questionnaires.answers import RawAnswer
from questionnaires.campaigns import local_today, send_campaign
from questionnaires.loader import find_questionnaire
from questionnaires.respondent import respondent_for, save_answers, submit
from questionnaires.review import accept
from vendorwatch.clock import Clock
from vendorwatch.db.tables import QuestionnaireCampaign
from vendorwatch.registry.models import Registry

ACTOR = "demo"


def _choose(*choices: str) -> RawAnswer:
    return RawAnswer(choices=list(choices))


BASELINE: dict[str, RawAnswer] = {
    "certification": _choose("iso27001"), "internal-audit": _choose("yearly"), "pentest": _choose("older"),
    "mfa-required": _choose("yes"), "mfa-methods": _choose("totp"), "account-lockout": _choose("yes"),
    "secret-storage": _choose("hashed"), "insider-safeguards": _choose("yes"), "entry-points": _choose("yes"),
    "access-restriction": _choose("yes"), "access-logging": _choose("yes"), "log-retention": _choose("over-1-year"),
    "logging-continuous": _choose("yes"), "firm-read-access": _choose("yes"),
    "access-history": _choose("one-business-day"), "environment-separation": _choose("yes"),
    "production-data-to-development": _choose("with-approval"),
    "transfer-approval": RawAnswer(text="開発リーダーが申請し、委託先管理部長が承認。転送の 3 営業日前に当社へ申請し、"
                                        "検証後 7 日以内に削除します。"),
    "masking": _choose("always"), "transfer-monitoring": _choose("yes"), "account-issuance": _choose("yes"),
    "no-shared-accounts": _choose("yes"), "leaver-removal": _choose("same-day"), "roster-notice": _choose("yes"),
    "access-review": _choose("quarterly"), "incident-notice": _choose("immediately"),
    "incident-contact": RawAnswer(text="情報セキュリティ室（24 時間受付の電話と専用メールアドレス）"),
    "security-reporting": _choose("quarterly"), "management-oversight": _choose("yes"),
    "uses-subvendors": _choose("no"),
}
TRADESYS = {**BASELINE, "uses-subvendors": _choose("yes"), "subvendor-approval": _choose("yes"),
            "subvendor-list": RawAnswer(text="オプスウォッチ合同会社: 本番環境の 24 時間監視（顧客情報を閲覧）"),
            "subvendor-supervision": _choose("contract", "questionnaire"), "subvendor-accounts": _choose("yes"),
            "subvendor-incidents": _choose("yes"), "certification": _choose("in-progress")}
CALLCENTRE = {**BASELINE, "account-lockout": _choose("no"), "pentest": _choose("na"),
              "certification": _choose("none")}
OPSWATCH_STARTED = {"handles-customer-data": _choose("yes"), "contract-obligations": _choose("yes")}


@dataclass
class DemoQuestionnaires:
    """What the demo sent and answered (empty when it had done so before)."""

    requests: dict[str, int] = field(default_factory=dict)


def load_demo_questionnaires(engine: Engine, registry: Registry, clock: Clock) -> DemoQuestionnaires:
    """Send, answer, submit and review the demo's questionnaires (once)."""
    result = DemoQuestionnaires()
    with Session(engine, expire_on_commit=False) as session:
        if session.exec(select(QuestionnaireCampaign)).first() is not None:
            return result
        due = local_today(clock, registry.organization.timezone) + timedelta(days=14)
        baseline = send_campaign(session, registry, find_questionnaire("jsda-iv32-baseline"), ["tradesys", "callcentre"],
                                 due_date=due, actor=ACTOR, clock=clock, name="2026 年度 定期点検 / yearly review")
        sub = send_campaign(session, registry, find_questionnaire("jsda-iv32-subvendor"), ["opswatch"], due_date=due,
                            actor=ACTOR, clock=clock, name="2026 年度 再委託先点検 / sub-vendor review")
        for request in [*baseline.requests, *sub.requests]:
            assert request.id is not None
            result.requests[request.vendor_id] = request.id
        for vendor_id, answers, finish in (("tradesys", TRADESYS, "submit"), ("callcentre", CALLCENTRE, "accept"),
                                           ("opswatch", OPSWATCH_STARTED, None)):
            vendor = registry.vendor(vendor_id)
            contact = respondent_for(registry, vendor_id, str(vendor.contacts[0].email))
            request_id = result.requests[vendor_id]
            save_answers(session, contact, request_id, answers, clock=clock)
            if finish is not None:
                submit(session, contact, request_id, clock=clock)
            if finish == "accept":
                accept(session, request_id, actor=ACTOR, clock=clock, note="デモ / demo")
        session.commit()
    return result
