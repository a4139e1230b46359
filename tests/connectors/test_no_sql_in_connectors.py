"""Connectors read; ingest writes: no module under ``connectors/`` talks to the database itself.

The check reads every module's syntax tree: no database library is imported (SQLAlchemy, SQLModel, the
drivers), nothing of ``vendorwatch.db`` but the ``CollectionRun`` a collection returns, no call of a
session's or connection's SQL methods, and no SQL text. The second test shows the check failing on a
module that does each of these.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "psycopg", "psycopg2", "sqlite3", "alembic")
ALLOWED_FROM_DB = {("vendorwatch.db.tables", "CollectionRun")}
SQL_METHODS = {"execute", "executemany", "exec", "scalar", "scalars", "scalar_one", "begin", "connect",
               "commit", "rollback", "add_all"}
SQL_TEXT = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b",
                      re.IGNORECASE | re.DOTALL)


def database_use(source: str) -> list[str]:
    """Every place a module's source uses the database directly, as ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in DATABASE_LIBRARIES or alias.name.startswith("vendorwatch.db"):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in DATABASE_LIBRARIES:
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module.startswith("vendorwatch.db"):
                found += [f"{node.lineno}: from {node.module} import {alias.name}" for alias in node.names
                          if (node.module, alias.name) not in ALLOWED_FROM_DB]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS:
            found.append(f"{node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"{node.lineno}: SQL text {node.value[:40]!r}")
    return found


def test_no_connector_module_uses_the_database() -> None:
    modules = sorted(CONNECTORS.rglob("*.py"))
    assert len(modules) > 20  # the walk found the packages
    offenders = {str(path.relative_to(CONNECTORS)): uses for path in modules
                 if (uses := database_use(path.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_check_finds_each_kind_of_database_use() -> None:
    source = '''
import sqlite3
from sqlalchemy import select
from sqlmodel import Session
from vendorwatch.db.tables import CollectionRun, SourceObject
from vendorwatch.db.engine import session_scope

def load(engine, rows):
    with Session(engine) as session:
        session.exec(select(SourceObject))
    with engine.begin() as connection:
        connection.execute("UPDATE source_objects SET status = 'x'")
    return "insert into access_events values (?)"
'''
    uses = database_use(source)
    assert [use.split(": ", 1)[1] for use in uses if not use.split(": ", 1)[1].startswith(".")][:5] == [
        "import sqlite3", "from sqlalchemy import ...", "from sqlmodel import ...",
        "from vendorwatch.db.tables import SourceObject", "from vendorwatch.db.engine import session_scope",
    ]
    assert {use.split(": ", 1)[1] for use in uses} >= {".exec(...)", ".begin(...)", ".execute(...)"}
    assert sum("SQL text" in use for use in uses) == 2
    assert database_use("from vendorwatch.db.tables import CollectionRun\n") == []
