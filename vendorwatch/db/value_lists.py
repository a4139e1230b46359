"""``column IN (a long list)`` bound as one parameter: a JSON array on SQLite (``json_each``), an array on
PostgreSQL (``= ANY``). The database then scans once for the whole list instead of once per chunk of the
parameters a statement may hold (SQLite allows 32,766, PostgreSQL's protocol 65,535)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY


def in_values(column: ColumnElement[Any], values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (text), whatever their number, as one bound parameter."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    each = func.json_each(bindparam(None, orjson.dumps(list(values)).decode(), type_=String)).table_valued("value")
    return column.in_(select(each.c.value))
