"""SQL building blocks shared by checks, written once for SQLite and PostgreSQL.

Checks aggregate in the database (GROUP BY, window functions, joins) and bring back only the small set
of rows they judge; these helpers hide the few places where the two dialects differ (epoch seconds,
local time of day in the organization's zone).

GROUPING: group events by their many-valued column first (principal, credential), not by ``vendor_id``
(SQLite would walk ``ix_access_events_vendor_time`` row by row; measured in docs/performance.md, "Check SQL").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, false, func, literal, or_, select, true
from sqlalchemy import Integer as SAInteger
from sqlalchemy.orm import Session

from vendorwatch.checks.model import first_and_newest, newest_kept
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, PRINCIPALS
from vendorwatch.dn import canonical_dn, looks_like_dn
from vendorwatch.registry.models import WEEKDAYS, HoursWindow

# Events named per finding when a check finds many at once (the count is in the details): enough to trace.
EVIDENCE_PER_GROUP = 20

# Principal kinds that stand for a person's account (as opposed to roles, services and keys).
PERSONAL_KINDS = ("iam_user", "ldap_account", "ad_account")
# Principal kinds named by a DN (directory accounts): compared as LDAP compares DNs (``vendorwatch.dn``).
DN_KINDS = ("ldap_account", "ad_account")


def epoch_seconds(column: ColumnElement[Any], dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a stored (naive UTC) timestamp."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)  # type: ignore[return-value]


def time_bucket(column: ColumnElement[Any], dialect: str, seconds: int) -> ColumnElement[int]:
    """The window of ``seconds`` an event falls in, as an integer (windows since 1970, UTC)."""
    if dialect == "sqlite":
        # Integer seconds divided as integers: julianday's floating point puts 01:00:00 into the 00 hour.
        return cast(func.strftime("%s", column), SAInteger) // seconds
    return cast(func.floor(func.extract("epoch", column) / float(seconds)), SAInteger)


def hour_bucket(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """The UTC hour an event falls in, as an integer (hours since 1970)."""
    return time_bucket(column, dialect, 3600)


# Offsets are looked up within these instants; an event outside them (a time no import stores today, but one an
# older version did, such as 9999-12-31) takes the nearest piece's offset instead of a probe through millennia.
_OFFSETS_FROM = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSETS_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)


def _offset_segments(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(from, offset seconds) pieces of a zone between two UTC instants, found by probing every 6 hours."""
    tz = ZoneInfo(zone)
    start = min(max(start, _OFFSETS_FROM), _OFFSETS_UNTIL)
    end = min(max(end, start), _OFFSETS_UNTIL)
    moment = start.replace(minute=0, second=0, microsecond=0)
    segments: list[tuple[datetime, int]] = []
    step = timedelta(hours=6)
    previous: int | None = None
    while moment <= end + step:
        offset = int(moment.astimezone(tz).utcoffset().total_seconds())  # type: ignore[union-attr]
        if offset != previous:
            # Refine the change to the hour (zones change offset on the hour or half hour).
            exact = moment
            if previous is not None:
                probe = moment - step
                while probe < moment:
                    if int(probe.astimezone(tz).utcoffset().total_seconds()) == offset:  # type: ignore[union-attr]
                        exact = probe
                        break
                    probe += timedelta(minutes=30)
            segments.append((exact, offset))
            previous = offset
        moment += step
    return segments


