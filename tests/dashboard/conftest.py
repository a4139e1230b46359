"""Shared fixtures of the dashboard tests: the demo world in a database, staff of every role, signed-in AppTests."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from questionnaires.demo import load_demo_questionnaires
from questionnaires.evidence import DocumentDetails, add_document
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.portal.accounts import complete_enrolment, find_account, invite
from questionnaires.portal.codes import sign_in_with_code
from tests.conftest import DEMO_REGISTRY
from tests.servers.dashboard import CHROMIUM, CHROMIUM_ARGS
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import AuditEntry, PortalCredential
from vendorwatch.demo.load import load_demo
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.sync import apply_import, imported_registry
from vendorwatch.staff import accounts

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
PAGES = ("portfolio", "vendor", "findings")  # the pages of round 1; the later ones have their own test files
PASSWORDS = {"viewer": "viewer-password-123", "manager": "manager-password-123", "admin": "admin-password-123"}
STAFF = {"viewer": "vera", "manager": "mika", "admin": "ada"}


@dataclass(frozen=True)
class World:
    """A database holding the demo (registry, recordings, incidents, evaluated) and one account per role."""

    url: str
    engine: Engine


CERTIFICATE = b"%PDF-1.4\n% ISO/IEC 27001 certificate of TradeSystems (test)\n1 0 obj << >> endobj\n%%EOF\n"
PENTEST = b"%PDF-1.4\n% penetration-test report of the call centre (test)\n%%EOF\n"


def seed_evidence(engine: Engine, clock: FixedClock, directory: Path) -> None:
    """Two documents the firm received: tradesys's certificate (expiring in 45 days) and callcentre's expired report."""
    store = EvidenceStore(EvidenceSettings(directory))
    today = clock.now().date()
    with Session(engine) as session:
        add_document(session, store, io.BytesIO(CERTIFICATE), "tradesys-iso27001.pdf",
                     DocumentDetails(kind="iso27001_certificate", valid_from=today - timedelta(days=320),
                                     valid_until=today + timedelta(days=45), title="ISO/IEC 27001 登録証"),
                     vendor_id="tradesys", actor="test", clock=clock)
        add_document(session, store, io.BytesIO(PENTEST), "callcentre-pentest-2025.pdf",
                     DocumentDetails(kind="pentest_report", valid_until=today - timedelta(days=10)),
                     vendor_id="callcentre", actor="test", clock=clock)
        session.commit()


def seed_world(engine: Engine, clock: FixedClock, evidence_dir: Path | None = None) -> None:
    """The demo registry and data (with its questionnaires and, given a directory, two evidence documents),
    evaluated, and staff accounts for each role."""
    upgrade(engine)
    registry, text = load_registry(DEMO_REGISTRY)
    with Session(engine) as session:
        apply_import(session, registry, text, path=str(DEMO_REGISTRY), actor="test", clock=clock)
        session.commit()
    load_demo(engine, registry, clock)
    load_demo_questionnaires(engine, registry, clock)
    if evidence_dir is not None:
        seed_evidence(engine, clock, evidence_dir)
    evaluate(engine, registry, clock)
    with Session(engine) as session:
        for role, name in STAFF.items():
            accounts.add_user(session, name=name, role=role, password=PASSWORDS[role], email=f"{name}@sakura-sec.example",
                              display_name=None, actor="test", clock=clock)
        session.commit()


YUMI = "yumi.nakamura@tradesys.example"  # tradesys: enrolled, a passkey, two failed sign-ins
SHO = "sho.yoshida@opswatch.example"  # opswatch (under tradesys): invited, not enrolled yet


def seed_portal_contacts(engine: Engine) -> None:
    """Portal accounts of the demo's contacts, made by the portal's own functions (as ``vendorwatch portal invite``
    and the contact's enrolment would), timed by the real clock the dashboard reads: tradesys's contact enrolled
    with e-mail codes a day ago plus one passkey (its stored row: registering one needs a browser ceremony,
    tests/portal/test_browser.py) and two wrong codes; opswatch's contact invited an hour ago; callcentre's none."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    clock = FixedClock(now - timedelta(days=1))
    with Session(engine) as session:
        token = invite(session, registry, "tradesys", YUMI, actor_name="mika", clock=clock).token
        complete_enrolment(session, token, method="email_code", clock=clock, client="198.51.100.7")
        account = find_account(session, YUMI)
        assert account is not None and account.id is not None
        session.add(PortalCredential(account_id=account.id, credential_id="demo-passkey", public_key="pk",
                                     device_type="multi_device", backed_up=True, created_at=clock.now()))
        clock.set(now - timedelta(hours=2))
        for _ in range(2):
            sign_in_with_code(session, YUMI, "000000", clock=clock, client="198.51.100.7")
        clock.set(now - timedelta(hours=1))
        invite(session, registry, "opswatch", SHO, actor_name="mika", clock=clock)
        session.commit()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded SQLite file, built once per test session and copied for each test."""
    path = tmp_path_factory.mktemp("dashboard-world") / "world.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_world(engine, FixedClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)), path.parent / "evidence")
    engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def world(world_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A private copy of the seeded world; the dashboard under test reads it (VENDORWATCH_DATABASE_URL)."""
    path = tmp_path / "world.db"
    shutil.copyfile(world_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("VENDORWATCH_DATABASE_URL", url)
    monkeypatch.setenv("VENDORWATCH_EVIDENCE_DIR", str(world_template.parent / "evidence"))  # read only
    engine = make_engine(url)
    yield World(url, engine)
    engine.dispose()


def button(at: AppTest, label: str) -> object:
    """The (form submit) button with that label; fails clearly when it is not on the page."""
    for found in at.button:
        if found.label == label:
            return found
    raise AssertionError(f"no button {label!r} among {[b.label for b in at.button]}")


def new_app(*, language: str = "ja") -> AppTest:
    """An AppTest of the dashboard, not signed in yet."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if language != "ja":
        at.query_params["lang"] = language
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    """Fill and submit the sign-in form, as a person would."""
    if not at.text_input:
        at.run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    label = "Sign in" if any(b.label == "Sign in" for b in at.button) else "サインイン"
    button(at, label).click()  # type: ignore[attr-defined]
    return at.run()


@pytest.fixture
def signed_in(world: World) -> Callable[..., AppTest]:
    """``signed_in(role, language="ja")``: an AppTest signed in through the form with that role's account."""

    def make(role: str, *, language: str = "ja") -> AppTest:
        at = sign_in(new_app(language=language), STAFF[role], PASSWORDS[role])
        assert not at.exception, at.exception
        return at

    return make


def audit_entries(engine: Engine, action_prefix: str) -> list[AuditEntry]:
    """Audit entries whose action starts with a prefix, oldest first."""
    with Session(engine) as session:
        return [e for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))) if e.action.startswith(action_prefix)]


def page_text(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, titles, alerts, metrics and the cells of its tables."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        value = frame.value
        parts.append(value.to_csv())
        parts += [str(i) for i in value.index]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))  # as rendered: markdown escapes gone


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, through playwright (no browser download)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def titles(at: AppTest) -> list[str]:
    """The page's titles as rendered (markdown escapes gone)."""
    return [re.sub(r"\\(.)", r"\1", str(t.value)) for t in at.title]
