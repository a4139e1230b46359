"""The digest as a board member reads it: the PDF (text and pages as pictures), the HTML e-mail in a real browser,
the plain-text part, in Japanese and English; charts in IPAex Gothic with no missing glyph; data escaped."""

from __future__ import annotations

import copy
import io
import re
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from sqlmodel import Session

from tests.checks.world import at, make_world
from tests.digest.seed import registry_document, seed_half_year
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.digest.build import build_digest
from vendorwatch.digest.charts import board_charts
from vendorwatch.digest.model import Digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.render import RenderedDigest, environment, render_digest

CONTROL_IDS = [f"3.2.{n}" for n in range(1, 8)]
JAPANESE_HEADINGS = ["委託先リスク月次報告", "経営層に報告・判断をお願いする事項", "先月からの変化", "管理策ごとの状況",
                     "リスクの高い委託先", "今月の指摘事項の動き", "リスク受容と期限", "再委託先の監督", "回答期限を過ぎた質問票",
                     "監視カバレッジ",
                     "本報告について"]
ENGLISH_HEADINGS = ["Monthly vendor risk digest", "For the board's attention", "Changes since last month", "Controls",
                    "Vendors with the highest risk", "Findings this month", "Risk acceptances and their expiry",
                    "Supervision of sub-vendors", "Questionnaires overdue", "Monitoring coverage", "About this digest"]


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Digest]:
    """November 2026's digest of the half-year story (SQLite)."""
    folder = tmp_path_factory.mktemp("render")
    engine = make_engine(f"sqlite:///{folder / 'vendorwatch.db'}")
    upgrade(engine)
    world = seed_half_year(engine)
    with Session(engine) as session:
        yield build_digest(session, world.registry, DigestMonth.parse("2026-11"), world.clock, actor="test")
    engine.dispose()


@pytest.fixture(scope="module")
def rendered(digest: Digest) -> dict[str, RenderedDigest]:
    """The digest in both languages."""
    return {language: render_digest(digest, language) for language in ("ja", "en")}


def _pdftotext(pdf: bytes, folder: Path, first: int | None = None, last: int | None = None) -> str:
    path = folder / "digest.pdf"
    path.write_bytes(pdf)
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.filterwarnings("error")
def test_charts_are_drawn_in_the_japanese_font_with_no_missing_glyph(digest: Digest) -> None:
    for language in ("ja", "en"):
        for chart in board_charts(digest.board.trend, language):
            assert chart.svg.startswith(b"<?xml") and b"<svg" in chart.svg
            assert chart.png.startswith(b"\x89PNG")
    # The same Japanese title in matplotlib's default font does warn: the filter above would catch a regression.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = Figure()
        figure.subplots().set_title("総合リスク指標", family="DejaVu Sans")
        figure.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


def test_the_pdf_text_has_the_japanese_headings_and_every_control(rendered: dict[str, RenderedDigest],
                                                                   tmp_path: Path) -> None:
    text = _pdftotext(rendered["ja"].pdf, tmp_path)
    for heading in JAPANESE_HEADINGS:
        assert heading in text, heading
    for control in CONTROL_IDS:
        assert control in text, control
    board = _pdftotext(rendered["ja"].pdf, tmp_path, 1, 1)
    assert "経営層に報告・判断をお願いする事項" in board and "総合リスク指標" in board
    assert "本報告について" not in board  # the board page is one page; the detail starts after it
    assert "h***@acme.example" in text and "hanako.sato@acme.example" not in text


def test_the_english_pdf_has_the_english_headings_and_every_control(rendered: dict[str, RenderedDigest],
                                                                     tmp_path: Path) -> None:
    text = _pdftotext(rendered["en"].pdf, tmp_path)
    for heading in ENGLISH_HEADINGS:
        assert heading in text, heading
    for control in CONTROL_IDS:
        assert control in text, control
    assert "経営層" not in text


def test_the_pdf_pages_are_saved_as_pictures_to_look_at(rendered: dict[str, RenderedDigest], artifacts: Path,
                                                        tmp_path: Path) -> None:
    for language, document in rendered.items():
        pdf = tmp_path / f"digest-{language}.pdf"
        pdf.write_bytes(document.pdf)
        for old in artifacts.glob(f"digest-2026-11-{language}-page-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(artifacts / f"digest-2026-11-{language}-page")],
                       check=True)
        pages = sorted(artifacts.glob(f"digest-2026-11-{language}-page-*.png"))
        assert len(pages) >= 4, language
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "(A4)" in info and re.search(rf"^Pages:\s+{len(pages)}$", info, re.MULTILINE)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "IPAexGothic" in fonts and "yes" in fonts  # embedded (subset), so any viewer shows it


def _screenshot(html: str, path: Path, width: int) -> dict[str, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_content(html, wait_until="load")
            page.screenshot(path=str(path), full_page=True)
            return page.evaluate("() => ({scroll: document.documentElement.scrollWidth, width: window.innerWidth,"
                                 " broken: [...document.images].filter(i => !i.complete || !i.naturalWidth).length,"
                                 " images: document.images.length})")  # type: ignore[no-any-return]
        finally:
            browser.close()


def test_the_html_email_renders_in_a_browser_on_a_desktop_and_a_phone(rendered: dict[str, RenderedDigest],
                                                                       artifacts: Path) -> None:
    for language, document in rendered.items():
        for width in (800, 390):
            seen = _screenshot(document.html, artifacts / f"digest-2026-11-{language}-email-{width}.png", width)
            assert seen["images"] == 2 and seen["broken"] == 0, seen
            assert seen["scroll"] <= seen["width"], f"{language} overflows at {width}px: {seen}"


def test_the_plain_text_part_tells_the_same_story(rendered: dict[str, RenderedDigest]) -> None:
    ja, en = rendered["ja"].text, rendered["en"].text
    assert "【経営層に報告・判断をお願いする事項】" in ja and "エスカレーション" in ja
    assert "FOR THE BOARD'S ATTENTION" in en and "escalated" in en
    assert "<" not in ja.replace("<-", "")  # no markup in the text part


def test_templates_escape_what_came_from_the_database(tmp_path: Path) -> None:
    assert environment().select_template(["email.html.j2"]).environment.autoescape
    document = registry_document()
    hostile = copy.deepcopy(document)
    hostile["organization"]["name"] = {"ja": '<script>alert("x")</script>', "en": 'Evil "Co" </style><b>'}
    engine = make_engine(f"sqlite:///{tmp_path / 'vendorwatch.db'}")
    upgrade(engine)
    world = make_world(engine, FixedClock(at("2026-11-26 09:00")), hostile)
    with Session(engine) as session:
        digest = build_digest(session, world.registry, DigestMonth.parse("2026-11"), world.clock, actor="test")
    ja, en = render_digest(digest, "ja"), render_digest(digest, "en")
    assert "<script>" not in ja.html and "&lt;script&gt;" in ja.html
    assert "</style><b>" not in en.html and "&lt;/style&gt;&lt;b&gt;" in en.html
    for out in (ja, en):
        assert out.pdf.startswith(b"%PDF")
    engine.dispose()


def test_subjects_survive_the_trip_through_a_mail_header(rendered: dict[str, RenderedDigest]) -> None:
    from email import message_from_bytes, policy

    from vendorwatch.mail.message import build_message

    for document in rendered.values():
        message = build_message(sender="vw@example-sec.co.jp", to=["board@example-sec.co.jp"],
                                subject=document.subject, text="x")
        assert message_from_bytes(message.as_bytes(), policy=policy.default)["Subject"] == document.subject
