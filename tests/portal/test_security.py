"""The portal faces the internet: what every response carries, what is refused, and that refusals store nothing.

Over HTTP with Starlette's test client against the real app and database (the browser tests use a real server).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from questionnaires.portal.web import request_routes, signin_routes
from questionnaires.submission import load_answers
from tests.portal.conftest import Portal, app_for, form_token, sign_in
from tests.servers.smtp import SmtpServer
from vendorwatch.db.tables import AuditEntry, EvidenceFile, PortalAccount

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def audit_actions(portal: Portal) -> list[str]:
    with Session(portal.engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def assert_security_headers(headers: dict[str, str] | object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in get("content-security-policy")
    assert "script-src 'self'" in get("content-security-policy")
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "no-referrer"


def test_healthz_is_open_and_everything_else_needs_a_contact(sqlite_portal: Portal) -> None:
    request_id = sqlite_portal.send("acme")[0]
    client = TestClient(app_for(sqlite_portal))
    health = client.get("/healthz")
    assert health.status_code == 200 and health.text == "ok"
    for path in ("/", "/history", f"/requests/{request_id}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/signin", path
    assert client.get("/signin").status_code == 200


def test_every_response_carries_the_security_headers(sqlite_portal: Portal) -> None:
    client = TestClient(app_for(sqlite_portal))
    for answer in (client.get("/healthz"), client.get("/signin"), client.get("/", follow_redirects=False),
                   client.get("/no-such-page"), client.post("/signin/code", data={"email": "x@y.example"}),
                   client.get("/static/portal.css")):
        assert_security_headers(answer.headers)
    assert client.get("/no-such-page").status_code == 404


def test_another_vendors_request_is_not_found_and_nothing_is_saved(portal: Portal) -> None:
    acme, beta = portal.send("acme", "beta")
    client = TestClient(app_for(portal))
    sign_in(portal, client, "acme")
    assert client.get(f"/requests/{acme}").status_code == 200
    assert client.get(f"/requests/{beta}").status_code == 404
    assert client.get("/requests/999999").status_code == 404
    assert client.get("/requests/not-a-number").status_code == 404
    token = form_token(client)
    answer = client.post(f"/requests/{beta}", data={"csrf": token, "action": "save", "shown": ["certification"],
                                                    "q.certification": "none"})
    assert answer.status_code == 404
    upload = client.post(f"/requests/{beta}/files/iso-certificate", data={"csrf": token, "valid_until": "2027-01-01"},
                         files={"file": ("x.pdf", PDF, "application/pdf")})
    assert upload.status_code == 404
    with Session(portal.engine) as session:
        assert load_answers(session, beta) == {}
        assert session.exec(select(EvidenceFile)).all() == []
    assert audit_actions(portal).count("questionnaire.request.not_found") == 4


def test_a_post_without_its_form_token_is_refused_on_every_form(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    request_id = portal.send("acme")[0]
    app = app_for(portal)
    client = TestClient(app)
    sign_in(portal, client, "acme")
    posts = [route.path for router in (signin_routes.router, request_routes.router) for route in router.routes
             if "POST" in getattr(route, "methods", set())]
    assert len(posts) >= 10
    for path in posts:
        url = path.format(request_id=request_id, question_id="iso-certificate", file_id=1, token="x" * 43)
        for token in (None, "wrong"):
            data = {"action": "save", "shown": ["certification"], "q.certification": "none", "email": "a@b.example"}
            if token:
                data["csrf"] = token
            answer = client.post(url, data=data, headers={"x-csrf-token": token} if token else {})
            assert answer.status_code == 403, (path, token, answer.status_code)
            assert "フォームの有効期限が切れました" in answer.text
    assert client.get("/").status_code == 200  # still signed in: sign-out refused too
    with Session(portal.engine) as session:
        assert load_answers(session, request_id) == {}


def test_cookies_are_http_only_same_site_and_secure_under_tls(sqlite_portal: Portal) -> None:
    plain = TestClient(app_for(sqlite_portal)).get("/signin")
    cookie = plain.headers["set-cookie"]
    assert cookie.startswith("vwp_b=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    secure = TestClient(app_for(sqlite_portal), base_url="https://portal.example").get("/signin")
    cookie = secure.headers["set-cookie"]
    assert cookie.startswith("__Host-vwp_b=") and "Secure" in cookie and "HttpOnly" in cookie
    assert secure.headers["strict-transport-security"].startswith("max-age=")


def test_the_email_code_signs_in_and_repeated_failures_lock_the_account(mail_portal: Portal,
                                                                         smtp_server: SmtpServer) -> None:
    portal = mail_portal
    email = portal.enrol_with_codes("acme")
    client = TestClient(app_for(portal))
    token = form_token(client)
    sent = client.post("/signin/code", data={"csrf": token, "email": email})
    assert sent.status_code == 200 and "サインインコードをお送りしました" in sent.text
    unknown = client.post("/signin/code", data={"csrf": token, "email": "stranger@elsewhere.example"})
    assert unknown.text.count("サインインコードをお送りしました") == 1  # the same page: nothing revealed
    assert len(smtp_server.messages) == 1
    body = smtp_server.messages[0].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    assert "http" not in body  # the code mail carries no link
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused = client.post("/signin/code/verify", data={"csrf": token, "email": email, "code": wrong},
                              follow_redirects=False)
        assert refused.status_code == 401
    locked = client.post("/signin/code/verify", data={"csrf": token, "email": email, "code": code},
                         follow_redirects=False)
    assert locked.status_code == 401 and "ロックされています" in locked.text
    with Session(portal.engine) as session:
        account = session.exec(select(PortalAccount)).one()
        assert account.locked_until is not None
    assert audit_actions(portal).count("portal.signin.failure") >= 6


def test_a_right_code_signs_in_with_an_http_only_session(mail_portal: Portal, smtp_server: SmtpServer) -> None:
    portal = mail_portal
    email = portal.enrol_with_codes("acme")
    client = TestClient(app_for(portal))
    token = form_token(client)
    client.post("/signin/code", data={"csrf": token, "email": email})
    body = smtp_server.messages[-1].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    answer = client.post("/signin/code/verify", data={"csrf": token, "email": email, "code": code},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    session_cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("vwp_s="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert client.get("/").status_code == 200
    signed_out = client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    assert {"portal.signin.success", "portal.signout"} <= set(audit_actions(portal))


def _evidence_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


@pytest.mark.parametrize(("filename", "content", "why"), [
    ("big.pdf", PDF + b"0" * 120_000, "ファイルが大きすぎます"),
    ("page.pdf", b"<!doctype html><script>alert(1)</script>", "この形式のファイルは添付できません"),
    ("tool.pdf", b"MZ\x90\x00" + b"\x00" * 200, "この形式のファイルは添付できません"),
    ("report.png", PDF, "一致しません"),
])
def test_a_refused_upload_says_why_and_stores_nothing(sqlite_portal: Portal, filename: str, content: bytes,
                                                      why: str) -> None:
    portal = sqlite_portal
    request_id = portal.send("acme")[0]
    client = TestClient(app_for(portal, max_bytes=100_000))
    sign_in(portal, client, "acme")
    token = form_token(client)
    client.post(f"/requests/{request_id}", data={"csrf": token, "action": "save", "shown": ["certification"],
                                                 "q.certification": "iso27001"})
    answer = client.post(f"/requests/{request_id}/files/iso-certificate",
                         data={"csrf": token, "kind": "iso27001_certificate", "valid_until": "2027-09-30"},
                         files={"file": (filename, content, "application/pdf")})
    assert answer.status_code == 422
    error = re.search(r'<p class="error" id="q-iso-certificate-upload-error"[^>]*>([^<]+)</p>', answer.text)
    assert error is not None and why in error.group(1)
    with Session(portal.engine) as session:
        assert session.exec(select(EvidenceFile)).all() == []
        assert "iso-certificate" not in load_answers(session, request_id)
    assert _evidence_files(portal.store.directory) == []
    assert "questionnaire.evidence.refused" in audit_actions(portal)


def test_a_body_far_over_the_limit_is_refused_unread(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    request_id = portal.send("acme")[0]
    client = TestClient(app_for(portal, max_bytes=100_000))
    sign_in(portal, client, "acme")
    answer = client.post(f"/requests/{request_id}/files/iso-certificate",
                         data={"csrf": form_token(client), "valid_until": "2027-09-30"},
                         files={"file": ("huge.pdf", PDF + b"0" * 2_000_000, "application/pdf")})
    assert answer.status_code == 413 and "大きすぎます" in answer.text
    assert_security_headers(answer.headers)
    assert _evidence_files(portal.store.directory) == []
