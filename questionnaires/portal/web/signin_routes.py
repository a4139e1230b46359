"""Sign-in, enrolment and sign-out pages. Each handler reads the request, calls the account modules, renders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from questionnaires.portal.accounts import (
    Method,
    PortalAccount,
    PortalError,
    SignInResult,
    complete_enrolment,
    open_enrolment,
)
from questionnaires.portal.codes import issue_code, sign_in_with_code
from questionnaires.portal.mailing import send_code
from questionnaires.portal.passkeys import (
    authentication_options,
    register_passkey,
    registration_options,
    sign_in_with_passkey,
)
from questionnaires.portal.sessions import end_session, start_session
from questionnaires.portal.throttle import is_throttled
from questionnaires.portal.web.context import (
    DbSession,
    Portal,
    binding,
    client_of,
    render,
    session_cookie,
    signed_in,
    token_ok,
)
from questionnaires.portal.web.security import cookie_header, is_secure
from vendorwatch.errors import VendorWatchError

router = APIRouter()
MAX_JSON = 64 * 1024


def portal_of(request: Request) -> Portal:
    """The portal this request runs in."""
    portal: Portal = request.app.state.portal
    return portal


class CsrfRefusedError(Exception):
    """A POST without this browser's form token."""


async def checked_form(request: Request) -> Any:
    """The posted form, after its token is checked (403 without it)."""
    form = await request.form(max_files=1, max_fields=3000, max_part_size=256 * 1024)
    if not token_ok(request, form.get("csrf")):
        raise CsrfRefusedError
    return form


async def checked_json(request: Request) -> dict[str, Any]:
    """A posted JSON body (the passkey steps), after the token in ``X-CSRF-Token`` is checked."""
    if not token_ok(request, request.headers.get("x-csrf-token")):
        raise CsrfRefusedError
    body = await request.body()
    if len(body) > MAX_JSON:
        raise CsrfRefusedError
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def with_session(response: Response, request: Request, secret: str) -> Response:
    """Give the browser its session cookie."""
    response.headers.append("set-cookie", cookie_header(session_cookie(request), secret, secure=is_secure(request.scope)))
    return response


def _session_after(portal: Portal, session: DbSession, client: str | None, method: Method, failed: str,
                   attempt: Callable[[], SignInResult]) -> tuple[str | None, str | None]:
    """A sign-in step unless the address is throttled: the new session's cookie, or what to tell the contact."""
    if is_throttled(session, client, portal.policy, clock=portal.clock):
        return None, "throttled"
    result = attempt()
    if result.contact is None:
        return None, "locked" if result.reason == "locked" else failed
    return start_session(session, result.contact, method=method, clock=portal.clock, client=client,
                         policy=portal.policy), None


@router.get("/signin")
async def signin_page(request: Request) -> Response:
    """The sign-in page: passkey first, e-mail code below."""
    portal = portal_of(request)
    if await signed_in(portal, request) is not None:
        return RedirectResponse("/", status_code=303)
    notice = {"ended": "session_ended", "out": "signed_out"}.get(request.query_params.get("m", ""))
    await portal.db(portal.registry)  # the firm's name in the header
    return render(portal, request, "signin.html.j2", notice=notice)


