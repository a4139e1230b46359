"""Evidence that resists editing: a keyed signature on each audit entry, the process that owns a run.

- ``audit_log.mac``: HMAC-SHA256 of the entry's hash under the operator's audit key (when one is set), so that
  an entry appended by someone without the key is found by ``audit verify`` even with a correct hash chain;
- ``collection_runs.owner``: host, process id and process start of the run's process, so that the next run of
  the source can tell a run whose process was killed (marked ``interrupted``) from one still going.

Both are plain ``ADD COLUMN`` (nullable): the audit log is not rebuilt, its append-only triggers stay.

Revision ID: 0009tamper
Revises: 0009portal
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009tamper'
down_revision = '0009portal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_log', sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('collection_runs', sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite, which would drop the audit log's triggers with it.
    from vendorwatch.db.append_only import create_audit_triggers, drop_audit_triggers

    with op.batch_alter_table('collection_runs') as batch_op:
        batch_op.drop_column('owner')
    drop_audit_triggers()
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.drop_column('mac')
    create_audit_triggers()
