"""DNs compared as LDAP compares them (vendorwatch.dn): every spelling of one DN has one key."""

from __future__ import annotations

import pytest

from vendorwatch.dn import canonical_dn, first_rdn_value, identity_key, looks_like_dn

SAME = [
    ("CN=Alice,OU=People,DC=Example,DC=Jp", "cn=alice,ou=people,dc=example,dc=jp"),
    ("cn=alice, ou=people , dc=example,dc=jp", "cn=alice,ou=people,dc=example,dc=jp"),
    ("cn=Smith\\, John,ou=People,dc=example,dc=jp", "CN=smith\\2C john,OU=people,DC=example,DC=jp"),
    ("cn=Alice  Smith,dc=x", "cn=alice smith,dc=x"),
    ("cn=Alice+uid=a1,ou=People,dc=x", "UID=A1 + CN=alice,ou=people,dc=x"),
    ("cn=\\e5\\b1\\b1\\e7\\94\\b0,dc=x", "cn=山田,dc=x"),
    ("cn=ﾔﾏﾀﾞ,dc=x", "cn=ヤマダ,dc=x"),  # half-width katakana, as some HR exports write it
]
DIFFERENT = [
    ("cn=Smith\\, John,ou=People,dc=x", "cn=Smith,cn=John,ou=People,dc=x"),
    ("cn=alice,ou=people,dc=x", "cn=alice,ou=staff,dc=x"),
    ("cn=alice+uid=a1,dc=x", "cn=alice,uid=a1,dc=x"),
]


@pytest.mark.parametrize(("first", "second"), SAME)
def test_spellings_of_one_dn_have_one_key(first: str, second: str) -> None:
    assert canonical_dn(first) == canonical_dn(second)
    assert identity_key(first) == identity_key(second)


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_different_dns_keep_different_keys(first: str, second: str) -> None:
    assert canonical_dn(first) != canonical_dn(second)


def test_the_key_re_escapes_what_needs_it() -> None:
    assert canonical_dn("CN=Smith\\2C John,DC=X") == "cn=smith\\, john,dc=x"
    assert canonical_dn("cn=\\#1,dc=x") == "cn=\\#1,dc=x"


def test_not_a_dn_is_compared_without_case() -> None:
    assert identity_key("arn:aws:iam::123456789012:user/Alice") == "arn:aws:iam::123456789012:user/alice"
    assert not looks_like_dn("arn:aws:iam::123456789012:user/a=b")
    assert not looks_like_dn("alice")
    assert looks_like_dn("uid=alice,ou=people,dc=example,dc=jp")


def test_first_rdn_value_unescapes() -> None:
    assert first_rdn_value("cn=Smith\\, John,ou=People") == "Smith, John"
    assert first_rdn_value("CN=Alice,OU=People") == "Alice"


@pytest.mark.parametrize(("first", "second"), [
    ('cn="Smith, John",ou=People,dc=x', "cn=Smith\\, John,ou=people,dc=x"),  # RFC 1779 quotes
    ("cn=alice;ou=people;dc=x", "cn=alice,ou=people,dc=x"),  # ; for , (older servers)
    ("cn=a=b,dc=x", "cn=a\\=b,dc=x"),  # = needs no escape in a value
    ("cn=#04024869,dc=x", "CN=#04024869,DC=X"),  # a BER value, compared as written
])
def test_older_and_rarer_spellings(first: str, second: str) -> None:
    assert canonical_dn(first) == canonical_dn(second)


@pytest.mark.parametrize("broken", ["cn=a,", "cn=a,,dc=x", "cn=a\\", 'cn="open,dc=x', "=a,dc=x", "cn a,dc=x",
                                    'cn=a"b,dc=x', "cn=\"a\"b,dc=x"])
def test_what_is_not_a_dn_is_compared_as_text(broken: str) -> None:
    assert canonical_dn(broken) == " ".join(broken.casefold().split())


def test_an_escaped_hash_is_not_a_ber_value() -> None:
    assert canonical_dn("cn=\\#04,dc=x") != canonical_dn("cn=#04,dc=x")


def test_comparing_dns_does_not_load_ldap3() -> None:
    import subprocess
    import sys

    code = "import sys, vendorwatch.dn; print('ldap3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
