"""Planner hints SQL itself cannot give: a term SQLite must not answer from an index.

SQLite plans without statistics (VendorWatch never runs ANALYZE): it takes an index for any equality or ``IN``
term it can, even when reading the table backwards along its primary key would stop after a few rows. The
unary ``+`` SQLite documents for this (``+column``) keeps a term off the indexes; other databases get the
column as it is (their planners weigh the choice with statistics).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T")


class Unindexed(ColumnElement[T]):
    """A column that SQLite must not look up in an index (see :func:`unindexed`)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012 (SQLAlchemy's own)

    def __init__(self, column: ColumnElement[T]) -> None:
        self.column = column
        self.type = column.type


def unindexed(column: ColumnElement[T]) -> ColumnElement[T]:
    """``column`` in a term SQLite answers by reading rows, not from an index: ``+column`` on SQLite."""
    return Unindexed(column)


@compiles(Unindexed)
def _as_it_is(element: Unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _plus(element: Unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)
