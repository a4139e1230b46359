"""Alembic environment: the engine comes from VendorWatch, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import vendorwatch.db.tables  # noqa: F401  (registers the tables on the metadata)
from vendorwatch.db.conditional import include_object
from vendorwatch.db.engine import make_engine
from vendorwatch.settings import get_settings

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().database_url)

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A table rebuild (batch mode) drops and renames tables that others reference: SQLite's foreign
        # keys are off while migrating and every reference is checked before the end.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_object=include_object(connection.dialect.name),
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
