"""The OpenLDAP accesslog overlay (``cn=accesslog``) as access events, read incrementally by ``reqStart``.

Each accesslog entry is one operation: ``reqType`` (bind, modify, add, delete, modrdn, ...), ``reqDN`` (the
entry it was about: for a bind, the account that tried), ``reqResult`` (0 = success, 49 = invalid credentials)
and ``reqStart`` (its time, unique, also the entry's RDN — hence the source event id).

With the ppolicy overlay (and ``olcLastBind``) slapd records a bind that changed the account's password state as
the internal *modify* it caused: ``pwdFailureTime`` added for a failed bind (plus ``pwdAccountLockedTime`` when it
locked the account), ``pwdLastSuccess`` replaced for a successful one. Those entries are read back as the binds
they are. Values of modifications are never kept (they may hold password hashes), only attribute names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from connectors.ldap.connection import Directory, Entry
from connectors.ldap.inventory import normalize_dn
from connectors.ldap.values import generalized_time, text, texts
from vendorwatch.records import AccessEventRecord

ACCESSLOG_ATTRIBUTES = ["reqStart", "reqEnd", "reqType", "reqDN", "reqResult", "reqAuthzID", "reqSession",
                        "reqMethod", "reqMod", "reqMessage", "objectClass"]
#: Attributes an internal ppolicy / lastbind modify touches; a modify of only these is a bind's side effect.
_BIND_SIDE_EFFECTS = frozenset({"pwdfailuretime", "pwdaccountlockedtime", "pwdlastsuccess", "entrycsn",
                                "modifiersname", "modifytimestamp", "pwdgraceusetime"})


def _modified(entry: Entry) -> list[tuple[str, str]]:
    """(attribute, operation) pairs of ``reqMod`` values like ``pwdFailureTime:+ 2026...``; values dropped."""
    pairs = []
    for value in texts(entry.attributes, "reqmod"):
        head = value.split(" ", 1)[0]
        attribute, _, operation = head.partition(":")
        pairs.append((attribute, operation))
    return pairs


def transform_entry(entry: Entry) -> AccessEventRecord | None:
    """One accesslog entry as an access event; ``None`` for entries that are not operations."""
    raw = entry.attributes
    start = text(raw, "reqstart")
    when = generalized_time(start)
    kind = (text(raw, "reqtype") or "").lower()
    if start is None or when is None or not kind:
        return None
    result = text(raw, "reqresult") or "0"
    target = text(raw, "reqdn")
    actor = text(raw, "reqauthzid") or None
    details: dict[str, object] = {"session": text(raw, "reqsession"), "request_type": kind}
    action = kind
    outcome = "success" if result.strip() == "0" else "failure"
    error_code = None if outcome == "success" else result.strip()
    principal = actor.removeprefix("dn:") if actor else None
    if kind == "bind":
        principal = target
        details["method"] = text(raw, "reqmethod")
    elif kind == "modify":
        mods = _modified(entry)
        names = {a.lower() for a, _ in mods}
        details["attributes"] = sorted({a for a, _ in mods if a.lower() not in {"entrycsn", "modifiersname",
                                                                                 "modifytimestamp"}})
        if names and names <= _BIND_SIDE_EFFECTS and ("pwdfailuretime", "+") in {(a.lower(), o) for a, o in mods}:
            action, principal, outcome, error_code = "bind", target, "failure", "49"
            details["recorded_as"] = "ppolicy modify"
            details["locked_account"] = "pwdaccountlockedtime" in names
        elif names and names <= _BIND_SIDE_EFFECTS and "pwdlastsuccess" in names:
            action, principal, outcome, error_code = "bind", target, "success", None
            details["recorded_as"] = "lastbind modify"
    message = text(raw, "reqmessage")
    if message:
        details["message"] = message[:500]
    return AccessEventRecord(
        source_event_id=f"accesslog:{start}",
        event_time=when,
        action=action,
        principal=principal,
        principal_kind="ldap_account" if principal else None,
        service="ldap",
        resource=target,
        outcome=outcome,
        error_code=error_code,
        details=details,
    )


def search_filter(since: str | None) -> str:
    """Operations from ``since`` (a reqStart value, inclusive: re-reading it is a skipped duplicate) on."""
    operations = "(|(objectClass=auditBind)(objectClass=auditWriteObject))"
    if not since:
        return operations
    safe = "".join(c for c in since if c.isdigit() or c in ".Z")
    return f"(&{operations}(reqStart>={safe}))"


def get_accesslog(directory: Directory, base: str, since: str | None) -> Iterator[Entry]:
    """Accesslog entries from the checkpoint on, page by page as the server sends them.

    Never gathered in a list: a backlog of millions of operations is read in the memory of one page. The
    order does not matter to the event writer (duplicates are skipped by event id); the checkpoint is the
    newest ``reqStart`` seen (``NewestStart``).
    """
    return directory.paged(base, search_filter(since), ACCESSLOG_ATTRIBUTES, "reading the accesslog")


class NewestStart:
    """The newest ``reqStart`` of the entries passed through it (the next checkpoint), kept while streaming."""

    def __init__(self) -> None:
        self.value: str | None = None

    def seen(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        """The entries, unchanged, noting the newest ``reqStart`` among them."""
        for entry in entries:
            start = text(entry.attributes, "reqstart")
            if start and (self.value is None or start > self.value):
                self.value = start
            yield entry


def latest_successful_binds(events: Iterable[AccessEventRecord]) -> dict[str, datetime]:
    """The newest successful bind per principal DN (as ``normalize_dn`` spells it) among events."""
    latest: dict[str, datetime] = {}
    for event in events:
        if event.action == "bind" and event.outcome == "success" and event.principal:
            key = normalize_dn(event.principal)
            if key not in latest or event.event_time > latest[key]:
                latest[key] = event.event_time
    return latest
