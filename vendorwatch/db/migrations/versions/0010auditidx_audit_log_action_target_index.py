"""An index on the audit log's action, target and time.

The dashboard's portal contacts count each account's failed sign-ins of the last 30 days
(``action = 'portal.signin.failure' AND target IN (...) AND at >= ...``, ``vendorwatch/views/portal_contacts.py``):
without an index both databases read the whole log. The index serves it with one seek per account (covering:
the count reads no table row), and the other lookups of one action (the staff's recent sign-ins, the digest's
risk acceptances) with a range of it.

A plain ``CREATE INDEX`` on both databases: the table is not rebuilt, its append-only triggers stay.

Revision ID: 0010auditidx
Revises: 0009sched
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0010auditidx'
down_revision = '0009sched'
branch_labels = None
depends_on = None

NAME = "ix_audit_log_action_target_at"


def upgrade() -> None:
    op.create_index(NAME, "audit_log", ["action", "target", "at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="audit_log")
