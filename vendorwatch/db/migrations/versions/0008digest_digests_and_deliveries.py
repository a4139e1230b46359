"""Monthly digests and their deliveries (the evidence of 3.2.6), append-only; findings about the firm itself.

- ``digests``: each production of a month's digest (HTML, text, PDF, their SHA-256, the audit head);
- ``digest_deliveries``: each attempt to mail one (recipients, the SMTP answer, the exact bytes);
- both refuse UPDATE and DELETE at the database, like the audit log;
- ``findings.vendor_id`` becomes nullable: "the November digest was not delivered" is the firm's finding, not a
  vendor's (it must not raise any vendor's risk score).

Revision ID: 0008digest
Revises: 0007dash
Create Date: 2026-12-01 07:17:58.585974
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import vendorwatch.db.types

revision = '0008digest'
down_revision = '0007dash'
branch_labels = None
depends_on = None

_APPEND_ONLY = ("digests", "digest_deliveries")
# Written out here rather than shared, so that this migration stays as it was whatever later code does.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
    """CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
)
_POSTGRES_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION digest_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION digest_append_only()""",
    """CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION digest_append_only()""",
)


def upgrade() -> None:
    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('produced_at', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('produced_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period_start', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('period_end', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('as_of', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('html_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('text_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('audit_entries', sa.Integer(), nullable=False),
    sa.Column('audit_head', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', 'language', 'revision', name='uq_digest_revision')
    )
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digests_month'), ['month'], unique=False)

    op.create_table('digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempted_at', vendorwatch.db.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', vendorwatch.db.types.UTCDateTime(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipients', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('accepted', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('refused', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('response', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('raw_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_deliveries_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index('ix_digest_deliveries_month_status', ['month', 'status'], unique=False)

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.alter_column('vendor_id',
               existing_type=sa.VARCHAR(),
               nullable=True)

    statements = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    for table in _APPEND_ONLY:
        for statement in statements:
            op.execute(statement.format(table=table))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _APPEND_ONLY:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS digest_append_only()")
    # Findings about the firm itself cannot exist in the older schema.
    op.execute("DELETE FROM finding_history WHERE finding_id IN (SELECT id FROM findings WHERE vendor_id IS NULL)")
    op.execute("DELETE FROM findings WHERE vendor_id IS NULL")
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.alter_column('vendor_id',
               existing_type=sa.VARCHAR(),
               nullable=False)

    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_deliveries_month_status')
        batch_op.drop_index(batch_op.f('ix_digest_deliveries_digest_id'))

    op.drop_table('digest_deliveries')
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digests_month'))

    op.drop_table('digests')
