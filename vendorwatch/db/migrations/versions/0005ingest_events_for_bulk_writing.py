"""access_events for bulk writing: time-ordered unique key, no foreign keys, per-database check indexes.

- The unique key becomes (source_id, event_time, source_event_id): the same event read again has the same
  id and time and is still refused, and new events land at the end of the key instead of at random places.
- The foreign keys go: ``EventWriter`` checks the references of each batch in the batch's transaction.
- ``ix_access_events_principal_time`` goes on both databases (``ix_access_events_identity`` leads with the
  principal on SQLite; PostgreSQL hash-aggregates).
- PostgreSQL drops the wide covering indexes of 0004checks and gets a narrow (action, event_time) index;
  SQLite keeps them (it groups by reading an index in order, having no hash aggregation).

Revision ID: 0005ingest
Revises: 0004checks
Create Date: 2026-11-26 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005ingest'
down_revision = '0004checks'
branch_labels = None
depends_on = None

TABLE = "access_events"
OLD_KEY = ["source_id", "source_event_id"]
NEW_KEY = ["source_id", "event_time", "source_event_id"]
# The foreign keys of 0001 are unnamed; on SQLite, batch mode names them by this convention to drop them.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
FOREIGN_KEYS = [("source_id", "sources"), ("vendor_id", "vendors"), ("environment_id", "environments"),
                ("run_id", "collection_runs")]
WIDE = {
    "ix_access_events_action_outcome": ["action", "outcome", "principal", "environment_id", "vendor_id", "event_time"],
    "ix_access_events_identity": ["principal", "vendor_id", "principal_kind", "outcome", "source_ip", "event_time"],
}
CUSTOMER = ["vendor_id", "environment_id", "principal", "session_issuer", "source_ip", "outcome", "event_time"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a constraint in place: batch mode rebuilds the table (indexes included).
        with op.batch_alter_table(TABLE, recreate="always", naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint("uq_access_event", type_="unique")
            for column, parent in FOREIGN_KEYS:
                batch_op.drop_constraint(f"fk_{TABLE}_{column}_{parent}", type_="foreignkey")
            batch_op.create_unique_constraint("uq_access_event", NEW_KEY)
            batch_op.drop_index("ix_access_events_principal_time")
        return
    op.drop_constraint("uq_access_event", TABLE, type_="unique")
    op.create_unique_constraint("uq_access_event", TABLE, NEW_KEY)
    for foreign_key in sa.inspect(op.get_bind()).get_foreign_keys(TABLE):
        op.drop_constraint(foreign_key["name"], TABLE, type_="foreignkey")
    op.drop_index("ix_access_events_principal_time", table_name=TABLE)
    for name in (*WIDE, "ix_access_events_customer"):
        op.drop_index(name, table_name=TABLE)
    op.create_index("ix_access_events_action_time", TABLE, ["action", "event_time"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(TABLE, recreate="always") as batch_op:
            batch_op.drop_constraint("uq_access_event", type_="unique")
            batch_op.create_unique_constraint("uq_access_event", OLD_KEY)
            for column, parent in FOREIGN_KEYS:
                batch_op.create_foreign_key(f"fk_{TABLE}_{column}_{parent}", parent, [column], ["id"])
            batch_op.create_index("ix_access_events_principal_time", ["principal", "event_time"])
        return
    op.drop_index("ix_access_events_action_time", table_name=TABLE)
    for name, columns in WIDE.items():
        op.create_index(name, TABLE, columns)
    op.create_index("ix_access_events_customer", TABLE, CUSTOMER, postgresql_where=sa.text("customer_data = true"))
    op.create_index("ix_access_events_principal_time", TABLE, ["principal", "event_time"])
    for column, parent in FOREIGN_KEYS:
        op.create_foreign_key(f"fk_{TABLE}_{column}_{parent}", TABLE, parent, [column], ["id"])
    op.drop_constraint("uq_access_event", TABLE, type_="unique")
    op.create_unique_constraint("uq_access_event", TABLE, OLD_KEY)
