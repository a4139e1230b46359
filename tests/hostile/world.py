"""The small world the hostile inputs are thrown at: one vendor with an AWS, a files and an LDAP source over two
declared accounts, and a second vendor with an account of its own."""

from __future__ import annotations

VENDOR_PROD = "111111111111"
VENDOR_DEV = "222222222222"
OTHER_VENDOR = "333333333333"
UNDECLARED = "999999999999"

REGISTRY = f"""\
version: 1
organization:
  name: {{ja: テスト証券, en: Test Securities}}
vendors:
  - id: acme
    name: {{ja: アクメ, en: Acme}}
    tier: high
    handles_customer_data: true
    environments:
      - id: acme-prod
        kind: production
        aws_accounts: ["{VENDOR_PROD}"]
      - id: acme-dev
        kind: development
        aws_accounts: ["{VENDOR_DEV}"]
        directory: {{base_dn: "dc=acme,dc=example"}}
    sources:
      - id: acme-aws
        kind: aws
        environment: acme-prod
        regions: [ap-northeast-1]
        profile: acme-audit
      - id: acme-files
        kind: files
        environment: acme-prod
        path: delivered  # beside the registry, where commands run (collect)
        settle_seconds: 0
        schedule: {{interval_minutes: 60}}  # the scheduler's pass collects it too (scheduler --run-pending)
      - id: acme-ldap
        kind: ldap
        environment: acme-dev
        url: ldaps://ldap.acme.example:636
        bind_dn: cn=vendorwatch,dc=acme,dc=example
        password_env: VW_ACME_LDAP_PASSWORD
  - id: other
    name: {{ja: 他社, en: Other}}
    tier: medium
    handles_customer_data: false
    environments:
      - id: other-prod
        kind: production
        aws_accounts: ["{OTHER_VENDOR}"]
    sources:
      - id: other-files
        kind: files
        environment: other-prod
"""
