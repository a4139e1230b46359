"""The digest's "questionnaires overdue" section: requests still waiting for the vendor after their due date, as
they stood at the month's end, in the PDF (ja and en) and the text part."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from questionnaires.campaigns import get_request, transition
from questionnaires.loader import find_questionnaire
from tests.checks.world import at
from tests.digest.seed import seed_half_year
from vendorwatch.digest.build import build_digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.render import render_digest


def _send(engine: Engine, world_registry: object, clock: object, vendors: list[str], due: date) -> list[int]:
    from questionnaires.campaigns import send_campaign

    with Session(engine, expire_on_commit=False) as session:
        sent = send_campaign(session, world_registry, find_questionnaire("jsda-iv32-baseline"), vendors,  # type: ignore[arg-type]
                             due_date=due, actor="manager@firm", clock=clock, name="2026 年度 定期評価")  # type: ignore[arg-type]
        session.commit()
        return [r.id for r in sent.requests if r.id is not None]


def _act(engine: Engine, request_id: int, *actions: str, clock: object) -> None:
    with Session(engine) as session:
        request = get_request(session, request_id)
        for action in actions:
            transition(session, request, action, actor="vendor@acme", clock=clock)  # type: ignore[arg-type]
        session.commit()


def test_the_digest_lists_the_questionnaires_overdue_at_the_months_end(sqlite_engine: Engine, tmp_path: Path,
                                                                       artifacts: Path) -> None:
    world = seed_half_year(sqlite_engine)
    now = world.clock.now()
    world.clock.set(at("2026-11-01 00:00"))
    acme, beta = _send(sqlite_engine, world.registry, world.clock, ["acme", "beta"], date(2026, 11, 15))
    world.clock.set(at("2026-11-10 00:00"))
    _act(sqlite_engine, beta, "start", clock=world.clock)
    world.clock.set(at("2026-12-01 03:00"))  # beta submits after the month ended: still overdue in November's
    _act(sqlite_engine, beta, "submit", clock=world.clock)
    world.clock.set(now)

    with Session(sqlite_engine) as session:
        digest = build_digest(session, world.registry, DigestMonth.parse("2026-11"), world.clock, actor="test")
    section = digest.section("questionnaires")
    rows = section.data.overdue  # type: ignore[attr-defined]
    assert [(r.request_id, r.state.en, r.days_overdue) for r in rows] == [(acme, "not started", 16),
                                                                          (beta, "in progress", 16)]
    assert section.summary.en.startswith("2 questionnaire request(s) past their due date at 2 vendor(s)")

    for language, heading in (("ja", "回答期限を過ぎた質問票"), ("en", "Questionnaires overdue")):
        rendered = render_digest(digest, language)
        assert heading in rendered.text and getattr(section.summary, language) in rendered.text
        pdf = tmp_path / f"digest-{language}.pdf"
        pdf.write_bytes(rendered.pdf)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert heading in text and "2026" in text
        page = next(n for n, body in enumerate(text.split("\f"), 1) if n > 1 and heading in body)
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page), str(pdf),
                        str(artifacts / f"questionnaires-{language}")], check=True)
        assert ("未着手" if language == "ja" else "not started") in text
        assert heading in rendered.html


def test_no_overdue_questionnaire_says_so(sqlite_engine: Engine) -> None:
    world = seed_half_year(sqlite_engine)
    with Session(sqlite_engine) as session:
        digest = build_digest(session, world.registry, DigestMonth.parse("2026-11"), world.clock, actor="test")
    section = digest.section("questionnaires")
    assert section.data.overdue == [] and section.summary.ja.startswith("回答期限を過ぎた質問票 0 件")  # type: ignore[attr-defined]
