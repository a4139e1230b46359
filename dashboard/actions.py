"""What a signed-in user changes from the dashboard: triage of a finding and the masking of personal data.

Each action checks the user's role first, then calls the same domain function as the CLI (which writes the
audit log in the same transaction), under the signed-in user's account name, and forgets the cached reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Literal

import streamlit as st

from dashboard import data
from dashboard.auth import IDENTITY_KEY, UNMASKED_UNTIL_KEY
from dashboard.context import CLOCK, PageContext, engine_for, settings
from questionnaires import review
from questionnaires.contacts import PortalError, change_disabled
from questionnaires.errors import QuestionnaireError
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from vendorwatch import audit
from vendorwatch.clock import end_of_local_day
from vendorwatch.db.engine import session_scope
from vendorwatch.db.tables import EvidenceFile, PortalAccount
from vendorwatch.findings import triage
from vendorwatch.i18n import t
from vendorwatch.staff import accounts
from vendorwatch.staff.accounts import StaffIdentity
from vendorwatch.staff.roles import Permission, PermissionDeniedError, allows, require
from vendorwatch.staff.unmasking import mask_again, unmask
from vendorwatch.trail.export import trail_csv
from vendorwatch.trail.query import TrailEvent, TrailFilter, stream_trail

TriageAction = Literal["acknowledge", "accept", "resolve"]


def triage_finding(ctx: PageContext, action: TriageAction, finding_id: int, *, reason: str | None,
                   until: date | None = None) -> str:
    """Acknowledge, accept the risk of (until the end of a day in the organization's zone) or resolve a finding."""
    require(ctx.user.role, Permission.TRIAGE)
    with session_scope(ctx.engine) as session:
        if action == "acknowledge":
            finding = triage.acknowledge(session, finding_id, actor=ctx.user.name, reason=reason, clock=CLOCK)
        elif action == "accept":
            if until is None:
                raise triage.TriageError(t("受容期限を入力してください", "give the expiry of the acceptance"))
            finding = triage.accept_risk(session, finding_id, actor=ctx.user.name, reason=reason,
                                         until=end_of_local_day(until, ctx.zone), clock=CLOCK)
        else:
            finding = triage.resolve(session, finding_id, actor=ctx.user.name, reason=reason, clock=CLOCK)
        status = finding.status
    data.clear()
    return status


def masked_now(identity: StaffIdentity) -> bool:
    """Whether personal data is masked for this session right now (expired unmasking is audited and ended)."""
    until = st.session_state.get(UNMASKED_UNTIL_KEY)
    if until is None:
        return True
    if not allows(identity.role, Permission.UNMASK) or until <= CLOCK.now():
        st.session_state.pop(UNMASKED_UNTIL_KEY, None)
        with session_scope(engine_for(settings().database_url)) as session:
            mask_again(session, identity, why="expired" if until <= CLOCK.now() else "role changed", clock=CLOCK)
        return True
    return False


def show_personal_data(ctx: PageContext, reason: str, where: str) -> None:
    """Unmask for this session, for a while, with the reason in the audit log (managers and administrators)."""
    with session_scope(ctx.engine) as session:
        until = unmask(session, ctx.user, reason=reason, where=where, clock=CLOCK)
    st.session_state[UNMASKED_UNTIL_KEY] = until


def hide_personal_data(ctx: PageContext) -> None:
    """Mask again now (audited)."""
    if st.session_state.pop(UNMASKED_UNTIL_KEY, None) is not None:
        with session_scope(ctx.engine) as session:
            mask_again(session, ctx.user, why="by the user", clock=CLOCK)


def signed_in() -> StaffIdentity | None:
    """The identity of this session, if signed in."""
    identity = st.session_state.get(IDENTITY_KEY)
    return identity if isinstance(identity, StaffIdentity) else None


StaffAction = Literal["add", "disable", "enable", "reset", "role"]


def manage_staff(ctx: PageContext, action: StaffAction, name: str, *, role: str | None = None,
                 password: str | None = None, email: str | None = None, display_name: str | None = None) -> None:
    """What an administrator does to a staff account (audited under the administrator's name)."""
    require(ctx.user.role, Permission.MANAGE_USERS)
    if action in ("disable", "role") and name.strip().lower() == ctx.user.name:
        raise PermissionDeniedError(t("自分のアカウントの無効化・役割変更はできません（別の管理者に依頼してください）",
                                      "you cannot disable your own account or change its role (ask another administrator)"))
    with session_scope(ctx.engine) as session:
        if action == "add":
            accounts.add_user(session, name=name, role=role or "viewer", password=password, email=email,
                              display_name=display_name, actor=ctx.user.name, clock=CLOCK)
        elif action in ("disable", "enable"):
            accounts.set_disabled(session, name, disabled=action == "disable", actor=ctx.user.name, clock=CLOCK)
        elif action == "reset":
            accounts.reset_password(session, name, password or "", actor=ctx.user.name, clock=CLOCK)
        else:
            accounts.set_role(session, name, role or "viewer", actor=ctx.user.name, clock=CLOCK)
    data.clear()


def set_portal_account(ctx: PageContext, account_id: int, *, disabled: bool, vendor_ids: tuple[str, ...]) -> None:
    """Disable a vendor contact's portal account (their sessions end at their next request) or enable it again
    (which lifts a lockout): what ``vendorwatch portal disable|enable`` does, audited with ``via: dashboard``.
    ``vendor_ids`` are the vendors of the page: an account of another vendor is refused."""
    require(ctx.user.role, Permission.PORTAL_ACCOUNTS)
    with session_scope(ctx.engine) as session:
        account = session.get(PortalAccount, account_id)
        if account is None or account.vendor_id not in vendor_ids:
            raise PortalError(t(f"ポータルアカウント #{account_id} はこの委託先にありません",
                                f"portal account #{account_id} is not one of this vendor's"))
        change_disabled(session, account, disabled=disabled, actor_name=ctx.user.name, clock=CLOCK, via="dashboard")
    data.clear()


ReviewAction = Literal["return", "accept", "reopen"]


def review_request(ctx: PageContext, action: ReviewAction, request_id: int, *,
                   notes: Mapping[str | None, str] | None = None, note: str | None = None) -> str:
    """Return a request with a note per question (``None``: on the whole request), accept it, or reopen it
    (``note`` is then the required reason): ``vendorwatch campaign review return|accept|reopen``."""
    require(ctx.user.role, Permission.REVIEW)
    with session_scope(ctx.engine) as session:
        if action == "return":
            review.request_changes(session, request_id, dict(notes or {}), actor=ctx.user.name, clock=CLOCK)
            state = "changes_requested"
        elif action == "accept":
            state = review.accept(session, request_id, actor=ctx.user.name, clock=CLOCK, note=note).state
        else:
            state = review.reopen(session, request_id, actor=ctx.user.name, reason=note or "", clock=CLOCK).state
    data.clear()
    return state


def evidence_content(ctx: PageContext, file_id: int) -> bytes:
    """The bytes of a stored evidence file, checked against its hash, for a manager's download (audited)."""
    require(ctx.user.role, Permission.EVIDENCE)
    store = EvidenceStore(EvidenceSettings.from_settings(settings()))
    with session_scope(ctx.engine) as session:
        row = session.get(EvidenceFile, file_id)
        if row is None:
            raise QuestionnaireError(t(f"証跡ファイル #{file_id} はありません", f"there is no evidence file #{file_id}"))
        content = store.read(row.sha256)
        audit.record(session, actor=ctx.user.name, action="evidence.file.download", target=f"evidence:{file_id}",
                     details={"vendor": row.vendor_id, "sha256": row.sha256, "size": row.size,
                              "filename": row.filename, "request": row.request_id, "question": row.question_id,
                              "via": "dashboard"}, clock=CLOCK)
    return content


def evidence_download(ctx: PageContext, file_id: int) -> Callable[[], bytes]:
    """What a download button calls when clicked (not before): the file's bytes, audited then."""
    return lambda: evidence_content(ctx, file_id)


MAX_EXPORT_ROWS = 100_000  # larger exports: `vendorwatch events --format csv --out FILE` streams to a file


def trail_export(ctx: PageContext, where: TrailFilter) -> Callable[[], bytes]:
    """What the export button calls when clicked: the trail as CSV for Excel (masked as the session is), at most
    ``MAX_EXPORT_ROWS`` events, with an audit entry saying what was exported, by whom, and how many rows."""
    require(ctx.user.role, Permission.EXPORT)
    masker, zone = ctx.masker, ctx.zone

    def produce() -> bytes:
        rows = 0

        def counted(events: Iterator[TrailEvent]) -> Iterator[TrailEvent]:
            nonlocal rows
            for event in events:
                if rows >= MAX_EXPORT_ROWS:
                    return
                rows += 1
                yield event

        with session_scope(ctx.engine) as session:
            body = "".join(trail_csv(counted(stream_trail(session, where, masker)), zone))
            audit.record(session, actor=ctx.user.name, action="trail.export", target="access_events",
                         details={"filter": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                             for k, v in vars(where).items() if v is not None},
                                  "rows": rows, "truncated": rows >= MAX_EXPORT_ROWS, "masked": masker.masked,
                                  "format": "csv", "via": "dashboard"}, clock=CLOCK)
        return body.encode("utf-8")

    return produce
