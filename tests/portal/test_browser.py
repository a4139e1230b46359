"""The real portal (``vendorwatch portal``, uvicorn) in Debian's chromium through playwright.

A contact enrols from the invitation's link and signs in with a passkey (Chromium's virtual authenticator over
the DevTools protocol), another with an e-mail code (the real aiosmtpd server); the contact fills the conditional
questionnaire, saves a draft, uploads evidence, submits; the manager returns it with a note (the CLI); the contact
answers and resubmits; the manager accepts. Screenshots of the pages in Japanese go to test-artifacts/portal/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlmodel import Session, select

from tests.portal.conftest import Portal
from tests.questionnaires.conftest import CONTACTS, GOOD_ANSWERS
from tests.servers.dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.servers.portal import PortalServer, screenshot, serve_portal
from tests.servers.smtp import SmtpServer
from vendorwatch.db.tables import AuditEntry, EvidenceFile, QuestionnaireRequest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless (no browser download)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, "--lang=ja-JP"])
        yield launched
        launched.close()


@pytest.fixture
def server(mail_portal: Portal, tmp_path: Path) -> Iterator[PortalServer]:
    url = mail_portal.engine.url.render_as_string(hide_password=False)
    with serve_portal(url, tmp_path, evidence_dir=mail_portal.store.directory) as running:
        yield running


def cli(server: PortalServer, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``vendorwatch`` against the portal's database, as the manager would."""
    done = subprocess.run([sys.executable, "-m", "vendorwatch", *args], env=server.environment, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done


def invitation_link(server: PortalServer, smtp: SmtpServer, email: str) -> str:
    before = len(smtp.messages)
    cli(server, "portal", "invite", email)
    assert len(smtp.messages) == before + 1
    body = smtp.messages[-1].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = re.findall(r"http://localhost:\d+/enrol/[A-Za-z0-9_-]+", body)
    assert len(set(links)) == 1  # once in Japanese, once in English
    return links[0]


def virtual_authenticator(context: BrowserContext, page: Page) -> None:
    """A platform authenticator with user verification, as a laptop's fingerprint reader would be."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


def answer_everything(page: Page) -> None:
    """The well-run vendor's answers (every visible question of the baseline)."""
    for question, raw in GOOD_ANSWERS.items():
        if question == "certification":
            continue
        for choice in raw.choices:
            page.locator(f'input[name="q.{question}"][value="{choice}"]').check()
        if raw.text:
            page.locator(f'[name="q.{question}.text"]').fill(raw.text)


def test_a_contact_enrols_with_a_passkey_answers_and_the_review_goes_round(
        server: PortalServer, mail_portal: Portal, smtp_server: SmtpServer, browser: Browser) -> None:
    request_id, sub_request = mail_portal.send("acme", "acme-sub")
    email = CONTACTS["acme"][0]["email"]
    link = invitation_link(server, smtp_server, email)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    virtual_authenticator(context, page)

    page.goto(link)
    page.get_by_role("heading", name="アカウントの登録").wait_for()
    screenshot(page, "enrol-ja")
    page.get_by_role("button", name="パスキーを登録").click()
    page.get_by_role("heading", name="回答をお願いしている質問票").wait_for()
    assert "再委託先の回答状況" in page.content()  # acme supervises acme-sub (3.2.7)
    screenshot(page, "home-ja")

    page.goto(link)  # the link works once
    page.get_by_text("この登録リンクは無効か期限切れです").wait_for()
    page.goto(server.url + "/")
    page.get_by_role("button", name="サインアウト").click()
    page.get_by_role("heading", name="サインイン", exact=True).wait_for()
    screenshot(page, "signin-ja")
    page.get_by_role("button", name="パスキーでサインイン").click()
    page.get_by_role("heading", name="回答をお願いしている質問票").wait_for()

    page.get_by_role("link", name=re.compile("回答する")).first.click()
    page.get_by_role("heading", name="JSDA", exact=False).first.wait_for()
    assert page.locator("#q-iso-certificate").is_hidden()
    page.locator('input[name="q.certification"][value="iso27001"]').check()
    assert page.locator("#q-iso-certificate").is_visible()  # the script shows it at once ...
    page.get_by_role("button", name="下書きを保存").click()
    page.get_by_text("下書きを保存しました。").wait_for()
    assert page.locator("#q-iso-certificate").is_visible()  # ... and the server after saving

    upload = page.locator("#q-iso-certificate form.upload")
    upload.locator('input[type="file"]').set_input_files(files=[{"name": "iso27001-certificate.pdf",
                                                                 "mimeType": "application/pdf", "buffer": PDF}])
    upload.get_by_label("有効期限").fill("2027-09-30")
    upload.get_by_role("button", name="添付する").click()
    page.get_by_text("ファイルを添付しました。").wait_for()
    assert "iso27001-certificate.pdf" in page.locator("#q-iso-certificate").inner_text()

    fake = page.locator("#q-iso-certificate form.upload")
    fake.locator('input[type="file"]').set_input_files(files=[{"name": "scan.pdf", "mimeType": "application/pdf",
                                                               "buffer": b"<html><script>x</script></html>"}])
    fake.get_by_label("有効期限").fill("2027-09-30")
    fake.get_by_role("button", name="添付する").click()
    page.get_by_text("この形式のファイルは添付できません").wait_for()

    page.get_by_role("button", name="提出する").click()  # incomplete: errors beside the questions
    page.get_by_text("入力内容に不備があります").wait_for()
    assert page.locator("#q-mfa-required .error").inner_text().startswith("必須の設問です")
    screenshot(page, "request-errors-ja")

    answer_everything(page)
    page.get_by_role("button", name="提出する").click()
    page.get_by_text("提出しました。確認結果をお待ちください。").wait_for()
    screenshot(page, "request-submitted-ja")

    cli(server, "campaign", "review", "return", str(request_id),
        "--note", "no-shared-accounts=運用保守で使う共有アカウントがないか再確認してください", "--actor", "sato")
    page.reload()
    note = page.locator("#q-no-shared-accounts .note")
    note.get_by_text("共有アカウントがないか再確認してください").wait_for()
    page.get_by_role("button", name="提出する").click()  # the note needs a response first
    page.locator("#q-no-shared-accounts .error").get_by_text("確認者からの指摘に回答してください").wait_for()
    screenshot(page, "request-changes-requested-ja")
    note.get_by_label("指摘への回答").fill("全サーバを再確認しました。共有アカウントはありません。")
    page.get_by_role("button", name="提出する").click()
    page.get_by_text("提出しました。").wait_for()
    cli(server, "campaign", "review", "accept", str(request_id), "--actor", "sato")

    page.get_by_role("link", name="提出履歴").click()
    page.get_by_role("heading", name="貴社の提出履歴").wait_for()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 2 and "承認" in rows.first.inner_text()
    screenshot(page, "history-ja")
    page.goto(f"{server.url}/requests/{sub_request}")  # the sub-vendor's own request: status only, never the form
    page.get_by_role("heading", name="ページが見つかりません").wait_for()
    page.goto(f"{server.url}/requests/{request_id}?lang=en")
    page.get_by_text("Accepted", exact=False).first.wait_for()
    screenshot(page, "request-accepted-en")
    context.close()

    with Session(mail_portal.engine) as session:
        assert session.get(QuestionnaireRequest, request_id).state == "accepted"  # type: ignore[union-attr]
        assert len(session.exec(select(EvidenceFile)).all()) == 1
        actions = [e.action for e in session.exec(select(AuditEntry))]
    for action in ("portal.invite", "portal.enrol", "portal.signin.success", "questionnaire.evidence.upload",
                   "questionnaire.evidence.refused", "questionnaire.request.submit", "questionnaire.request.accept"):
        assert any(a.startswith(action) for a in actions), action


def test_a_contact_without_a_passkey_signs_in_with_an_email_code(
        server: PortalServer, mail_portal: Portal, smtp_server: SmtpServer, browser: Browser) -> None:
    mail_portal.send("beta")
    email = CONTACTS["beta"][0]["email"]
    link = invitation_link(server, smtp_server, email)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name=re.compile("パスキーを使わずに登録")).click()
    page.get_by_role("heading", name="回答をお願いしている質問票").wait_for()
    page.get_by_role("button", name="サインアウト").click()
    page.get_by_text("サインアウトしました。").wait_for()
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="コードを送信").click()
    page.get_by_text("サインインコードをお送りしました").wait_for()
    screenshot(page, "code-ja")
    body = smtp_server.messages[-1].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    page.get_by_label("サインインコード（6 桁）").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="サインイン", exact=True).click()
    page.get_by_text("サインインできませんでした").wait_for()
    page.get_by_label("サインインコード（6 桁）").fill(code)
    page.get_by_role("button", name="サインイン", exact=True).click()
    page.get_by_role("heading", name="回答をお願いしている質問票").wait_for()
    page.get_by_role("link", name=re.compile("回答する")).first.click()  # the form works without JavaScript
    page.locator('input[name="q.certification"][value="none"]').check()
    page.get_by_role("button", name="下書きを保存").click()
    page.get_by_text("下書きを保存しました。").wait_for()
    assert page.locator('input[name="q.certification"][value="none"]').is_checked()
    context.close()
