"""The real server in a real browser: ``vendorwatch dashboard --port N`` answers its health check, serves the
sign-in page in Japanese without error, and after a local sign-in every page opens in Japanese and in English.
Each page is saved as a screenshot in test-artifacts/dashboard/ for a person to look at."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import Session, select

from tests.dashboard.conftest import PASSWORDS, PENTEST, STAFF, World, audit_entries, seed_portal_contacts
from tests.servers.dashboard import Dashboard, assert_no_error, screenshot, serve_dashboard, settle
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.service import produce
from vendorwatch.registry.sync import imported_registry

NAV = {"ja": {"portfolio": "ポートフォリオ", "vendor": "委託先", "findings": "指摘事項", "trail": "アクセス履歴",
              "questionnaires": "質問票", "board": "取締役会報告", "users": "利用者"},
       "en": {"portfolio": "Portfolio", "vendor": "Vendor", "findings": "Findings", "trail": "Access trail",
              "questionnaires": "Questionnaires", "board": "Board report", "users": "Users"}}
TITLES = {"ja": {"portfolio": "委託先ポートフォリオ", "vendor": "株式会社トレードシステムズ", "findings": "指摘事項",
                 "trail": "アクセス履歴", "questionnaires": "質問票", "board": "取締役会報告", "users": "利用者"},
          "en": {"portfolio": "Vendor portfolio", "vendor": "TradeSystems Co., Ltd.", "findings": "Findings",
                 "trail": "Access trail", "questionnaires": "Questionnaires", "board": "Board report", "users": "Users"}}


@pytest.fixture
def dashboard(world: World, tmp_path: Path) -> Iterator[Dashboard]:
    with Session(world.engine) as session:
        registry = imported_registry(session)
    assert registry is not None  # November's digest, stored (the board page lists it)
    produce(world.engine, registry, DigestMonth.parse("2026-11"), FixedClock(datetime(2026, 11, 30, 16, tzinfo=UTC)),
            actor="scheduler")
    seed_portal_contacts(world.engine)  # the vendor page's portal contacts tab has rows to show
    evidence = os.environ["VENDORWATCH_EVIDENCE_DIR"]  # the world's, set by its fixture
    with serve_dashboard(world.url, tmp_path, settings={"VENDORWATCH_EVIDENCE_DIR": evidence}) as running:
        yield running


def sign_in(page: Page, language: str, name: str, password: str) -> None:
    labels = {"ja": ("アカウント名", "パスワード", "サインイン"), "en": ("Account name", "Password", "Sign in")}[language]
    page.get_by_role("textbox", name=labels[0], exact=True).fill(name)
    page.get_by_role("textbox", name=labels[1], exact=True).fill(password)
    page.get_by_role("button", name=labels[2], exact=True).click()
    page.get_by_role("heading", name=TITLES[language]["portfolio"]).wait_for(timeout=60_000)
    settle(page)


def test_health_and_the_sign_in_page_in_japanese(dashboard: Dashboard, browser: Browser) -> None:
    with urllib.request.urlopen(f"{dashboard.url}/_stcore/health", timeout=5) as answer:
        assert answer.status == 200 and answer.read() == b"ok"
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(dashboard.url)
    page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_role("textbox", name="アカウント名", exact=True).is_visible()
    assert page.get_by_role("textbox", name="パスワード", exact=True).is_visible()
    assert page.get_by_role("button", name="サインイン", exact=True).is_visible()
    assert_no_error(page)
    screenshot(page, "sign-in-ja")
    for path in NAV["en"]:  # no page behind a URL without signing in
        page.goto(f"{dashboard.url}/{path}")
        page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
        settle(page)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert "tradesys" not in page.content()
    page.close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_after_a_local_sign_in(dashboard: Dashboard, browser: Browser, language: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="ja-JP")
    page.goto(f"{dashboard.url}/?lang={language}")
    page.get_by_role("heading", name="VendorWatch").first.wait_for(timeout=60_000)
    settle(page)
    screenshot(page, f"sign-in-{language}")
    sign_in(page, language, STAFF["admin"], PASSWORDS["admin"])  # an administrator has every page
    for name in NAV[language]:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=NAV[language][name], exact=True).click()
        page.get_by_role("heading", name=TITLES[language][name]).wait_for(timeout=60_000)
        settle(page)
        assert_no_error(page)
        assert page.locator('[data-testid="stDataFrame"]').count() > 0
        screenshot(page, f"{name}-{language}")
        if name == "vendor":  # each tab of the vendor page as well (the last: portal contacts, for an administrator)
            tabs = page.get_by_role("tab").all()
            assert tabs[-1].inner_text().strip() == {"ja": "ポータル利用者", "en": "Portal contacts"}[language]
            for number, tab in enumerate(tabs[1:], start=2):
                tab.click()
                settle(page)
                assert_no_error(page)
                screenshot(page, f"vendor-tab{number}-{language}")
            switch = {"ja": "アカウントの無効化・有効化", "en": "Disable or enable an account"}[language]
            page.get_by_text(switch, exact=True).click()  # opens the confirmation, changes nothing
            settle(page)
            assert page.get_by_role("button", name={"ja": "無効にする", "en": "Disable"}[language]).is_disabled()
            screenshot(page, f"vendor-portal-contacts-switch-{language}")
    page.close()


def test_a_link_to_a_finding_survives_signing_in(dashboard: Dashboard, browser: Browser, world: World) -> None:
    with Session(world.engine) as session:
        finding = session.exec(select(Finding.id).where(Finding.check_id == "transfer.production_data_unapproved")).one()
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{dashboard.url}/findings?finding={finding}")  # as the monthly digest links to it
    page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
    settle(page)
    assert "/findings" in page.url and f"finding={finding}" in page.url
    page.get_by_role("textbox", name="アカウント名", exact=True).fill(STAFF["viewer"])
    page.get_by_role("textbox", name="パスワード", exact=True).fill(PASSWORDS["viewer"])
    page.get_by_role("button", name="サインイン", exact=True).click()
    title = "承認のない本番データの持出し（非本番・他アカウントへ）"
    page.get_by_role("heading", name=f"#{finding} {title}").wait_for(timeout=60_000)
    settle(page)
    assert_no_error(page)
    page.close()


def test_a_manager_downloads_evidence_and_a_digest_as_attachments(dashboard: Dashboard, browser: Browser,
                                                                  world: World) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page.goto(dashboard.url)
    page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
    settle(page)
    sign_in(page, "ja", STAFF["manager"], PASSWORDS["manager"])
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="質問票", exact=True).click()
    page.get_by_role("heading", name="質問票").wait_for(timeout=60_000)
    settle(page)
    with page.expect_download(timeout=60_000) as caught:
        page.get_by_role("button", name="callcentre-pentest-2025.pdf をダウンロード").click()
    download = caught.value
    assert download.suggested_filename == "callcentre-pentest-2025.pdf"  # the expired one comes first
    assert Path(download.path()).read_bytes() == PENTEST  # the stored bytes, saved, not shown in the page
    assert "/questionnaires" in page.url
    assert audit_entries(world.engine, "evidence.file.download")[-1].actor == STAFF["manager"]
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="取締役会報告", exact=True).click()
    page.get_by_role("heading", name="取締役会報告").wait_for(timeout=60_000)
    settle(page)
    with page.expect_download(timeout=60_000) as caught:
        page.get_by_role("button", name="PDF をダウンロード").click()
    assert caught.value.suggested_filename == "vendorwatch-digest-2026-11-ja-r1.pdf"
    assert Path(caught.value.path()).read_bytes().startswith(b"%PDF-")
    assert_no_error(page)
    page.close()


def test_a_vendor_without_portal_accounts_says_how_to_invite(dashboard: Dashboard, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{dashboard.url}/vendor?vendor=callcentre")
    page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("textbox", name="アカウント名", exact=True).fill(STAFF["manager"])
    page.get_by_role("textbox", name="パスワード", exact=True).fill(PASSWORDS["manager"])
    page.get_by_role("button", name="サインイン", exact=True).click()
    page.get_by_role("heading", name="株式会社コールセンターサービス").wait_for(timeout=60_000)
    page.get_by_role("tab", name="ポータル利用者", exact=True).click()
    settle(page)
    assert_no_error(page)
    assert page.get_by_text("vendorwatch portal invite --vendor callcentre").first.is_visible()
    screenshot(page, "vendor-portal-contacts-empty-ja")
    page.close()
