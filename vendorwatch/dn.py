"""Distinguished names compared as LDAP compares them: one canonical spelling for equality, never for display.

A directory, its logs and the registry spell one DN in many ways: ``CN=Alice,OU=People,DC=Example,DC=Jp``
(the registry), ``cn=alice,ou=people,dc=example,dc=jp`` (slapd's normalized log), ``cn=Alice, ou=People``
(spaces after separators), ``cn=Smith\\, John`` or ``cn=Smith\\2C John`` (an escaped comma), ``cn=A+uid=a``
(a multi-valued RDN, in any order). :func:`canonical_dn` maps all of them to one key: the DN is split as
RFC 4514 reads it (escapes honoured, :func:`_parse`), attribute types are lower-cased, values are unescaped,
prepared as RFC 4518 prepares them for ``caseIgnoreMatch`` (NFKC, case folded, insignificant
spaces removed), re-escaped the one way RFC 4514 prescribes, and the parts of a multi-valued RDN are sorted.

The key is for comparing only: what is stored and shown stays as the directory spelled it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_SPECIAL = frozenset('\\,+"<>;=')
_HEX = frozenset("0123456789abcdefABCDEF")


def _parse(dn: str) -> list[list[tuple[str, str, bool]]] | None:
    """The RDNs of a DN, each a list of (attribute type, unescaped value, whether the value is ``#`` BER hex);
    ``None`` if it is not a DN.

    RFC 4514 strings (``\\,`` and ``\\2C`` escapes, ``+`` between the parts of an RDN, ``#`` BER values kept as
    written), with what older servers and people still write: blanks around separators, ``;`` for ``,`` and
    quoted values (RFC 1779). A scanner of its own rather than ``ldap3.utils.dn``: importing ldap3 would load
    all of ldap3 and pyasn1 into every process that compares principals (the CLI, the checks).
    """
    if "\\" not in dn and '"' not in dn and "#" not in dn:
        return _parse_plain(dn)
    rdns: list[list[tuple[str, str, bool]]] = [[]]
    index, length = 0, len(dn)
    while True:
        while index < length and dn[index] == " ":
            index += 1
        start = index
        while index < length and dn[index] not in "=,+;":
            index += 1
        attribute = dn[start:index].strip()
        if index >= length or dn[index] != "=" or not attribute \
                or not all(c.isalnum() or c in "-." for c in attribute):
            return None
        index += 1
        while index < length and dn[index] == " ":
            index += 1
        value = bytearray()
        ber = False
        if index < length and dn[index] == '"':
            closing = dn.find('"', index + 1)
            while closing != -1 and dn[closing - 1] == "\\":
                closing = dn.find('"', closing + 1)
            if closing == -1:
                return None
            value += dn[index + 1:closing].replace('\\"', '"').encode()
            index = closing + 1
        elif index < length and dn[index] == "#":
            ber = True
            start = index
            while index < length and dn[index] not in ",+;":
                index += 1
            value += dn[start:index].strip().encode()
        else:
            while index < length and dn[index] not in ",+;":
                char = dn[index]
                if char == "\\":
                    pair = dn[index + 1:index + 3]
                    if len(pair) == 2 and all(c in _HEX for c in pair):  # \XX: one byte of UTF-8
                        value.append(int(pair, 16))
                        index += 3
                    elif pair:  # \c: the character itself
                        value += pair[0].encode()
                        index += 2
                    else:
                        return None  # a DN may not end in a lone backslash
                    continue
                if char == '"':
                    return None  # an unescaped quote inside a value
                value += char.encode()
                index += 1
        rdns[-1].append((attribute, value.decode("utf-8", "replace"), ber))
        while index < length and dn[index] == " ":
            index += 1
        if index >= length:
            return rdns
        if dn[index] in ",;":
            rdns.append([])
        elif dn[index] != "+":
            return None
        index += 1


def _parse_plain(dn: str) -> list[list[tuple[str, str, bool]]] | None:
    """:func:`_parse` of a DN without escapes, quotes or BER values (nearly every DN), by splitting."""
    rdns = []
    for rdn in dn.replace(";", ",").split(","):
        parts = []
        for part in rdn.split("+"):
            attribute, equals, value = part.partition("=")
            attribute = attribute.strip()
            if not equals or not attribute or not all(c.isalnum() or c in "-." for c in attribute):
                return None
            parts.append((attribute, value.strip(), False))
        rdns.append(parts)
    return rdns


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

    A value that is not a DN (no ``=``, unbalanced escapes or quotes) is returned trimmed and case folded, so
    comparing keys never fails, it only stops being clever.
    """
    rdns = _parse(dn)
    if rdns is None:
        return _prepared(dn)
    return ",".join(
        "+".join(sorted(f"{attribute.lower()}={value.lower() if ber else _escaped(_prepared(value))}"
                        for attribute, value, ber in rdn))
        for rdn in rdns)


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
    rdns = _parse(dn)
    if rdns is None:
        return dn.split(",", 1)[0].partition("=")[2]
    return rdns[0][0][1].strip()
