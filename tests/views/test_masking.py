"""People among principals are masked (IAM users, assumed-role sessions, directory accounts), services are not."""

from __future__ import annotations

import pytest

from vendorwatch.masking import mask_principal
from vendorwatch.views.personal import Masker


@pytest.mark.parametrize(("value", "masked"), [
    ("arn:aws:iam::123456789123:user/pedro", "arn:aws:iam::123456789123:user/p***"),
    ("arn:aws:iam::123456789123:user/ops/team/kobayashi.ken", "arn:aws:iam::123456789123:user/ops/team/k***"),
    ("arn:aws:sts::123456789123:assumed-role/Admin/hanako.sato@firm.example",
     "arn:aws:sts::123456789123:assumed-role/Admin/h***"),
    ("uid=takahashi.megumi,ou=people,dc=ccs,dc=example", "uid=t***,ou=people,dc=ccs,dc=example"),
    ("CN=Sato Hanako,OU=Users,DC=ccs,DC=example", "CN=S***,OU=Users,DC=ccs,DC=example"),
    ("mail hanako.sato@firm.example now", "mail h***@firm.example now"),
    # not people: roles, groups, service accounts, keys, resources
    ("arn:aws:iam::123456789123:role/nightly-batch", "arn:aws:iam::123456789123:role/nightly-batch"),
    ("cn=admins,ou=groups,dc=tradesys,dc=example", "cn=admins,ou=groups,dc=tradesys,dc=example"),
    ("CN=VendorWatch,OU=Service Accounts,DC=ccs,DC=example", "CN=VendorWatch,OU=Service Accounts,DC=ccs,DC=example"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("arn:aws:s3:::tradesys-dev-testdata/raw/customers.csv", "arn:aws:s3:::tradesys-dev-testdata/raw/customers.csv"),
])
def test_mask_principal(value: str, masked: str) -> None:
    assert mask_principal(value) == masked


def test_declared_service_accounts_are_kept() -> None:
    keep = frozenset({"arn:aws:iam::123456789123:user/breakglass", "uid=svc-backup,ou=services,dc=t,dc=example"})
    assert mask_principal("arn:aws:iam::123456789123:user/breakglass", keep) == "arn:aws:iam::123456789123:user/breakglass"
    kept = mask_principal("by uid=svc-backup,ou=services,dc=t,dc=example", keep)
    assert kept.endswith("uid=svc-backup,ou=services,dc=t,dc=example")


def test_a_message_loses_the_short_names_of_the_people_it_is_about() -> None:
    masker = Masker(masked=True)
    principals = ["arn:aws:iam::123837392027:user/bert-jan", "arn:aws:iam::123837392027:user/malicious-iam-user"]
    assert masker.text("CreateUser for malicious-iam-user, on no roster (by bert-jan)", principals) == \
        "CreateUser for m***, on no roster (by b***)"
    assert Masker(masked=False).text("by bert-jan", principals) == "by bert-jan"
    assert masker.name("佐藤 花子") == "佐藤 **" and masker.email("a.b@x.example") == "a***@x.example"
