"""SQLite's check indexes in time order: new events are appended to them instead of spread over them.

0004checks led the identity index with the principal, and put it right after the first two columns of the
event-name and customer-data indexes, so that checks could group by principal reading an index in order.
Every batch of new events then landed at tens of thousands of places in indexes far larger than the page
cache. Led by a few low-cardinality columns and then the event time, the same covering columns take new
events at a handful of places. Checks group with a sort over the covering index instead.
The figures: docs/performance.md, "Migration 0006".

PostgreSQL has none of these indexes (0005ingest): nothing changes there.

Revision ID: 0006timeled
Revises: 0005ingest
Create Date: 2026-11-26 13:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006timeled'
down_revision = '0005ingest'
branch_labels = None
depends_on = None

TABLE = "access_events"
CUSTOMER_ONLY = sa.text("customer_data = 1")
NEW = {
    "ix_access_events_action_outcome": ["action", "outcome", "event_time", "principal", "environment_id",
                                        "vendor_id"],
    "ix_access_events_identity": ["principal_kind", "outcome", "event_time", "principal", "vendor_id", "source_ip"],
    "ix_access_events_customer": ["vendor_id", "environment_id", "outcome", "event_time", "principal",
                                  "session_issuer", "source_ip"],
}
OLD = {
    "ix_access_events_action_outcome": ["action", "outcome", "principal", "environment_id", "vendor_id",
                                        "event_time"],
    "ix_access_events_identity": ["principal", "vendor_id", "principal_kind", "outcome", "source_ip", "event_time"],
    "ix_access_events_customer": ["vendor_id", "environment_id", "principal", "session_issuer", "source_ip",
                                  "outcome", "event_time"],
}


def _replace(layout: dict[str, list[str]]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in layout.items():
        op.drop_index(name, table_name=TABLE)
        where = CUSTOMER_ONLY if name == "ix_access_events_customer" else None
        op.create_index(name, TABLE, columns, sqlite_where=where)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
