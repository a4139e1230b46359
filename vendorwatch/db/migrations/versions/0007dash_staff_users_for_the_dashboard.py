"""Staff users of the dashboard: local accounts (argon2 hash, lockout) and accounts matched by OIDC e-mail.

Revision ID: 0007dash
Revises: 0007quest
Create Date: 2026-12-01 07:11:47
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import vendorwatch.db.types

revision = '0007dash'
down_revision = '0007quest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('password_changed_at', vendorwatch.db.types.UTCDateTime(), nullable=True),
        sa.Column('failed_attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', vendorwatch.db.types.UTCDateTime(), nullable=True),
        sa.Column('last_signin_at', vendorwatch.db.types.UTCDateTime(), nullable=True),
        sa.Column('disabled_at', vendorwatch.db.types.UTCDateTime(), nullable=True),
        sa.Column('created_at', vendorwatch.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
        sa.UniqueConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('staff_users')
