"""When a finding's condition happened: the first and last time of its evidence events.

``evaluated`` (``first_seen``/``last_seen``) says when VendorWatch saw the condition; these say when the events
that prove it took place, so that a finding about a past incident can be told from one still happening (a
finding resolved by a person reopens only on events after its resolution).

Revision ID: 0009trust
Revises: 0008digest
Create Date: 2026-12-01 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vendorwatch.db.types

revision = '0009trust'
down_revision = '0008digest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings') as batch_op:
        batch_op.add_column(sa.Column('first_event_at', vendorwatch.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_event_at', vendorwatch.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch_op:
        batch_op.drop_column('last_event_at')
        batch_op.drop_column('first_event_at')
