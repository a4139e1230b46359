"""A partial index on the audit log for a contact's failed portal sign-ins.

The dashboard's portal contacts count each account's failed sign-ins of the last 30 days
(``action = 'portal.signin.failure' AND target IN (...) AND at >= ...``, ``vendorwatch/views/portal_contacts.py``):
without an index both databases read the whole log. The index serves it with one seek per account (covering:
the count reads no table row). It holds the entries of that action only: their targets are short account ids,
while a target of another action may be a path of any length, more than a PostgreSQL b-tree entry can hold
(2,704 bytes: an index on every target would refuse such an entry, and the action with it).

A plain ``CREATE INDEX`` on both databases: the table is not rebuilt, its append-only triggers stay.

Revision ID: 0010auditidx
Revises: 0009sched
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010auditidx'
down_revision = '0009sched'
branch_labels = None
depends_on = None

NAME = "ix_audit_log_portal_failures"
WHERE = "action = 'portal.signin.failure'"


def upgrade() -> None:
    op.create_index(NAME, "audit_log", ["target", "at", "action"], sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index(NAME, table_name="audit_log")
