"""The board report page: the month's posture per control and per vendor, what changed, what is overdue, and the
stored monthly digests listed, shown and downloaded as attachments, for every role; nothing without signing in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from dashboard import data
from dashboard.context import CONTEXT_KEY
from tests.dashboard.conftest import World, new_app, page_text, titles
from vendorwatch.clock import FixedClock, SystemClock, local_today
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.service import Produced, produce
from vendorwatch.registry.sync import imported_registry
from vendorwatch.views.board import months

TITLE = {"ja": "取締役会報告", "en": "Board report"}


@pytest.fixture
def digest(world: World) -> Produced:
    """November's digest, produced on 1 December (stored, not delivered)."""
    with Session(world.engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    return produce(world.engine, registry, DigestMonth.parse("2026-11"),
                   FixedClock(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)), actor="scheduler")


def _open(at, **query: str):
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page("app_pages/board.py").run()


def _november(at):
    at.selectbox(key="board_month").set_value("2026-11")
    return at.run()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_the_month_per_control_and_per_vendor_for_every_role(signed_in, digest: Produced, role: str,
                                                             language: str) -> None:
    at = _november(_open(signed_in(role, language=language)))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert TITLE[language] in titles(at)
    controls = at.dataframe[0].value
    assert [c.split()[0] for c in controls.iloc[:, 0]] == ["3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6",
                                                             "3.2.7"]
    vendors = at.dataframe[1].value
    assert [v.split("(")[-1].rstrip(")") for v in vendors.iloc[:, 0]][:1] == ["tradesys"]  # highest score first
    assert {v.split("(")[-1].rstrip(")") for v in vendors.iloc[:, 0]} == {"tradesys", "opswatch", "callcentre"}
    shown = page_text(at)
    changed = {"ja": "今月の新規・再発の指摘", "en": "opened or reopened this month"}[language]
    assert changed in shown
    stored = at.dataframe[-1].value
    assert list(stored["#"]) == [digest.record.id]
    assert len(list(at.get("download_button"))) == 2  # PDF and HTML, for every role (the digest is masked)
    assert digest.rendered.subject in shown


def test_the_stored_digest_downloads_as_stored(signed_in, digest: Produced) -> None:
    at = _open(signed_in("viewer"))
    ctx = at.session_state[CONTEXT_KEY]
    assert digest.record.id is not None
    assert data.digest_document(ctx, digest.record.id, "pdf")() == digest.rendered.pdf
    assert data.digest_document(ctx, digest.record.id, "html")() == digest.rendered.html.encode("utf-8")
    assert digest.rendered.pdf.startswith(b"%PDF-")


def test_without_a_stored_digest_the_page_says_how_to_produce_one(signed_in) -> None:
    at = _open(signed_in("viewer", language="en"))
    assert not at.exception, at.exception
    assert any("No monthly digest has been produced yet" in str(i.value) for i in at.info)
    assert at.selectbox(key="board_month").value == "2026-11"  # the month last evaluated, not an empty new one
    assert not any("provisional" in str(c.value) for c in at.caption)
    this_month = months(local_today(SystemClock(), "Asia/Tokyo"))[0]
    at.selectbox(key="board_month").set_value(this_month).run()
    assert any("provisional" in str(c.value) for c in at.caption)  # the current month, as of now


def test_nothing_renders_without_signing_in(world: World, digest: Produced) -> None:
    at = new_app()
    at.run()
    at = at.switch_page("app_pages/board.py").run()
    assert "取締役会報告" not in titles(at) and not at.dataframe
    assert not list(at.get("download_button"))