def local_parts(column: ColumnElement[Any], dialect: str, zone: str,
                span: tuple[datetime, datetime] | None = None) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(weekday 0=Monday, minute of the day) of a timestamp in ``zone``.

    Integer arithmetic on epoch seconds plus the zone's UTC offset, on both databases: SQLite has no zone
    database, and PostgreSQL's per-row zone conversion costs more than the rest of the query. The zone's
    offsets over ``span`` (the time range of the data) are written into the query as a CASE over instants.
    """
    start, end = span or (datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))
    segments = _offset_segments(zone, start, end)
    if len(segments) == 1:
        offset_expr: ColumnElement[Any] = literal(segments[0][1])
    else:
        whens = [(column < segments[i + 1][0], seg[1]) for i, seg in enumerate(segments[:-1])]
        offset_expr = case(*whens, else_=segments[-1][1])
    if dialect == "sqlite":
        epoch: ColumnElement[Any] = cast(func.strftime("%s", column), SAInteger)
    else:
        epoch = cast(func.floor(func.extract("epoch", column)), BigInteger)
    # 1970-01-01 was a Thursday (Monday = 0 → +3); the instants are after 1970, so / truncates like floor.
    seconds = epoch + offset_expr
    dow = (seconds // 86400 + 3) % 7
    minutes = (seconds % 86400) // 60
    return dow, minutes


def _minutes(hhmm: str) -> int:
    if hhmm == "24:00":
        return 24 * 60
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def inside_window(dow: ColumnElement[int], minutes: ColumnElement[int], window: HoursWindow) -> ColumnElement[bool]:
    """SQL truth of ``window.contains`` for a local weekday and minute of day (windows may cross midnight)."""
    days = [WEEKDAYS.index(d) for d in window.days]
    start, end = _minutes(window.start), _minutes(window.end)
    if start < end:
        return and_(dow.in_(days), minutes >= start, minutes < end)
    following = [(d + 1) % 7 for d in days]
    return or_(and_(dow.in_(days), minutes >= start), and_(dow.in_(following), minutes < end))


def time_span(session: Session, vendor_ids: Sequence[str]) -> tuple[datetime, datetime] | None:
    """The first and last event time of the given vendors (to bound zone offsets).

    One MIN and one MAX per vendor, each a single seek in ``ix_access_events_vendor_time``.
    """
    lows, highs = [], []
    for vendor_id in vendor_ids:
        # Two statements: SQLite answers a lone MIN or MAX from the index, but scans for both at once.
        low = session.execute(select(func.min(EVENTS.c.event_time)).where(EVENTS.c.vendor_id == vendor_id)).scalar()
        high = session.execute(select(func.max(EVENTS.c.event_time)).where(EVENTS.c.vendor_id == vendor_id)).scalar()
        if low is not None and high is not None:
            lows.append(as_utc(low))
            highs.append(as_utc(high))
    return (min(lows), max(highs)) if lows else None




def in_or_false(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (...)``; an empty list is simply false."""
    items = list(values)
    return column.in_(items) if items else false()


def event_ids(session: Session, *where: ColumnElement[bool], limit: int = 50) -> list[str]:
    """The source's own ids of the first events matching ``where`` and the newest few (evidence for a finding),
    in time order."""
    newest = newest_kept(limit)
    order = (EVENTS.c.event_time, EVENTS.c.id)
    first = session.execute(select(EVENTS.c.event_time, EVENTS.c.id, EVENTS.c.source_event_id).where(*where)
                            .order_by(*order).limit(limit - newest)).all()
    last = session.execute(select(EVENTS.c.event_time, EVENTS.c.id, EVENTS.c.source_event_id).where(*where)
                           .order_by(*(c.desc() for c in order)).limit(newest)).all() if newest else []
    picked = {row.id: row for row in [*first, *last]}
    return [row.source_event_id for row in sorted(picked.values(), key=lambda r: (r.event_time, r.id))]


def event_ids_by(session: Session, keys: Sequence[ColumnElement[Any]], *where: ColumnElement[bool],
                 limit: int = EVIDENCE_PER_GROUP) -> dict[tuple[Any, ...], list[str]]:
    """The first source event ids per group of ``keys`` among the events matching ``where``, and the newest
    few (``limit`` in all, in time order).

    Two queries instead of one per finding. The first ranks (group, time) with ROW_NUMBER both ways using only
    the columns of the check's own query, so the covering index that served the check serves it too (a row id
    or event id in it would make the database visit the table for every candidate row); the second reads
    the event ids of the few (group, time) pairs kept.
    """
    newest = newest_kept(limit)
    rank = func.row_number().over(partition_by=list(keys), order_by=EVENTS.c.event_time)
    back = func.row_number().over(partition_by=list(keys), order_by=EVENTS.c.event_time.desc())
    labelled = [key.label(f"k{i}") for i, key in enumerate(keys)]
    ranked = select(*labelled, EVENTS.c.event_time, rank.label("rank"), back.label("back")).where(*where).subquery()
    kept = session.execute(select(ranked).where(or_(ranked.c.rank <= limit - newest, ranked.c.back <= newest))).all()
    wanted = {tuple(row[: len(keys) + 1]) for row in kept}
    firsts = sorted({pair[0] for pair in wanted}, key=str)
    times = sorted({pair[-1] for pair in wanted})
    found: dict[tuple[Any, ...], list[tuple[Any, int, str]]] = {}
    # (first key, time) lists ride an index that leads with the first key (on SQLite the identity or
    # customer index, or (vendor_id, event_time)); the exact (group, time) pairs are then picked here.
    for start in range(0, len(times), 5000):
        rows = session.execute(
            select(*labelled, EVENTS.c.event_time, EVENTS.c.id, EVENTS.c.source_event_id)
            .where(*where, in_or_false(keys[0], firsts), EVENTS.c.event_time.in_(times[start:start + 5000]))
        )
        for row in rows:
            key = tuple(row[: len(keys)])
            if (*key, row.event_time) in wanted:
                found.setdefault(key, []).append((row.event_time, row.id, row.source_event_id))
    return {key: [event_id for _, _, event_id in first_and_newest(sorted(events), limit)]
            for key, events in found.items()}


