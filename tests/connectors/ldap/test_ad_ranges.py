"""Large Active Directory groups read completely: ranged values (``member;range=0-1499``) as a DC sends them.

slapd sends every value at once and cannot serve ranged retrieval, and no real AD can run here, so these tests
put the real ``Directory`` over ``tests/connectors/ldap/fake_ad.py``, which answers as a domain controller does
(MaxValRange 1,500; see its docstring). The same large group on the real slapd is in test_dn_spellings_slapd.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.ldap.connection import Directory
from connectors.ldap.inventory import PolicyBook, get_directory_entries, transform_inventory
from tests.connectors.ldap.fake_ad import FakeDomainController
from vendorwatch.errors import SourceError
from vendorwatch.registry.models import LdapSource

BASE = "DC=ccs,DC=example"
BIG = f"CN=All Contractors,OU=Groups,{BASE}"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SOURCE = LdapSource(id="ccs-ad", kind="ldap", environment="ccs-prod", url="ldaps://dc01.ccs.example",
                    flavor="active_directory", bind_dn="CN=svc-vw,OU=Service,DC=ccs,DC=example",
                    password_env="VW_AD_PASSWORD", page_size=500)


def user_dn(index: int) -> str:
    return f"CN=Contractor {index:05d},OU=Staff,{BASE}"


def domain(members: int) -> FakeDomainController:
    entries: dict[str, dict[str, list[bytes]]] = {}
    for index in range(members):
        entries[user_dn(index)] = {
            "objectClass": [b"top", b"person", b"organizationalPerson", b"user"],
            "cn": [f"Contractor {index:05d}".encode()], "sAMAccountName": [f"c{index:05d}".encode()],
            "userAccountControl": [b"512"], "whenCreated": [b"20240401003015.0Z"],
        }
    entries[BIG] = {"objectClass": [b"top", b"group"], "cn": [b"All Contractors"],
                    "sAMAccountName": [b"All Contractors"], "groupType": [b"-2147483646"],
                    "member": [user_dn(i).encode() for i in range(members)]}
    return FakeDomainController(entries)


def test_a_group_of_3200_members_is_read_through_every_range() -> None:
    dc = domain(3200)
    entries = get_directory_entries(Directory(SOURCE, dc), BASE, "active_directory")  # type: ignore[arg-type]
    inventory = transform_inventory(entries, "active_directory", PolicyBook(), [BIG], NOW)
    # 0-1499 in the search, then 1500-2999, then 3000-* on follow-up reads of the group.
    assert dc.range_reads == ["member;range=1500-*", "member;range=3000-*"]
    members = {g.principal_external_id for g in inventory.grants if g.name == BIG}
    assert len(members) == 3200
    assert members == {user_dn(i) for i in range(3200)}
    assert all(g.is_admin for g in inventory.grants if g.name == BIG)
    (group,) = entries.groups
    assert "member" in group.attributes and not any(";range=" in name for name in group.attributes)


def test_a_range_the_dc_stops_sending_fails_the_read_instead_of_losing_members() -> None:
    dc = domain(1600)
    dc.drop_follow_ups = True
    with pytest.raises(SourceError) as caught:
        get_directory_entries(Directory(SOURCE, dc), BASE, "active_directory")  # type: ignore[arg-type]
    assert "member;range=1500-*" in " ".join(caught.value.details)


def test_a_group_below_the_range_limit_needs_no_follow_up() -> None:
    dc = domain(1500)
    entries = get_directory_entries(Directory(SOURCE, dc), BASE, "active_directory")  # type: ignore[arg-type]
    assert dc.range_reads == []
    assert len(entries.groups[0].attributes["member"]) == 1500
