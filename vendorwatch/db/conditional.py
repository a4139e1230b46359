"""Schema items that exist on one database only (``Index(...).ddl_if(dialect=...)``), for Alembic too.

SQLAlchemy's ``create_all`` honours ``ddl_if``; Alembic's comparison does not, so the migration check
and the Alembic environment ask ``include_object`` whether an item belongs to the database at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def applies_to(item: Any, dialect_name: str) -> bool:
    """Whether a schema item is meant for this database (items without ``ddl_if`` are meant for all)."""
    condition = getattr(item, "_ddl_if", None)
    if condition is None or condition.dialect is None:
        return True
    wanted = condition.dialect
    return dialect_name in (wanted if isinstance(wanted, (list, tuple, set, frozenset)) else (wanted,))


def include_object(dialect_name: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook that leaves out the model's items meant for another database."""

    def include(item: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        return reflected or applies_to(item, dialect_name)

    return include