def customer_events() -> ColumnElement[bool]:
    """Events on customer data, written as SQLite's partial index ``ix_access_events_customer`` is, so it is used."""
    return EVENTS.c.customer_data == true()


# The columns a check reading individual API calls (policies, switches, attempts) looks at.
CALL_COLUMNS = ("vendor_id", "environment_id", "account_id", "region", "service", "action", "event_time", "principal",
                "session_issuer", "source_event_id", "bucket", "resource", "details", "error_code", "customer_data")


def calls(session: Session, actions: Iterable[str], outcome: str = "success") -> list[Any]:
    """The API calls named ``actions`` with the given outcome, in time order (a seek in the action index)."""
    return list(session.execute(
        select(*(EVENTS.c[name] for name in CALL_COLUMNS))
        .where(EVENTS.c.action.in_(list(actions)), EVENTS.c.outcome == outcome)
        .order_by(EVENTS.c.event_time, EVENTS.c.id)
    ))


def dn_spellings(session: Session) -> dict[str, frozenset[str]]:
    """Every spelling of each directory DN in the events and the inventory, by canonical DN.

    DNs are stored as each source spelled them (the directory's own case, slapd's normalized log, ...), and an
    index can only find a spelling exactly: a check turns a DN into its spellings here once, then asks
    ``principal IN (...)`` (:func:`same_principal`), which the indexes serve. One grouped read of the directory
    events (on SQLite a range of ``ix_access_events_identity``) and of the directory accounts.
    """
    found: dict[str, set[str]] = {}
    rows = session.execute(select(EVENTS.c.principal).where(EVENTS.c.principal_kind.in_(DN_KINDS))
                           .group_by(EVENTS.c.principal))
    for (principal,) in rows:
        if principal and looks_like_dn(principal):
            found.setdefault(canonical_dn(principal), set()).add(principal)
    for (external_id,) in session.execute(select(PRINCIPALS.c.external_id).where(PRINCIPALS.c.kind.in_(DN_KINDS))):
        found.setdefault(canonical_dn(external_id), set()).add(external_id)
    return {key: frozenset(values) for key, values in found.items()}


def spellings_among(session: Session, identity: str, *where: ColumnElement[bool]) -> list[str]:
    """The spellings of a DN among the directory events matching ``where`` (one grouped read, on SQLite a range
    of ``ix_access_events_identity`` when ``where`` bounds outcome and time): what ``principal IN`` then asks for."""
    key = canonical_dn(identity)
    rows = session.execute(select(EVENTS.c.principal).where(*where, EVENTS.c.principal_kind.in_(DN_KINDS))
                           .group_by(EVENTS.c.principal))
    return sorted(p for (p,) in rows if p and looks_like_dn(p) and canonical_dn(p) == key)


def spellings_of(identity: str, spellings: dict[str, frozenset[str]]) -> list[str]:
    """The identity and, for a DN, every stored spelling of it (sorted)."""
    if not looks_like_dn(identity):
        return [identity]
    return sorted(spellings.get(canonical_dn(identity), frozenset()) | {identity})


def same_principal(column: ColumnElement[Any], identity: str,
                   spellings: dict[str, frozenset[str]]) -> ColumnElement[bool]:
    """``column`` names ``identity``: equal, or for a DN any spelling of it (an ``IN`` the indexes serve)."""
    names = spellings_of(identity, spellings)
    return column == names[0] if len(names) == 1 else column.in_(names)
