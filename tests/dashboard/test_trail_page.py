"""The access trail page: the history of a vendor, principal, source IP or action over a period in keyset pages,
the evidence events of a finding, and the CSV export for investigators (managers, audited; masked as the screen)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, select

from dashboard import actions
from dashboard.context import CONTEXT_KEY
from tests.dashboard.conftest import World, audit_entries, button, new_app, page_text, titles
from vendorwatch.db.tables import Finding
from vendorwatch.staff.roles import PermissionDeniedError
from vendorwatch.trail.query import TrailFilter, count_trail
from vendorwatch.views.personal import Masker

TITLE = {"ja": "アクセス履歴", "en": "Access trail"}
KOBAYASHI = "arn:aws:iam::123837392027:user/kobayashi.ken"


def _open(at, **query: str):
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page("app_pages/trail.py").run()


def _times(at) -> list[str]:
    return list(at.dataframe[0].value.iloc[:, 0])


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_the_trail_renders_newest_first_for_every_role(signed_in, world: World, role: str, language: str) -> None:
    at = _open(signed_in(role, language=language))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert TITLE[language] in titles(at)
    times = _times(at)
    assert len(times) == 50 and times == sorted(times, reverse=True)
    with Session(world.engine) as session:
        total = count_trail(session, TrailFilter())
    assert f"{total:,}" in page_text(at)
    exports = list(at.get("download_button"))
    assert (len(exports) == 1) == (role != "viewer")


def test_older_and_newer_pages_follow_each_other(signed_in) -> None:
    at = _open(signed_in("viewer"))
    first = _times(at)
    button(at, "次へ").click()
    at.run()
    second = _times(at)
    assert len(second) == 50 and max(second) <= min(first)  # older, right after the first page
    assert "2 ページ目" in page_text(at)
    button(at, "前へ").click()
    at.run()
    assert _times(at) == first


def test_a_vendor_and_a_network_narrow_the_trail_and_a_bad_cidr_is_refused(signed_in, world: World) -> None:
    at = _open(signed_in("viewer", language="en"), vendor="callcentre")
    vendors = set(at.dataframe[0].value["Vendor"])
    assert vendors == {"callcentre"}
    ip = at.dataframe[0].value["Source IP"].iloc[0]
    network = ".".join(ip.split(".")[:3]) + ".0/24"
    at.text_input(key="t_ip").input(network)
    at.run()
    assert {a.rsplit(".", 1)[0] for a in at.dataframe[0].value["Source IP"]} == {network.rsplit(".", 1)[0]}
    at.text_input(key="t_ip").input("300.1.2.0/24")
    at.run()
    assert any("not an IP address or CIDR" in str(e.value) for e in at.error)
    assert not at.exception


def test_a_finding_link_opens_its_evidence_events(signed_in, world: World) -> None:
    with Session(world.engine) as session:
        finding = session.exec(select(Finding).where(Finding.check_id == "identity.used_after_leaving")).first()
    assert finding is not None and finding.evidence.get("event_ids")
    at = _open(signed_in("viewer"), finding=str(finding.id))
    events = at.dataframe[0].value
    assert set(events["イベント ID"]) <= set(finding.evidence["event_ids"]) and len(events) >= 1
    assert KOBAYASHI not in page_text(at) and "user/k***" in page_text(at)  # masked by default


def test_a_viewer_cannot_export_even_by_calling_the_action(signed_in, world: World) -> None:
    at = _open(signed_in("viewer"))
    with pytest.raises(PermissionDeniedError):
        actions.trail_export(at.session_state[CONTEXT_KEY], TrailFilter())
    assert not audit_entries(world.engine, "trail.export")


def test_a_manager_exports_the_filtered_trail_as_csv_and_it_is_audited(signed_in, world: World) -> None:
    at = _open(signed_in("manager"), vendor="tradesys")
    ctx = at.session_state[CONTEXT_KEY]
    where = TrailFilter(vendor_id="tradesys")
    assert not audit_entries(world.engine, "trail.export"), "nothing is exported before the click"
    body = actions.trail_export(ctx, where)().decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    with Session(world.engine) as session:
        total = count_trail(session, where)
    assert rows[0][0] == "event_time (Asia/Tokyo)" and len(rows) - 1 == total
    assert {r[1] for r in rows[1:]} == {"tradesys"}
    assert KOBAYASHI not in body  # masked, as the screen is
    assert Masker(masked=True).principal(KOBAYASHI) in body
    entry = audit_entries(world.engine, "trail.export")[-1]
    assert entry.actor == "mika" and entry.details["rows"] == total and entry.details["masked"] is True
    assert entry.details["filter"] == {"vendor_id": "tradesys"}


def test_nothing_renders_without_signing_in(world: World) -> None:
    at = new_app()
    at.run()
    at = at.switch_page("app_pages/trail.py").run()
    assert "アクセス履歴" not in titles(at) and not at.dataframe
