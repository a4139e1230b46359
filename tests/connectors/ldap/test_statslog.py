"""The slapd stats log parser and the rotating-file reader, on lines as slapd 2.5 writes them (``-d stats``,
syslog and ISO-8601 syslog prefixes)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.ldap import logfiles
from connectors.ldap.statslog import StatsLogParser, StatsState

DN = "uid=alice,ou=people,dc=example,dc=org"

DEBUG_LINES = b"""\
6b07e139.3298a8ac 0x7fb7a2dfc6c0 conn=1006 fd=18 ACCEPT from IP=10.1.2.3:46151 (IP=0.0.0.0:636)
6b07e139.32ce9275 0x7fb7a35fd6c0 conn=1006 fd=18 TLS established tls_ssf=256 ssf=256 tls_proto=TLS1.3
6b07e139.355048f3 0x7fb7a2dfc6c0 conn=1006 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=org" method=128
6b07e139.35633664 0x7fb7a2dfc6c0 conn=1006 op=0 RESULT tag=97 err=49 qtime=0.000039 etime=0.001307 text=
6b07e139.382caa19 0x7fb7a3dfe6c0 conn=1006 op=1 BIND dn="uid=alice,ou=people,dc=example,dc=org" method=128
6b07e139.382ec363 0x7fb7a3dfe6c0 conn=1006 op=1 BIND dn="uid=alice,ou=people,dc=example,dc=org" mech=SIMPLE bind_ssf=0 ssf=256
6b07e139.38525672 0x7fb7a3dfe6c0 conn=1006 op=1 RESULT tag=97 err=0 qtime=0.000030 etime=0.002528 text=
6b07e139.386836b2 0x7fb7a35fd6c0 conn=1006 op=2 SRCH base="" scope=0 deref=3 filter="(objectClass=*)"
6b07e139.386b39a0 0x7fb7a35fd6c0 conn=1006 op=2 SEARCH RESULT tag=101 err=0 qtime=0.000030 etime=0.000238 nentries=1 text=
6b07e139.387e575a 0x7fb7a2dfc6c0 conn=1006 fd=18 closed (connection lost)
"""


def test_binds_are_joined_to_the_client_ip_of_their_connection() -> None:
    parser = StatsLogParser()
    events = list(parser.parse(DEBUG_LINES.splitlines(keepends=True), "stats.log"))
    assert [(e.action, e.principal, e.outcome, e.error_code, e.source_ip) for e in events] == [
        ("bind", DN, "failure", "49", "10.1.2.3"),
        ("bind", DN, "success", None, "10.1.2.3"),
    ]
    # 0x6b07e139 seconds since 1970 and 0x355048f3 nanoseconds: the time of the BIND line.
    assert events[0].event_time == datetime.fromtimestamp(0x6B07E139, UTC).replace(microsecond=0x355048F3 // 1000)
    assert events[0].source_event_id != events[1].source_event_id
    assert parser.counts.garbled == 0
    assert parser.state.connections == {} and parser.state.pending == {}  # closed connections are forgotten


def test_event_ids_are_stable_across_re_reading() -> None:
    first = [e.source_event_id for e in StatsLogParser().parse(DEBUG_LINES.splitlines())]
    second = [e.source_event_id for e in StatsLogParser().parse(DEBUG_LINES.splitlines())]
    assert first == second and len(set(first)) == 2


def test_a_connection_spanning_two_files_keeps_its_ip_through_the_checkpoint() -> None:
    lines = DEBUG_LINES.splitlines()
    first = StatsLogParser()
    assert list(first.parse(lines[:3])) == []  # ACCEPT, TLS, BIND: the result comes in the next file
    saved = first.state.to_json()
    second = StatsLogParser(StatsState.from_json(saved))
    events = list(second.parse(lines[3:]))
    assert [(e.outcome, e.source_ip) for e in events] == [("failure", "10.1.2.3"), ("success", "10.1.2.3")]


def test_garbled_lines_are_counted_and_described_not_fatal() -> None:
    junk = [
        b"6b07e139.355048f3 0x7f conn=10x7 op=0 BIND dn=\"uid=x\" method=128\n",  # connection id unreadable
        b"6b07e139.355048f3 0x7f conn=1006 op=3 BIND dn=\"uid=never-closed method=128\n",
        b"6b07e139.355048f3 0x7f conn=1006 op=4 RESULT tag=97 qtime=0.1\n",  # no err=
        b"\xff\xfe\x00 conn=\x00\n",
    ]
    lines = DEBUG_LINES.splitlines(keepends=True)
    parser = StatsLogParser()
    events = list(parser.parse([*lines[:4], *junk, *lines[4:]], "stats.log"))
    assert len(events) == 2
    assert parser.counts.garbled == 4
    assert [g.where for g in parser.garbled] == ["stats.log:5", "stats.log:6", "stats.log:7", "stats.log:8"]
    assert all(" / " in g.reason for g in parser.garbled)  # English and Japanese


def test_syslog_prefixed_lines_with_their_host_and_zone() -> None:
    lines = [
        b"Nov 26 17:30:00 ldap01 slapd[1234]: conn=1001 fd=12 ACCEPT from IP=[2001:db8::7]:50000 (IP=[::]:636)\n",
        b"Nov 26 17:30:00 ldap01 slapd[1234]: conn=1001 op=0 BIND dn=\"" + DN.encode() + b"\" method=128\n",
        b"Nov 26 17:30:00 ldap02 slapd[99]: conn=1001 op=0 RESULT tag=97 err=0 qtime=0.0 etime=0.1 text=\n",
        b"Nov 26 17:30:01 ldap01 slapd[1234]: conn=1001 op=0 RESULT tag=97 err=0 qtime=0.0 etime=0.1 text=\n",
        b"2026-11-26T17:31:00.250000+09:00 ldap03 slapd[7]: conn=5 fd=9 ACCEPT from IP=192.0.2.9:4000 (IP=0.0.0.0:389)\n",
        b"2026-11-26T17:31:00.300000+09:00 ldap03 slapd[7]: conn=5 op=0 BIND dn=\"" + DN.encode() + b"\" method=128\n",
        b"2026-11-26T17:31:00.400000+09:00 ldap03 slapd[7]: conn=5 op=0 RESULT tag=97 err=50 qtime=0 etime=0 text=\n",
    ]
    parser = StatsLogParser(reference=datetime(2026, 11, 27, tzinfo=UTC), timezone=ZoneInfo("Asia/Tokyo"))
    events = list(parser.parse(lines))
    # ldap02's RESULT belongs to another server's conn=1001 and is not joined.
    assert [(e.source_ip, e.outcome, e.error_code) for e in events] == [
        ("2001:db8::7", "success", None), ("192.0.2.9", "failure", "50")]
    assert events[0].event_time == datetime(2026, 11, 26, 8, 30, 0, tzinfo=UTC)  # 17:30 JST
    assert events[1].event_time == datetime(2026, 11, 26, 8, 31, 0, 300000, tzinfo=UTC)
    assert parser.counts.unmatched_results == 1


def test_december_lines_read_in_january_belong_to_the_previous_year() -> None:
    lines = [b"Dec 31 23:59:59 h slapd[1]: conn=1 op=0 BIND dn=\"cn=a\" method=128\n",
             b"Dec 31 23:59:59 h slapd[1]: conn=1 op=0 RESULT tag=97 err=0 text=\n"]
    events = list(StatsLogParser(reference=datetime(2027, 1, 1, 0, 5, tzinfo=UTC)).parse(lines))
    assert events[0].event_time.year == 2026


def test_sasl_bind_takes_the_mapped_dn_and_waits_for_the_final_result() -> None:
    lines = [
        b"6b07e139.00000001 0x1 conn=7 fd=5 ACCEPT from PATH=/run/slapd/ldapi (PATH=/run/slapd/ldapi)\n",
        b"6b07e139.00000002 0x1 conn=7 op=0 BIND dn=\"\" method=163\n",
        b"6b07e139.00000003 0x1 conn=7 op=0 RESULT tag=97 err=14 text=SASL(0): successful result\n",
        b"6b07e139.00000004 0x1 conn=7 op=0 BIND authcid=\"alice\" authzid=\"alice\"\n",
        b"6b07e139.00000005 0x1 conn=7 op=0 BIND dn=\"" + DN.encode() + b"\" mech=EXTERNAL sasl_ssf=0 ssf=71\n",
        b"6b07e139.00000006 0x1 conn=7 op=0 RESULT tag=97 err=0 text=\n",
    ]
    parser = StatsLogParser()
    events = list(parser.parse(lines))
    assert [(e.principal, e.outcome, e.source_ip) for e in events] == [(DN, "success", None)]  # a local socket
    assert parser.counts.garbled == 0


def test_a_restarted_slapd_forgets_its_old_connections() -> None:
    lines = [
        *DEBUG_LINES.splitlines(keepends=True)[:3],
        b"6b07e200.00000000 0x1 slapd starting\n",
        b"6b07e200.00000001 0x1 conn=1006 op=0 RESULT tag=97 err=0 text=\n",
    ]
    parser = StatsLogParser()
    assert list(parser.parse(lines)) == []
    assert parser.counts.unmatched_results == 1


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as stream:
        stream.write(data)


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "slapd.log"
    lines = DEBUG_LINES.splitlines(keepends=True)
    _append(log, b"".join(lines[:3]) + lines[3][:20])  # the last line is still being written
    parser = StatsLogParser()
    position = None
    events = []

    def run() -> None:
        nonlocal position, parser
        parser = StatsLogParser(StatsState.from_json(parser.state.to_json()))
        reached = position
        for segment in logfiles.plan(log, position):
            reached = logfiles.FilePosition(str(segment.path), segment.inode, segment.offset)
            for line, end in logfiles.complete_lines(segment):
                event = parser.feed(line)
                if event is not None:
                    events.append(event)
                reached.offset = end
        assert reached is not None
        position = logfiles.FilePosition(str(log), logfiles.file_identity(log), reached.offset) \
            if reached.inode == logfiles.file_identity(log) else reached

    run()
    assert events == [] and position is not None and position.offset == len(b"".join(lines[:3]))
    _append(log, lines[3][20:] + lines[4])
    os.rename(log, tmp_path / "slapd.log.1")  # logrotate: the old file moves, slapd writes on
    _append(tmp_path / "slapd.log.1", b"".join(lines[5:7]))
    _append(log, b"".join(lines[7:]))
    run()
    assert [(e.outcome, e.source_ip) for e in events] == [("failure", "10.1.2.3"), ("success", "10.1.2.3")]
    assert position is not None and position.inode == logfiles.file_identity(log)
    assert position.offset == log.stat().st_size


def test_a_file_truncated_in_place_is_read_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "slapd.log"
    log.write_bytes(DEBUG_LINES)
    position = logfiles.FilePosition(str(log), logfiles.file_identity(log), len(DEBUG_LINES))
    log.write_bytes(DEBUG_LINES[:100])  # copytruncate, then slapd wrote a little
    segments = logfiles.plan(log, position)
    assert [(s.offset, bool(s.notes)) for s in segments] == [(0, True)]