@router.post("/signin/code")
async def request_code(request: Request) -> Response:
    """Send a one-time code (the page says the same whether or not the address has an account)."""
    portal = portal_of(request)
    form = await checked_form(request)
    email = str(form.get("email") or "").strip()[:254]
    client = client_of(request)
    if not email:
        return render(portal, request, "signin.html.j2", status=422, email_error="email_required", email=email)

    def work(session: DbSession) -> str | None:
        if is_throttled(session, client, portal.policy, clock=portal.clock):
            return "throttled"
        issued = issue_code(session, email, clock=portal.clock, client=client, policy=portal.policy,
                            registry=portal.registry(session))
        if issued is not None:
            send_code(portal.registry(session), email=issued.account.email, code=issued.code,
                      minutes=int(portal.policy.code_valid.total_seconds() // 60), clock=portal.clock,
                      environ=portal.config.environ)
        return None

    try:
        problem = await portal.db(work, writes=True)
    except VendorWatchError:
        return render(portal, request, "signin.html.j2", status=503, email_error="send_failed", email=email)
    if problem == "throttled":
        return render(portal, request, "signin.html.j2", status=429, email_error="throttled", email=email)
    return render(portal, request, "code.html.j2", email=email, notice="code_sent")


@router.post("/signin/code/verify")
async def verify_code(request: Request) -> Response:
    """Check the code; a session on success."""
    portal = portal_of(request)
    form = await checked_form(request)
    email = str(form.get("email") or "").strip()[:254]
    code = str(form.get("code") or "").strip()[:20]
    client = client_of(request)
    if not code:
        return render(portal, request, "code.html.j2", status=422, email=email, code_error="code_required")

    def work(session: DbSession) -> tuple[str | None, str | None]:
        return _session_after(portal, session, client, "email_code", "signin_failed", lambda: sign_in_with_code(
            session, email, code, clock=portal.clock, client=client, policy=portal.policy,
            registry=portal.registry(session)))

    secret, problem = await portal.db(work, writes=True)
    if secret is None:
        status = 429 if problem == "throttled" else 401
        return render(portal, request, "code.html.j2", status=status, email=email, code_error=problem)
    return with_session(RedirectResponse("/", status_code=303), request, secret)


@router.post("/signin/passkey/options")
async def passkey_options(request: Request) -> Response:
    """Options for ``navigator.credentials.get``."""
    portal = portal_of(request)
    await checked_json(request)
    rp = portal.relying_party(request)
    options = await portal.db(lambda s: authentication_options(s, rp, binding=binding(request), clock=portal.clock,
                                                               policy=portal.policy))
    return Response(options, media_type="application/json")


@router.post("/signin/passkey/verify")
async def passkey_verify(request: Request) -> Response:
    """Check the assertion; a session on success."""
    portal = portal_of(request)
    credential = await checked_json(request)
    rp = portal.relying_party(request)
    client = client_of(request)

    def work(session: DbSession) -> tuple[str | None, str | None]:
        return _session_after(portal, session, client, "passkey", "passkey_failed", lambda: sign_in_with_passkey(
            session, rp, credential, binding=binding(request), clock=portal.clock, client=client, policy=portal.policy,
            registry=portal.registry(session)))

    secret, problem = await portal.db(work, writes=True)
    if secret is None:
        return JSONResponse({"ok": False, "error": problem}, status_code=429 if problem == "throttled" else 401)
    return with_session(JSONResponse({"ok": True, "redirect": "/"}), request, secret)


def _open_enrolment(portal: Portal, session: DbSession, token: str, client: str | None) -> PortalAccount | None:
    """The account of an invitation link while it is usable and its address still a contact in the registry."""
    return open_enrolment(session, token[:100], clock=portal.clock, client=client, registry=portal.registry(session))


@router.get("/enrol/{token}")
async def enrol_page(request: Request, token: str) -> Response:
    """The page an invitation's link opens."""
    portal = portal_of(request)
    client = client_of(request)

    def work(session: DbSession) -> tuple[str | None, str | None, bool]:
        portal.registry(session)  # the firm's name in the header, throttled or not
        if is_throttled(session, client, portal.policy, clock=portal.clock):
            return None, None, True
        account = _open_enrolment(portal, session, token, client)
        return (account.email, account.vendor_id, False) if account else (None, None, False)

    email, vendor, throttled = await portal.db(work)
    if throttled:
        return render(portal, request, "error.html.j2", status=429, title="too_many", lead="throttled")
    if email is None:
        return render(portal, request, "enrol.html.j2", status=404, invalid=True)
    return render(portal, request, "enrol.html.j2", invalid=False, email=email, vendor=vendor, token=token)


@router.post("/enrol/{token}/passkey/options")
async def enrol_options(request: Request, token: str) -> Response:
    """Options for ``navigator.credentials.create``, while the link is valid."""
    portal = portal_of(request)
    await checked_json(request)
    rp = portal.relying_party(request)
    client = client_of(request)

    def work(session: DbSession) -> str | None:
        account = _open_enrolment(portal, session, token, client)
        if account is None:
            return None
        return registration_options(session, account, rp, binding=binding(request), clock=portal.clock,
                                    policy=portal.policy)

    options = await portal.db(work, writes=True)
    if options is None:
        return JSONResponse({"ok": False, "error": "enrol_invalid"}, status_code=404)
    return Response(options, media_type="application/json")


@router.post("/enrol/{token}/passkey/verify")
async def enrol_verify(request: Request, token: str) -> Response:
    """Keep the new passkey, spend the link, sign the contact in."""
    portal = portal_of(request)
    credential = await checked_json(request)
    rp = portal.relying_party(request)
    client = client_of(request)

    def work(session: DbSession) -> str | None:
        account = _open_enrolment(portal, session, token, client)
        if account is None:
            return None
        register_passkey(session, account, rp, credential, binding=binding(request), clock=portal.clock)
        contact = complete_enrolment(session, token[:100], method="passkey", clock=portal.clock, client=client)
        return start_session(session, contact, method="enrolment", clock=portal.clock, client=client,
                             policy=portal.policy)

    try:
        secret = await portal.db(work, writes=True)
    except PortalError:
        return JSONResponse({"ok": False, "error": "passkey_failed"}, status_code=400)
    if secret is None:
        return JSONResponse({"ok": False, "error": "enrol_invalid"}, status_code=404)
    return with_session(JSONResponse({"ok": True, "redirect": "/"}), request, secret)


@router.post("/enrol/{token}/email")
async def enrol_with_codes(request: Request, token: str) -> Response:
    """Enrol without a passkey: the contact will sign in with e-mail codes."""
    portal = portal_of(request)
    await checked_form(request)
    client = client_of(request)

    def work(session: DbSession) -> str | None:
        account = _open_enrolment(portal, session, token, client)
        if account is None:
            return None
        contact = complete_enrolment(session, token[:100], method="email_code", clock=portal.clock, client=client)
        return start_session(session, contact, method="enrolment", clock=portal.clock, client=client,
                             policy=portal.policy)

    secret = await portal.db(work, writes=True)
    if secret is None:
        return render(portal, request, "enrol.html.j2", status=404, invalid=True)
    return with_session(RedirectResponse("/", status_code=303), request, secret)


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End the session."""
    portal = portal_of(request)
    await checked_form(request)
    secret = request.cookies.get(session_cookie(request))
    await portal.db(lambda s: end_session(s, secret, reason="signout", clock=portal.clock))
    response = RedirectResponse("/signin?m=out", status_code=303)
    response.headers.append("set-cookie", cookie_header(session_cookie(request), "", secure=is_secure(request.scope),
                                                        max_age=0))
    return response
