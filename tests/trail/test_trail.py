"""The access trail on SQLite and PostgreSQL: every filter narrows in SQL, pages follow the keyset without gaps
or repeats, exports stream, and the CSV is safe and readable in Japanese Excel."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import ALICE, BOB, HOME_IP, OFFICE_IP, World, ev, make_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.errors import ConfigError
from vendorwatch.spreadsheet import BOM, safe_cell
from vendorwatch.trail.export import trail_csv, trail_json_lines
from vendorwatch.trail.period import parse_bound
from vendorwatch.trail.query import TrailCursor, TrailFilter, count_trail, stream_trail, trail_page
from vendorwatch.views.personal import Masker

PLAIN = Masker(masked=False)


@pytest.fixture
def trail_world(engine: Engine, clock: FixedClock) -> World:
    world = make_world(engine, clock)
    world.events(
        ev("e1", "2026-11-24 14:59:59", "GetObject", ALICE, bucket="acme-customers", object_key="a.csv"),
        ev("e2", "2026-11-24 15:00:00", "GetObject", ALICE, source_ip=HOME_IP),
        ev("e3", "2026-11-24 15:00:00", "PutObject", BOB, source_ip="203.0.113.200",
           user_agent="=HYPERLINK(\"http://evil.example\")"),
        ev("e4", "2026-11-25 03:00:00.123456", "ConsoleLogin", BOB, source_ip="198.51.96.5"),
        ev("e5", "2026-11-25 14:59:59", "GetObject", ALICE, source_ip="2001:db8::1"),
        ev("e6", "2026-11-25 15:00:00", "GetObject", ALICE, source_ip="2001:0db8:0000::2"),
        ev("e7", "2026-11-25 16:00:00", "GetObject", ALICE, source_ip="2001:db9::1"),
        ev("e8", "2026-11-25 17:00:00", "DeleteTrail", "@evil", source_ip="AWS Internal"),
    )
    world.events(ev("b1", "2026-11-25 01:00:00", "GetObject", "arn:aws:iam::333333333333:user/carol",
                    account_id="333333333333"), source="beta-aws")
    return world


def ids(engine: Engine, where: TrailFilter) -> list[str]:
    with Session(engine) as session:
        return [e.source_event_id for e in stream_trail(session, where, PLAIN, batch=2)]


def test_each_filter_narrows_the_trail(trail_world: World) -> None:
    engine = trail_world.engine
    assert ids(engine, TrailFilter()) == ["e1", "e2", "e3", "b1", "e4", "e5", "e6", "e7", "e8"]
    assert ids(engine, TrailFilter(vendor_id="beta")) == ["b1"]
    assert ids(engine, TrailFilter(principal=BOB)) == ["e3", "e4"]
    assert ids(engine, TrailFilter(action="GetObject", vendor_id="acme")) == ["e1", "e2", "e5", "e6", "e7"]
    assert ids(engine, TrailFilter(ip=OFFICE_IP)) == ["e1", "b1"]
    assert ids(engine, TrailFilter(ip="203.0.113.0/24")) == ["e1", "e3", "b1"]
    assert ids(engine, TrailFilter(ip="203.0.113.128/25")) == ["e3"]
    assert ids(engine, TrailFilter(ip="198.51.96.0/20")) == ["e2", "e4"]  # 198.51.96.0 - 198.51.111.255
    assert ids(engine, TrailFilter(ip="2001:db8::/32")) == ["e5", "e6"]
    with Session(engine) as session:
        assert count_trail(session, TrailFilter(ip="2001:db8::/32")) == 2
        assert count_trail(session, TrailFilter(ip="203.0.113.0/24", vendor_id="acme")) == 2
    with pytest.raises(ConfigError):
        ids(engine, TrailFilter(ip="203.0.113.0/33"))


def test_a_period_typed_as_dates_is_whole_days_in_tokyo(trail_world: World) -> None:
    since = parse_bound("2026-11-25", end=False)
    until = parse_bound("2026-11-25", end=True)
    assert since == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert until == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert ids(trail_world.engine, TrailFilter(since=since, until=until)) == ["e2", "e3", "b1", "e4", "e5"]
    assert parse_bound("2026-11-25T09:30", end=False) == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    assert parse_bound("2026-11-25T09:30:00+00:00", end=False) == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    with pytest.raises(ConfigError):
        parse_bound("25/11/2026", end=False)


def test_the_trail_of_a_finding_is_its_evidence_events(trail_world: World) -> None:
    with Session(trail_world.engine) as session:
        finding = Finding(fingerprint="f" * 64, check_id="access.x", control_id="3.2.3", vendor_id="acme",
                          subject=BOB, severity="high", first_seen=trail_world.clock.now(),
                          last_seen=trail_world.clock.now(), evidence={"event_ids": ["e4", "e3", "b1"]})
        session.add(finding)
        session.commit()
        finding_id = finding.id
    assert finding_id is not None
    assert ids(trail_world.engine, TrailFilter(finding_id=finding_id)) == ["e3", "e4"]  # b1 is another vendor's
    assert ids(trail_world.engine, TrailFilter(finding_id=finding_id, action="ConsoleLogin")) == ["e4"]
    with pytest.raises(ConfigError):
        ids(trail_world.engine, TrailFilter(finding_id=finding_id + 1000))


@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("where", [TrailFilter(), TrailFilter(ip="2001:db8::/32"), TrailFilter(vendor_id="acme")])
def test_keyset_pages_cover_the_trail_once_each(trail_world: World, newest_first: bool, where: TrailFilter) -> None:
    with Session(trail_world.engine) as session:
        expected = [e.id for e in stream_trail(session, where, PLAIN)]
        if newest_first:
            expected.reverse()
        seen: list[int] = []
        after: TrailCursor | None = None
        while True:
            page = trail_page(session, where, PLAIN, after=after, size=2, newest_first=newest_first)
            seen += [e.id for e in page.items]
            if page.next_after is None:
                break
            after = TrailCursor.from_token(page.next_after.token)  # through the URL form
    assert seen == expected and len(seen) == len(set(seen))


def test_principals_are_masked_unless_unmasked(trail_world: World) -> None:
    with Session(trail_world.engine) as session:
        masked = [e.principal for e in stream_trail(session, TrailFilter(principal=BOB), Masker())]
    assert masked and all("bob" not in p for p in masked)


def test_the_csv_opens_in_japanese_excel_and_carries_no_formula(trail_world: World) -> None:
    with Session(trail_world.engine) as session:
        lines = list(trail_csv(stream_trail(session, TrailFilter(vendor_id="acme"), PLAIN)))
    text = "".join(lines)
    assert text.startswith(BOM) and lines[0].startswith(BOM) and not lines[1].startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert rows[0]["event_time (Asia/Tokyo)"] == "2026-11-24 23:59:59"
    by_id = {r["event_id"]: r for r in rows}
    assert by_id["e4"]["event_time (Asia/Tokyo)"] == "2026-11-25 12:00:00"  # no microseconds
    assert by_id["e3"]["user_agent"] == "'=HYPERLINK(\"http://evil.example\")"
    assert by_id["e8"]["principal"] == "'@evil"
    assert by_id["e1"]["resource"] == "s3://acme-customers/a.csv"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+81", "'+81"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
                                         ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), (-2, "-2"), (None, "")])
def test_cells_a_spreadsheet_would_run_are_neutralised(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_json_lines_give_tokyo_times_with_their_offset(trail_world: World) -> None:
    with Session(trail_world.engine) as session:
        lines = list(trail_json_lines(stream_trail(session, TrailFilter(principal=BOB), PLAIN)))
    records = [json.loads(line) for line in lines]
    assert [r["event_id"] for r in records] == ["e3", "e4"]
    assert records[1]["event_time"] == "2026-11-25T12:00:00+09:00"
    assert records[0]["user_agent"] == "=HYPERLINK(\"http://evil.example\")"  # JSON is data, kept as it is


@pytest.fixture
def trail_cli(tmp_path, clock: FixedClock):
    """A SQLite file holding the trail world, and the environment that points the CLI at it."""
    from vendorwatch.db.engine import make_engine
    from vendorwatch.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'trail.db'}"
    engine = make_engine(url)
    upgrade(engine)
    world = make_world(engine, clock)
    world.events(
        ev("e1", "2026-11-24 14:59:59", "GetObject", ALICE),
        ev("e3", "2026-11-24 15:00:00", "PutObject", BOB, source_ip="203.0.113.200",
           user_agent="=cmd|' /C calc'!A0 [bold red]x[/] :100:"),
    )
    engine.dispose()
    return {"VENDORWATCH_DATABASE_URL": url, "VENDORWATCH_ACTOR": "investigator", "COLUMNS": "400"}


def test_events_command_exports_csv_json_and_a_table(run_cli, trail_cli) -> None:
    exported = run_cli("events", "--vendor", "acme", "--from", "2026-11-25", "--to", "2026-11-25", "--format", "csv",
                       "--unmask", env=trail_cli)
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(exported.stdout[1:])))
    assert [(r["event_id"], r["event_time (Asia/Tokyo)"], r["principal"]) for r in rows] == [
        ("e3", "2026-11-25 00:00:00", BOB)]
    assert rows[0]["user_agent"].startswith("'=cmd")
    lines = run_cli("events", "--ip", "203.0.113.0/24", "--format", "json", env=trail_cli).stdout.splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == ["e1", "e3"]
    assert "bob" not in lines[1]  # masked without --unmask
    table = run_cli("events", "--principal", BOB, env=trail_cli)
    assert table.exit_code == 0, table.stderr
    assert "[bold red]x[/] :100:" in table.stdout and "1 件" in table.stdout
    audit = run_cli("audit", "log", "--limit", "1", env=trail_cli).stdout
    assert "personal_data.unmask" in audit


@pytest.mark.parametrize("args", [["--vendor", "nope"], ["--ip", "10.0.0.0/99"], ["--from", "yesterday"],
                                  ["--finding", str(2**64)], ["--format", "xml"]])
def test_events_command_refuses_bad_options_with_exit_2(run_cli, trail_cli, args: list[str]) -> None:
    refused = run_cli("events", *args, env=trail_cli)
    assert refused.exit_code == 2, (refused.stdout, refused.stderr)
    assert "Traceback" not in refused.stderr
