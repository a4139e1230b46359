"""The signed-in pages: the contact's requests, one request's form (save, submit, respond, attach), history.

Every lookup goes through :mod:`questionnaires.respondent` scoped to the contact's vendor: another vendor's
request id is "not found" (404), exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from questionnaires.answers import RawAnswer
from questionnaires.errors import QuestionnaireError, RequestNotFoundError, TransitionRefusedError
from questionnaires.portal.answering import save_form
from questionnaires.portal.sessions import ActiveSession, resume
from questionnaires.portal.web.context import DbSession, Portal, render, session_cookie
from questionnaires.portal.web.forms import answers_from, document_from, note_ids, responses_from
from questionnaires.portal.web.request_page import general_notes, page_rows
from questionnaires.portal.web.signin_routes import checked_form, portal_of
from questionnaires.respondent import (
    RequestView,
    open_request,
    remove_evidence,
    request_questionnaire,
    requests_for,
    submission_history,
    upload_evidence,
)
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry

router = APIRouter()
NOTICES = {"saved": "saved", "submitted": "submitted", "uploaded": "uploaded", "removed": "removed"}


class SignInRequiredError(Exception):
    """No session in force: the page redirects to the sign-in page."""

    def __init__(self, ended: bool) -> None:
        super().__init__("sign-in required")
        self.ended = ended


NOT_FOUND = object()  # what a page's work returns for another vendor's (or no) request: a 404 page


async def as_contact(request: Request, work: Callable[[DbSession, ActiveSession], Any], *,
                     writes: bool = False) -> tuple[Portal, ActiveSession, Any]:
    """Resume the contact's session and run ``work`` for them, in one transaction; ``SignInRequiredError`` without
    a session in force. ``RequestNotFoundError`` becomes ``NOT_FOUND`` (the session's bookkeeping still commits)."""
    portal = portal_of(request)
    secret = request.cookies.get(session_cookie(request))

    def run(session: DbSession) -> tuple[ActiveSession, Any] | None:
        active = resume(session, secret, clock=portal.clock, policy=portal.policy,
                        registry=portal.registry(session)) if secret else None
        if active is None:
            return None
        try:
            return active, work(session, active)
        except RequestNotFoundError:  # raised by the scoped lookup, before anything was written
            session.rollback()
            return active, NOT_FOUND

    outcome = await portal.db(run, writes=writes)
    if outcome is None:
        raise SignInRequiredError(bool(secret))
    return portal, outcome[0], outcome[1]


@router.get("/")
async def home(request: Request) -> Response:
    """The contact's requests and their sub-vendors' status."""
    def work(session: DbSession, active: ActiveSession) -> dict[str, Any]:
        registry = portal_of(request).registry(session)
        return {"listing": requests_for(session, registry, active.contact.respondent()),
                **_frame(registry, active)}

    portal, active, values = await as_contact(request, work)
    return render(portal, request, "home.html.j2", active=active, **values)


@router.get("/history")
async def history(request: Request) -> Response:
    """Every submission of the contact's company."""
    def work(session: DbSession, active: ActiveSession) -> dict[str, Any]:
        registry = portal_of(request).registry(session)
        return {"records": submission_history(session, active.contact.respondent()), **_frame(registry, active)}

    portal, active, values = await as_contact(request, work)
    return render(portal, request, "history.html.j2", active=active, **values)


def _frame(registry: Registry, active: ActiveSession) -> dict[str, Any]:
    """What the page frame shows: the contact's company, the firm, the time zone."""
    return {"vendor_name": registry.vendor(active.contact.vendor_id).name, "zone": registry.organization.timezone,
            "org": registry.organization.name}


def _page_values(portal: Portal, session: DbSession, view: RequestView, active: ActiveSession, *,
                 posted: Mapping[str, RawAnswer] | None = None, errors: Mapping[str, list[Text]] | None = None,
                 upload_errors: Mapping[str, Text] | None = None, note_errors: Mapping[int, Text] | None = None,
                 message: Text | None = None) -> dict[str, Any]:
    limit = f"{portal.store.settings.max_bytes / (1024 * 1024):.3g} MB"
    return {"view": view, "numbers": view.questionnaire.numbering(),
            "sections": page_rows(view, posted=posted, errors=errors, upload_errors=upload_errors),
            "general_notes": general_notes(view), "whole_errors": list((errors or {}).get("", [])),
            "note_errors": dict(note_errors or {}), "has_errors": bool(errors or upload_errors or note_errors),
            "message": message, "limit": limit, **_frame(portal.registry(session), active)}


def _page(portal: Portal, request: Request, active: ActiveSession, values: Any, *, redirect: str,
          notice: str | None = None) -> Response:
    """The response of a request page's step: 404, the redirect of a success, or the page with what was refused."""
    if values is NOT_FOUND:
        return render(portal, request, "error.html.j2", status=404, active=active, title="not_found",
                      lead="not_found_lead")
    if values is None:
        return RedirectResponse(redirect, status_code=303)
    return render(portal, request, "request.html.j2", status=422 if notice is None else 200, active=active,
                  notice=notice, **values)


@router.get("/requests/{request_id}")
async def request_page(request: Request, request_id: int) -> Response:
    """One request's questionnaire, with its answers so far."""
    def work(session: DbSession, active: ActiveSession) -> dict[str, Any]:
        view = open_request(session, active.contact.respondent(), request_id, clock=portal_of(request).clock)
        return _page_values(portal_of(request), session, view, active)

    portal, active, values = await as_contact(request, work)
    notice = NOTICES.get(request.query_params.get("m", ""), "")
    return _page(portal, request, active, values, redirect="", notice=notice)


@router.post("/requests/{request_id}")
async def save_request(request: Request, request_id: int) -> Response:
    """Save the draft (and the responses to notes); submit when that button was pressed."""
    form = await checked_form(request)
    submitting = form.get("action") == "submit"
    portal = portal_of(request)

    def work(session: DbSession, active: ActiveSession) -> dict[str, Any] | None:
        respondent = active.contact.respondent()
        answers = answers_from(form, request_questionnaire(session, respondent, request_id, clock=portal.clock))
        responses = responses_from(form, note_ids(form))
        try:
            outcome = save_form(session, respondent, request_id, answers, responses, submitting=submitting,
                                clock=portal.clock)
        except TransitionRefusedError as error:
            return _page_values(portal, session, open_request(session, respondent, request_id, clock=portal.clock),
                                active, message=error.message)
        if outcome.ok and (outcome.submission is not None or not submitting):
            return None
        fresh = open_request(session, respondent, request_id, clock=portal.clock)
        return _page_values(portal, session, fresh, active, posted=answers, errors=outcome.errors,
                            note_errors=outcome.note_errors)

    portal, active, values = await as_contact(request, work, writes=True)
    return _page(portal, request, active, values,
                 redirect=f"/requests/{request_id}?m={'submitted' if submitting else 'saved'}")


@router.post("/requests/{request_id}/files/{question_id}")
async def upload(request: Request, request_id: int, question_id: str) -> Response:
    """Attach an evidence file to a question (refused with the reason beside the field, nothing stored)."""
    form = await checked_form(request)
    given = form.get("file")
    portal = portal_of(request)

    def work(session: DbSession, active: ActiveSession) -> dict[str, Any] | None:
        respondent = active.contact.respondent()
        try:
            question = request_questionnaire(session, respondent, request_id, clock=portal.clock).question(question_id)
        except KeyError:
            raise RequestNotFoundError(request_id) from None
        refusal: Text | None = None
        if not isinstance(given, UploadFile) or not given.filename:
            refusal = t("添付するファイルを選んでください", "choose a file to attach")
        document, problems = document_from(form, question.file.documents)
        if refusal is None and problems:
            refusal = t("日付は YYYY-MM-DD で入力してください", "enter dates as YYYY-MM-DD")
        if refusal is None and isinstance(given, UploadFile):
            try:
                outcome = upload_evidence(session, portal.store, respondent, request_id, question_id,
                                          given.filename or "", given.file, clock=portal.clock, document=document)
                refusal = outcome.refusal
            except QuestionnaireError as error:
                refusal = error.message
        if refusal is None:
            return None
        fresh = open_request(session, respondent, request_id, clock=portal.clock)
        return _page_values(portal, session, fresh, active, upload_errors={question_id: refusal})

    portal, active, values = await as_contact(request, work, writes=True)
    return _page(portal, request, active, values, redirect=f"/requests/{request_id}?m=uploaded#q-{question_id}")


@router.post("/requests/{request_id}/files/{question_id}/{file_id}/remove")
async def remove(request: Request, request_id: int, question_id: str, file_id: int) -> Response:
    """Detach a file from a question (the file itself is kept as evidence)."""
    await checked_form(request)
    portal = portal_of(request)

    def work(session: DbSession, active: ActiveSession) -> dict[str, Any] | None:
        respondent = active.contact.respondent()
        try:
            remove_evidence(session, respondent, request_id, question_id, file_id, clock=portal.clock)
        except RequestNotFoundError:
            raise
        except QuestionnaireError as error:
            fresh = open_request(session, respondent, request_id, clock=portal.clock)
            return _page_values(portal, session, fresh, active, upload_errors={question_id: error.message})
        return None

    portal, active, values = await as_contact(request, work, writes=True)
    return _page(portal, request, active, values, redirect=f"/requests/{request_id}?m=removed#q-{question_id}")
