"""A stand-in for an Active Directory domain controller's LDAP answers, for what slapd cannot serve.

No real AD can run here (it needs Windows Server; a Samba AD DC needs a provisioned domain, root and minutes), and
slapd has no ranged retrieval and no fine-grained password policies. ldap3's MOCK_SYNC strategy does not help
either: it returns every value of an attribute at once and skips ldap3's own range handling. So this fake stands
in for ``ldap3.Connection`` under the real :class:`connectors.ldap.connection.Directory` and answers the way a DC
does on the wire (MS-ADTS 3.1.1.3.1.3.3, "Range Retrieval of Attribute Values"):

- a multi-valued attribute with more values than MaxValRange (1,500) comes back as ``member;range=0-1499`` and
  no plain ``member``; a base read asking for ``member;range=1500-*`` gets ``member;range=1500-2999`` and the last
  part is named ``member;range=3000-*``;
- attribute names are spelled as AD spells them (``sAMAccountName``, ``msDS-LockoutThreshold``), DNs in upper
  case RDN types, values as byte strings (FILETIME and intervals as decimal text, Booleans ``TRUE``/``FALSE``);
- ``hidden`` DNs behave as AD does for objects the reader may not see: a base read is ``noSuchObject`` and a
  search under them returns nothing; a ``refused`` DN answers a base read with ``insufficientAccessRights``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ldap3.core.exceptions import LDAPInsufficientAccessRightsResult, LDAPNoSuchObjectResult

from vendorwatch.dn import canonical_dn

MAX_VAL_RANGE = 1500


@dataclass
class FakeDomainController:
    """Entries by DN (AD's spelling), each a dict of attribute name → list of bytes."""

    entries: dict[str, dict[str, list[bytes]]]
    hidden: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # a base read answered insufficientAccessRights (50)
    max_val_range: int = MAX_VAL_RANGE
    drop_follow_ups: bool = False  # a DC that stops answering the follow-up reads (the group was deleted)
    response: list[dict[str, Any]] | None = None
    result: dict[str, Any] | None = None
    range_reads: list[str] = field(default_factory=list)

    @property
    def extend(self) -> Any:
        """``connection.extend.standard.paged_search`` as ldap3 offers it."""
        fake = self

        class _Standard:
            def paged_search(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                return fake._paged(**kwargs)

        class _Extend:
            standard = _Standard()

        return _Extend()

    def _visible(self, dn: str) -> bool:
        key = canonical_dn(dn)
        return not any(key == canonical_dn(h) or key.endswith("," + canonical_dn(h)) for h in self.hidden)

    def _matches(self, dn: str, values: dict[str, list[bytes]], search_filter: str) -> bool:
        classes = {v.decode().lower() for v in values.get("objectClass", [])}
        wanted = search_filter.lower()
        if "objectcategory=person" in wanted:
            return "user" in classes and "computer" not in classes
        if "objectclass=group" in wanted:
            return "group" in classes
        if "msds-passwordsettings" in wanted:
            return "msds-passwordsettings" in classes
        return True

    def _wire(self, dn: str, values: dict[str, list[bytes]], attributes: list[str]) -> dict[str, Any]:
        """One searchResEntry as ldap3 hands it over, long attributes cut to the first range."""
        wanted = {a.lower() for a in attributes}
        raw: dict[str, list[bytes]] = {}
        for name, items in values.items():
            if name.lower() not in wanted or not items:
                continue
            if len(items) > self.max_val_range:
                raw[f"{name};range=0-{self.max_val_range - 1}"] = items[: self.max_val_range]
            else:
                raw[name] = list(items)
        return {"type": "searchResEntry", "dn": dn, "raw_attributes": raw}

    def _paged(self, *, search_base: str, search_filter: str, attributes: list[str], **_: Any) -> Iterator[dict[str, Any]]:
        base = canonical_dn(search_base)
        for dn, values in self.entries.items():
            key = canonical_dn(dn)
            if (key == base or key.endswith("," + base)) and self._visible(dn) \
                    and self._matches(dn, values, search_filter):
                yield self._wire(dn, values, attributes)
        self.result = {"result": 0, "description": "success"}

    def search(self, dn: str, search_filter: str, search_scope: Any = None, attributes: list[str] | None = None,
               **_: Any) -> bool:
        """A base read: the entry's attributes, or the next part of a ranged one (``member;range=1500-*``)."""
        if any(canonical_dn(dn) == canonical_dn(r) for r in self.refused):
            self.result = {"result": 50, "description": "insufficientAccessRights"}
            raise LDAPInsufficientAccessRightsResult(result=50, description="insufficientAccessRights")
        found = next((v for d, v in self.entries.items() if canonical_dn(d) == canonical_dn(dn)), None)
        if found is None or not self._visible(dn):
            self.result = {"result": 32, "description": "noSuchObject"}
            raise LDAPNoSuchObjectResult(result=32, description="noSuchObject")
        self.result = {"result": 0, "description": "success"}
        raw: dict[str, list[bytes]] = {}
        plain: list[str] = []
        for asked in attributes or []:
            name, _, wanted = asked.partition(";range=")
            if not wanted:
                plain.append(asked)
                continue
            self.range_reads.append(asked)
            if self.drop_follow_ups:
                continue
            values = next((v for n, v in found.items() if n.lower() == name.lower()), [])
            low = int(wanted.split("-", 1)[0])
            high = low + self.max_val_range - 1
            spelled = next(n for n in found if n.lower() == name.lower())
            if high >= len(values) - 1:
                raw[f"{spelled};range={low}-*"] = values[low:]
            else:
                raw[f"{spelled};range={low}-{high}"] = values[low:high + 1]
        if plain:
            raw |= self._wire(dn, found, plain)["raw_attributes"]
        self.response = [{"type": "searchResEntry", "dn": dn, "raw_attributes": raw}]
        return True

    def unbind(self) -> None:
        """Nothing to close."""
