"""A finding about the firm itself (no vendor) on every page: the portfolio counts it apart, the findings page
lists it as 当社全体 / Firm-wide, filters to it, opens it and triages it (audited); the vendor pages leave it out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from tests.dashboard.conftest import World, audit_entries, button, page_text
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.registry.sync import imported_registry

AFTER_THE_DEADLINE = FixedClock(datetime(2026, 12, 6, 3, 0, tzinfo=UTC))  # November's digest was due by 5 December


@pytest.fixture
def firm_wide(world: World) -> int:
    """The world evaluated after November's digest fell due undelivered: a 3.2.6 finding with no vendor."""
    with Session(world.engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    evaluate(world.engine, registry, AFTER_THE_DEADLINE)
    with Session(world.engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == "reporting.digest_not_delivered")).one()
    assert found.vendor_id is None and found.id is not None
    return found.id


def _open(at, page: str, **query: str):
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page(f"app_pages/{page}.py").run()


@pytest.mark.parametrize(("language", "label"), [("ja", "当社全体"), ("en", "Firm-wide")])
def test_the_findings_page_lists_and_opens_a_firm_wide_finding(signed_in, firm_wide: int, language: str,
                                                               label: str) -> None:
    at = _open(signed_in("viewer", language=language), "findings", firm="1")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["#"]) == [firm_wide]
    assert list(table.iloc[:, 3]) == [label]
    shown = page_text(at)
    assert f"blue-badge[{label}]" in shown and "digest:2026-11" in shown
    for page in ("portfolio", "vendor", "questionnaires"):
        at = _open(at, page)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


def test_the_portfolio_counts_firm_wide_findings_apart_from_the_vendors(signed_in, firm_wide: int) -> None:
    at = signed_in("viewer")
    shown = page_text(at)
    assert "当社全体の未対応の指摘事項 1 件" in shown and "高 1" in shown
    vendors = at.dataframe[0].value
    assert "当社全体" not in " ".join(vendors.iloc[:, 0])


def test_a_manager_acknowledges_a_firm_wide_finding_and_it_is_audited(signed_in, world: World, firm_wide: int) -> None:
    at = _open(signed_in("manager"), "findings", finding=str(firm_wide))
    at.text_input(key="ack_reason").input("12 月 8 日に送付予定")
    button(at, "確認済みにする").click()
    at.run()
    assert not at.exception, at.exception
    with Session(world.engine) as session:
        assert session.get(Finding, firm_wide).status == "acknowledged"  # type: ignore[union-attr]
    entry = audit_entries(world.engine, "finding.")[-1]
    assert entry.actor == "mika" and entry.target == f"finding:{firm_wide}"
