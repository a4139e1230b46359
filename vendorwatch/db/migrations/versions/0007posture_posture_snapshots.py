"""Posture snapshots: each vendor's score, coverage and open findings as each day's last evaluation left them.

Revision ID: 0007posture
Revises: 0006timeled
Create Date: 2026-12-01 07:10:27.661648
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import vendorwatch.db.types

revision = '0007posture'
down_revision = '0006timeled'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('posture_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('vendor_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evaluated_at', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('own_points', sa.Integer(), nullable=False),
    sa.Column('rolled_up_points', sa.Integer(), nullable=False),
    sa.Column('coverage', sa.Float(), nullable=False),
    sa.Column('sources', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('open_by_severity', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('open_by_control', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'vendor_id', name='uq_posture_day_vendor')
    )
    with op.batch_alter_table('posture_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posture_snapshots_day'), ['day'], unique=False)
        batch_op.create_index('ix_posture_vendor_month', ['vendor_id', 'month'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('posture_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_posture_vendor_month')
        batch_op.drop_index(batch_op.f('ix_posture_snapshots_day'))

    op.drop_table('posture_snapshots')
