"""Distinguished names compared as LDAP compares them: one canonical spelling for equality, never for display.

A directory, its logs and the registry spell one DN in many ways: ``CN=Alice,OU=People,DC=Example,DC=Jp``
(the registry), ``cn=alice,ou=people,dc=example,dc=jp`` (slapd's normalized log), ``cn=Alice, ou=People``
(spaces after separators), ``cn=Smith\\, John`` or ``cn=Smith\\2C John`` (an escaped comma), ``cn=A+uid=a``
(a multi-valued RDN, in any order). :func:`canonical_dn` maps all of them to one key: the DN is split with
ldap3's parser (``ldap3.utils.dn.parse_dn``, which honours escapes), attribute types are lower-cased, values
are unescaped, prepared as RFC 4518 prepares them for ``caseIgnoreMatch`` (NFKC, case folded, insignificant
spaces removed), re-escaped the one way RFC 4514 prescribes, and the parts of a multi-valued RDN are sorted.

The key is for comparing only: what is stored and shown stays as the directory spelled it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn

_HEX_ESCAPES = re.compile(r"((?:\\[0-9A-Fa-f]{2})+)")
_SPECIAL = frozenset('\\,+"<>;=')


def _unescape(value: str) -> str:
    """An RDN value with ``\\XX`` (UTF-8 bytes in hex) and ``\\c`` escapes resolved."""
    if "\\" not in value:
        return value
    out: list[str] = []
    index = 0
    while index < len(value):
        match = _HEX_ESCAPES.match(value, index)
        if match:
            raw = bytes(int(match.group(1)[i + 1:i + 3], 16) for i in range(0, len(match.group(1)), 3))
            out.append(raw.decode("utf-8", "replace"))
            index = match.end()
        elif value[index] == "\\" and index + 1 < len(value):
            out.append(value[index + 1])
            index += 2
        else:
            out.append(value[index])
            index += 1
    return "".join(out)


def _prepared(value: str) -> str:
    """RFC 4518 string preparation for caseIgnoreMatch: NFKC, case folded, runs of spaces as one, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _escaped(value: str) -> str:
    """RFC 4514 escaping of a (prepared) value: specials, and a leading ``#`` or space."""
    text = "".join(f"\\{c}" if c in _SPECIAL else c for c in value)
    if text.startswith(("#", " ")):
        text = "\\" + text
    return text


@lru_cache(maxsize=65536)
def canonical_dn(dn: str) -> str:
    """The key that is equal for two spellings of one DN (LDAP's distinguishedNameMatch with caseIgnore values).

    A value that is not a DN (no ``=``, unbalanced escapes) is returned trimmed and case folded, so comparing
    keys never fails, it only stops being clever.
    """
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPInvalidDnError:
        return _prepared(dn)
    rdns: list[list[str]] = [[]]
    for attribute, value, separator in parts:
        rdns[-1].append(f"{attribute.strip().lower()}={_escaped(_prepared(_unescape(value)))}")
        if separator == ",":
            rdns.append([])
    return ",".join("+".join(sorted(rdn)) for rdn in rdns if rdn)


def looks_like_dn(value: str | None) -> bool:
    """Whether a principal is written as a DN (``attr=value,...``), not an ARN, key id or user name."""
    if not value or "=" not in value or value.startswith("arn:"):
        return False
    head = value.split("=", 1)[0].strip()
    return bool(head) and all(c.isalnum() or c in "-." for c in head)


def identity_key(value: str) -> str:
    """How two principal spellings are compared: a DN by :func:`canonical_dn`, anything else case-insensitively."""
    return canonical_dn(value) if looks_like_dn(value) else value.lower()


def first_rdn_value(dn: str) -> str:
    """The value of the first RDN as the DN spells it, unescaped (``cn=Smith\\, John,ou=x`` → ``Smith, John``)."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPInvalidDnError:
        return dn.split(",", 1)[0].partition("=")[2]
    return _unescape(parts[0][1]) if parts else dn
