"""Indexes for the checks: event names, identities (index-only grouping), customer-data events (partial).

Revision ID: 0004checks
Revises: 0001
Create Date: 2026-11-26 07:51:25.343360
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004checks'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.create_index('ix_access_events_action_outcome', ['action', 'outcome', 'principal', 'environment_id',
                                                                   'vendor_id', 'event_time'], unique=False)
        batch_op.create_index('ix_access_events_customer', ['vendor_id', 'environment_id', 'principal', 'session_issuer', 'source_ip', 'outcome', 'event_time'], unique=False, sqlite_where=sa.text('customer_data = 1'), postgresql_where=sa.text('customer_data = true'))
        batch_op.create_index('ix_access_events_identity', ['principal', 'vendor_id', 'principal_kind', 'outcome', 'source_ip', 'event_time'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_index('ix_access_events_identity')
        batch_op.drop_index('ix_access_events_customer', sqlite_where=sa.text('customer_data = 1'), postgresql_where=sa.text('customer_data = true'))
        batch_op.drop_index('ix_access_events_action_outcome')

