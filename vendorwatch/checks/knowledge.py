"""What the registry says that checks need, indexed once per evaluation (small; held in memory).

The registry is configuration (a few hundred rows at most), so it is read from the model in force; the
events and inventories it is compared with stay in the database.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from vendorwatch.dn import identity_key
from vendorwatch.registry.models import DeclaredAccount, Environment, HoursWindow, Registry, RosterMember, Vendor

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address, or None for what CloudTrail puts there instead (``AWS Internal``, a service name)."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def networks(cidrs: list[str] | None) -> list[IpNetwork]:
    """Parsed CIDRs (validated by the registry already)."""
    return [ipaddress.ip_network(c, strict=False) for c in cidrs or []]


def ip_allowed(ip: str | None, allowed: list[IpNetwork]) -> bool | None:
    """Whether an address is inside the allowed networks; None when the value is not an address."""
    address = parse_ip(ip)
    if address is None:
        return None
    return any(address in network for network in allowed)


@dataclass(frozen=True)
class RosterEntry:
    """One identity of one roster member."""

    vendor_id: str
    person: str
    since: date
    until: date | None
    external_id: str


@dataclass
class Knowledge:
    """Indexes over the registry used by many checks."""

    registry: Registry
    roster: list[RosterEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        for vendor in self.registry.vendors:
            for member in vendor.roster:
                for identity in member.identities:
                    self.roster.append(RosterEntry(vendor.id, member.person, member.since, member.until, identity))

    @cached_property
    def vendors(self) -> dict[str, Vendor]:
        """Vendors by id."""
        return {v.id: v for v in self.registry.vendors}

    @cached_property
    def environments(self) -> dict[str, Environment]:
        """Environments by id."""
        return {e.id: e for v in self.registry.vendors for e in v.environments}

    @cached_property
    def environment_vendor(self) -> dict[str, str]:
        """Vendor id of each environment."""
        return {e.id: v.id for v in self.registry.vendors for e in v.environments}

    @cached_property
    def account_environment(self) -> dict[str, str]:
        """Environment id of each AWS account."""
        return {a: e.id for v in self.registry.vendors for e in v.environments for a in e.aws_accounts}

    @cached_property
    def declared(self) -> dict[tuple[str, str], DeclaredAccount]:
        """Declared accounts by (vendor, principal)."""
        return {(v.id, a.principal): a for v in self.registry.vendors for a in v.accounts}

    def ancestors(self, vendor_id: str) -> list[str]:
        """The vendor's parent, its parent's parent, ... (a sub-vendor works inside its parents' environments)."""
        found: list[str] = []
        current = self.vendors.get(vendor_id)
        while current is not None and current.parent and current.parent not in found and current.parent != vendor_id:
            found.append(current.parent)
            current = self.vendors.get(current.parent)
        return found

    def in_one_chain(self, first: str, second: str) -> bool:
        """Whether two vendors are one, or one is a (sub-)sub-vendor of the other."""
        return first == second or first in self.ancestors(second) or second in self.ancestors(first)

    def chain(self, vendor_id: str) -> list[str]:
        """The vendor and every vendor in one parent chain with it (its parents and its sub-vendors)."""
        return [vendor_id] + [v for v in self.vendors if v != vendor_id and self.in_one_chain(v, vendor_id)]

    def chain_accounts(self, vendor_id: str) -> set[str]:
        """AWS accounts of the environments of the vendor and of the vendors in one chain with it."""
        return {a for v in self.chain(vendor_id) if v in self.vendors
                for e in self.vendors[v].environments for a in e.aws_accounts}

    def members(self, vendor_id: str) -> list[RosterMember]:
        """The roster of a vendor."""
        return list(self.vendors[vendor_id].roster) if vendor_id in self.vendors else []

    @cached_property
    def descendants(self) -> dict[str, list[str]]:
        """Sub-vendors of each vendor, at any depth (they may work inside its environments)."""
        found: dict[str, list[str]] = {v: [] for v in self.vendors}
        for vendor_id in self.vendors:
            for ancestor in self.ancestors(vendor_id):
                found.setdefault(ancestor, []).append(vendor_id)
        return found

    def _working_in(self, vendor_id: str) -> list[str]:
        """Vendors whose people may act in ``vendor_id``'s environments: itself first, then its sub-vendors."""
        return [vendor_id, *self.descendants.get(vendor_id, [])]

    @cached_property
    def roster_by_key(self) -> dict[tuple[str, str], list[RosterEntry]]:
        """Roster entries by (vendor, identity key): a DN in any spelling, anything else without case."""
        found: dict[tuple[str, str], list[RosterEntry]] = {}
        for entry in self.roster:
            found.setdefault((entry.vendor_id, identity_key(entry.external_id)), []).append(entry)
        return found

    @cached_property
    def declared_by_key(self) -> dict[tuple[str, str], DeclaredAccount]:
        """Declared accounts by (vendor, identity key of the principal)."""
        found: dict[tuple[str, str], DeclaredAccount] = {}
        for (vendor_id, principal), account in self.declared.items():
            found.setdefault((vendor_id, identity_key(principal)), account)
        return found

    def roster_for(self, vendor_id: str, external_id: str) -> list[RosterEntry]:
        """Roster entries naming this identity (a DN in any spelling LDAP deems equal) of the vendor or, acting
        in its environments, of its sub-vendors (再委託先)."""
        key = identity_key(external_id)
        for candidate in self._working_in(vendor_id):
            found = self.roster_by_key.get((candidate, key))
            if found:
                return list(found)
        return []

    def _declared_by(self, vendor_id: str, principal: str) -> DeclaredAccount | None:
        found = self.declared.get((vendor_id, principal))
        if found is None:
            found = self.declared_by_key.get((vendor_id, identity_key(principal)))
        return found

    def declared_for(self, vendor_id: str, *principals: str | None) -> DeclaredAccount | None:
        """The declared account matching any of the given principals (the ARN, or the role behind a session), of
        the vendor or of a sub-vendor working in its environments."""
        for candidate in self._working_in(vendor_id):
            for principal in principals:
                found = self._declared_by(candidate, principal) if principal else None
                if found is not None:
                    return found
        return None

    def owner_of(self, vendor_id: str, *principals: str | None) -> str | None:
        """The vendor whose roster or declared accounts name a principal acting in ``vendor_id``'s environments:
        the vendor itself, else the sub-vendor whose person it is; None when no roster names it."""
        for candidate in self._working_in(vendor_id):
            for principal in principals:
                if not principal:
                    continue
                if (candidate, identity_key(principal)) in self.roster_by_key \
                        or self._declared_by(candidate, principal):
                    return candidate
        return None

    def attributed(self, vendor_id: str, *principals: str | None) -> str:
        """The vendor an act is attributed to: the sub-vendor whose roster names the actor, else the vendor whose
        environment it happened in."""
        return self.owner_of(vendor_id, *principals) or vendor_id

    def registered(self, vendor_id: str, *principals: str | None) -> bool:
        """Whether a principal (or the role it assumed) is on the roster or declared, by the vendor or by a
        sub-vendor working in its environments."""
        return self.owner_of(vendor_id, *principals) is not None

    def allowed_networks(self, vendor_id: str, environment_id: str | None,
                         *principals: str | None) -> list[IpNetwork] | None:
        """Networks a principal may use in an environment: its declared networks, else the environment's."""
        account = self.declared_for(vendor_id, *principals)
        if account is not None and account.allowed_networks is not None:
            return networks(account.allowed_networks)
        environment = self.environments.get(environment_id or "")
        if environment is None or environment.allowed_networks is None:
            return None
        return networks(environment.allowed_networks)

    def allowed_hours(self, vendor_id: str, environment_id: str | None,
                      *principals: str | None) -> HoursWindow | None:
        """Hours a principal may act in an environment; None means any time."""
        account = self.declared_for(vendor_id, *principals)
        if account is not None and account.allowed_hours is not None:
            return None if account.allowed_hours == "any" else account.allowed_hours
        environment = self.environments.get(environment_id or "")
        return environment.allowed_hours if environment else None
