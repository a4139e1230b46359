"""A streaming parser of slapd ``stats`` log lines that turns binds into access events with the client's IP.

slapd writes one line per step of a connection, so a bind is spread over several lines::

    conn=1006 fd=18 ACCEPT from IP=10.1.2.3:46151 (IP=0.0.0.0:636)
    conn=1006 op=0 BIND dn="uid=alice,ou=people,dc=example,dc=org" method=128
    conn=1006 op=0 RESULT tag=97 err=49 qtime=0.000039 etime=0.001307 text=
    conn=1006 fd=18 closed (connection lost)

The parser joins them by connection: the table of open connections (client IP) and of binds waiting for their
result is its ``state``, which the caller keeps in the checkpoint so connections that span files, rotations or
runs still join. Lines come with the ``-d stats`` prefix (hex time and thread), a syslog prefix
(``Nov 26 08:30:00 host slapd[12]:``) or an ISO-8601 syslog prefix. Lines that mention a connection but cannot
be read are counted and described (``garbled``), never fatal. The module is pure: bytes in, records out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from vendorwatch.i18n import Text, t
from vendorwatch.records import AccessEventRecord

#: More open connections than this means "closed" lines are being lost; the oldest are forgotten so memory
#: stays bounded whatever the file size.
MAX_OPEN_CONNECTIONS = 100_000
MAX_GARBLED_KEPT = 200

_MONTHS = {m.encode(): i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_IP = re.compile(rb"ACCEPT from (?:IP=\[([0-9A-Fa-f:.]+)\]:\d+|IP=([0-9.]+):\d+|PATH=(\S+))")
_BSD_PREFIX = re.compile(rb"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) ")
_ISO_PREFIX = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ")
_HEX_DIGITS = frozenset(bytes([c]) for c in b"0123456789abcdef")
_HEX_PREFIX = re.compile(rb"^([0-9a-f]{8,16})\.([0-9a-f]{8}) ")


@dataclass
class Garbled:
    """A line that mentions a connection but could not be read."""

    where: str
    reason: str  # "English / 日本語"
    text: str

    def message(self) -> Text:
        """What a run records of the line: the reason in each language, then the line itself."""
        english, _, japanese = self.reason.partition(" / ")
        return t(f"{japanese or english}: {self.text}", f"{english}: {self.text}")


@dataclass
class StatsState:
    """What carries from one file (or run) to the next: open connections and binds awaiting their result.

    ``connections`` maps ``host/conn`` to the client address; ``pending`` maps ``host/conn`` to
    ``{op: [dn, raw time, method]}``.
    """

    connections: dict[str, str] = field(default_factory=dict)
    pending: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able copy for the checkpoint."""
        return {"connections": dict(self.connections), "pending": {k: dict(v) for k, v in self.pending.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StatsState:
        """Back from a checkpoint (``None`` gives an empty state)."""
        if not data:
            return cls()
        return cls(connections=dict(data.get("connections") or {}),
                   pending={k: dict(v) for k, v in (data.get("pending") or {}).items()})


@dataclass
class ParseCounts:
    """What a parse saw."""

    lines: int = 0
    binds: int = 0
    garbled: int = 0
    unmatched_results: int = 0


class StatsLogParser:
    """Feed it lines (bytes, newline optional); it yields one ``AccessEventRecord`` per completed bind.

    ``reference`` dates syslog lines that carry no year (the nearest past year is chosen) and ``timezone`` is the
    zone such lines were written in; ``-d stats`` and ISO lines carry their own time.
    """

    def __init__(self, state: StatsState | None = None, *, reference: datetime | None = None,
                 timezone: tzinfo = UTC) -> None:
        self.state = state or StatsState()
        self.reference = reference or datetime.now(UTC)
        self.timezone = timezone
        self.counts = ParseCounts()
        self.garbled: list[Garbled] = []
        self._second_cache: dict[bytes, datetime] = {}

    # -- driving --------------------------------------------------------------------------------------------

    def parse(self, lines: Iterable[bytes], where: str = "") -> Iterator[AccessEventRecord]:
        """Every bind completed in ``lines``; ``where`` names the file for garbled-line reports."""
        number = 1
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 10_000:
                yield from self.feed_lines(batch, where, number)
                number += len(batch)
                batch = []
        yield from self.feed_lines(batch, where, number)

    def feed(self, line: bytes, where: str = "", number: int = 0) -> AccessEventRecord | None:
        """Take one line; the access event it completes, if any."""
        events = self.feed_lines([line], where, number)
        return events[0] if events else None

    def feed_lines(self, lines: list[bytes], where: str = "", first_number: int = 1) -> list[AccessEventRecord]:
        """Take consecutive lines (numbered from ``first_number`` in ``where``); the binds they complete.

        This loop is the hot path (a million lines in a few seconds): lines not about binds leave after a few
        byte searches, without a function call.
        """
        events: list[AccessEventRecord] = []
        number = first_number - 1
        for line in lines:
            number += 1
            index = line.find(b"conn=")
            if index < 0:
                if b"slapd starting" in line:
                    self._restart(line)
                continue
            # "conn=N op=M VERB ..." or "conn=N fd=F VERB ...": the verb is two spaces on.
            first = line.find(b" ", index)
            second = line.find(b" ", first + 1) if first > 0 else -1
            conn = line[index + 5:first]
            if second < 0 or not conn.isdigit():
                self._garble(where, number, "connection id unreadable / 接続番号を読めません", line)
                continue
            head = line[second + 1:second + 4]
            if head == b"RES":
                if line.startswith(b"RESULT tag=97 ", second + 1):
                    event = self._result(line, index, conn, line[first + 1:second], second, where, number)
                    if event is not None:
                        events.append(event)
            elif head == b"BIN":
                self._bind(line, index, conn, line[first + 1:second], second, where, number)
            elif head == b"ACC":
                self._accept(line, index, conn, second, where, number)
            elif head == b"clo":
                key = self._key(line, index, conn)
                self.state.connections.pop(key, None)
                self.state.pending.pop(key, None)
        self.counts.lines += len(lines)
        return events

    # -- line kinds -----------------------------------------------------------------------------------------

    def _key(self, line: bytes, index: int, conn: bytes) -> str:
        # "-d stats" lines (hex time first) come from the one server of the file: no host to tell apart.
        if line[8:9] == b"." and line[:1] in _HEX_DIGITS:
            return conn.decode()
        host = self._host(line[:index])
        return f"{host}/{conn.decode()}" if host else conn.decode()

    def _accept(self, line: bytes, index: int, conn: bytes, verb: int, where: str, number: int) -> None:
        address = _IP.match(line, verb + 1)
        if address is None:
            self._garble(where, number, "ACCEPT without address / 接続元を読めません", line)
            return
        connections = self.state.connections
        key = self._key(line, index, conn)
        connections.pop(key, None)
        self.state.pending.pop(key, None)
        connections[key] = (address.group(1) or address.group(2) or address.group(3) or b"").decode("ascii", "replace")
        if len(connections) > MAX_OPEN_CONNECTIONS:
            oldest = next(iter(connections))
            connections.pop(oldest)
            self.state.pending.pop(oldest, None)

    def _bind(self, line: bytes, index: int, conn: bytes, token: bytes, verb: int, where: str, number: int) -> None:
        start = line.find(b' dn="', verb)
        if not token.startswith(b"op=") or start < 0:
            if line.startswith((b"BIND authcid=", b"BIND anonymous"), verb + 1):
                return  # the middle step of a SASL bind: the DN comes on the next BIND line
            self._garble(where, number, "BIND without operation or DN / BIND を読めません", line)
            return
        end = line.rfind(b'" ', start)
        if end < start + 5:
            end = line.rfind(b'"', start)
        if end < start + 5:
            self._garble(where, number, "BIND DN not closed / BIND の DN が閉じていません", line)
            return
        dn = line[start + 5:end].decode("utf-8", "replace")
        key = self._key(line, index, conn)
        ops = self.state.pending.setdefault(key, {})
        op = token[3:].decode()
        method_at = line.find(b" method=", end)
        if method_at > 0:
            method = line[method_at + 8:].split(None, 1)[0].decode("ascii", "replace")
            ops[op] = [dn, line[:index].decode("utf-8", "replace"), method]
        elif op in ops and not ops[op][0]:
            ops[op][0] = dn  # SASL: the second BIND line names the DN the mechanism mapped to

    def _result(self, line: bytes, index: int, conn: bytes, token: bytes, verb: int, where: str,
                number: int) -> AccessEventRecord | None:
        err_at = line.find(b" err=", verb)
        if not token.startswith(b"op=") or err_at < 0:
            self._garble(where, number, "bind RESULT without operation or err / 結果を読めません", line)
            return None
        err_end = line.find(b" ", err_at + 5)
        digits = line[err_at + 5:err_end if err_end > 0 else len(line)].strip()
        if not digits.isdigit():
            self._garble(where, number, "bind RESULT err unreadable / 結果コードを読めません", line)
            return None
        code = int(digits)
        if code == 14:
            return None  # SASL bind in progress: the final RESULT follows
        key = self._key(line, index, conn)
        ops = self.state.pending.get(key)
        op = token[3:].decode()
        pending = ops.pop(op, None) if ops else None
        if pending is None:
            self.counts.unmatched_results += 1
            return None
        if not ops:
            self.state.pending.pop(key, None)
        dn, raw_prefix, method = pending
        when = self._time(raw_prefix.encode())
        if when is None:
            self._garble(where, number, "time unreadable / 時刻を読めません", line)
            return None
        self.counts.binds += 1
        ip = self.state.connections.get(key)
        # The prefix (time, thread or host and pid) is the same bytes whenever the same line is read again.
        identity = f"{key}|{op}|{raw_prefix}|{dn}"
        return AccessEventRecord(
            source_event_id="slapd:" + hashlib.sha256(identity.encode()).hexdigest()[:40],
            event_time=when,
            action="bind",
            principal=dn or None,
            principal_kind="ldap_account" if dn else None,
            service="ldap",
            resource=dn or None,
            source_ip=ip if ip and not ip.startswith("/") else None,
            outcome="success" if code == 0 else "failure",
            error_code=None if code == 0 else str(code),
            details={"conn": key, "op": op, "method": method, "anonymous": True} if not dn
            else {"conn": key, "op": op, "method": method},
        )

    def _restart(self, line: bytes) -> None:
        """A restarted slapd numbers connections anew: forget that host's open ones."""
        host = self._host(line[: line.find(b"slapd starting")])
        if not host:
            self.state.connections.clear()
            self.state.pending.clear()
            return
        prefix = f"{host}/"
        for table in (self.state.connections, self.state.pending):
            for key in [k for k in table if k.startswith(prefix)]:
                del table[key]

    def _garble(self, where: str, number: int, reason: str, line: bytes) -> None:
        self.counts.garbled += 1
        if len(self.garbled) < MAX_GARBLED_KEPT:
            self.garbled.append(Garbled(f"{where}:{number}" if where else str(number), reason,
                                        line[:300].decode("utf-8", "replace").rstrip()))

    # -- prefixes -------------------------------------------------------------------------------------------

    @staticmethod
    def _host(prefix: bytes) -> str:
        """The host of a syslog prefix, '' for ``-d stats`` lines (one server per file)."""
        if not prefix or _HEX_PREFIX.match(prefix):
            return ""
        match = _BSD_PREFIX.match(prefix) or _ISO_PREFIX.match(prefix)
        if match is None:
            return ""
        return match.group(match.lastindex or 1).decode("utf-8", "replace")

    def _time(self, prefix: bytes) -> datetime | None:
        """The time a line's prefix states, in UTC."""
        hexed = _HEX_PREFIX.match(prefix) if prefix[8:9] == b"." else None
        if hexed is not None:
            seconds = hexed.group(1)
            base = self._second_cache.get(seconds)
            if base is None:
                base = datetime.fromtimestamp(int(seconds, 16), UTC)
                if len(self._second_cache) > 4096:
                    self._second_cache.clear()
                self._second_cache[seconds] = base
            nanos = int(hexed.group(2), 16)
            return base + timedelta(microseconds=nanos // 1000) if nanos < 1_000_000_000 else base
        bsd = _BSD_PREFIX.match(prefix)
        if bsd is not None:
            month = _MONTHS.get(bsd.group(1))
            if month is None:
                return None
            try:
                year = self.reference.year
                local = datetime(year, month, int(bsd.group(2)), int(bsd.group(3)), int(bsd.group(4)),
                                 int(bsd.group(5)), tzinfo=self.timezone)
                if local.astimezone(UTC) > self.reference + timedelta(days=1):
                    local = local.replace(year=year - 1)  # December lines read in January
            except ValueError:
                return None
            return local.astimezone(UTC)
        iso = _ISO_PREFIX.match(prefix)
        if iso is not None:
            try:
                moment = datetime.fromisoformat(iso.group(1).decode().replace(",", "."))
            except ValueError:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.timezone)
            return moment.astimezone(UTC)
        return None
