"""Alembic environment: the engine comes from VendorWatch, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import vendorwatch.db.tables  # noqa: F401  (registers the tables on the metadata)
from vendorwatch.db.engine import make_engine
from vendorwatch.settings import get_settings

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
