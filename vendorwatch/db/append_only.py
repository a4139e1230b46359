"""Database triggers that make the audit log (and the digests) append-only: created by the migrations, checked
by ``audit verify``, restored by ``init`` when someone with the database's rights removed or disabled them."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import op
from sqlalchemy import Connection, inspect, text

_SQLITE = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_POSTGRES = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def create_audit_triggers() -> None:
    """Refuse UPDATE and DELETE on the audit log at the database itself."""
    statements = _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES
    for statement in statements:
        op.execute(statement)


def drop_audit_triggers() -> None:
    """Undo ``create_audit_triggers`` (downgrade only)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")


# --- the protections in force, checked by `audit verify` and restored by `init` -----------------------------

PROTECTED_TABLES = ("audit_log", "digests", "digest_deliveries")
_PG_FUNCTIONS = {"audit_log": "audit_log_append_only", "digests": "digest_append_only",
                 "digest_deliveries": "digest_append_only"}
_PG_FUNCTION_SQL = {
    "audit_log_append_only": _POSTGRES[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    "digest_append_only": """CREATE OR REPLACE FUNCTION digest_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql""",
}


@dataclass(frozen=True)
class Protection:
    """One database object that refuses changes to an append-only table."""

    table: str
    name: str  # the trigger's name
    what: str  # what it refuses, for the message

    @property
    def label(self) -> str:
        """``audit_log: trigger audit_log_no_update (UPDATE)``."""
        return f"{self.table}: trigger {self.name} ({self.what})"


def expected_protections(dialect: str, tables: tuple[str, ...] = PROTECTED_TABLES) -> list[Protection]:
    """The triggers each append-only table must have on this kind of database."""
    out: list[Protection] = []
    for table in tables:
        if dialect == "sqlite":
            out += [Protection(table, f"{table}_no_update", "UPDATE"), Protection(table, f"{table}_no_delete", "DELETE")]
        else:
            out += [Protection(table, f"{table}_no_change", "UPDATE, DELETE"),
                    Protection(table, f"{table}_no_truncate", "TRUNCATE")]
    return out


def missing_protections(connection: Connection, tables: tuple[str, ...] = PROTECTED_TABLES) -> list[str]:
    """What is not in place (a trigger dropped, disabled or made harmless, a rule added); empty when all is."""
    dialect = connection.dialect.name
    present = set(inspect(connection).get_table_names())
    problems = [f"{table}: the table is missing" for table in tables if table not in present]
    tables = tuple(t for t in tables if t in present)
    if dialect == "sqlite":
        rows = connection.execute(text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
        triggers = {name: (table, " ".join((sql or "").split())) for name, table, sql in rows}
        for protection in expected_protections(dialect, tables):
            found = triggers.get(protection.name)
            if found is None or found[0] != protection.table:
                problems.append(f"{protection.label}: missing")
            elif ("RAISE(ABORT" not in found[1] or " WHEN " in found[1].upper()
                  or f"BEFORE {protection.what} ON {protection.table} " not in found[1]):
                problems.append(f"{protection.label}: replaced by one that does not refuse the change")
        return problems
    rows = connection.execute(text(
        "SELECT c.relname, t.tgname, t.tgenabled, p.proname, p.prosrc FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(:tables)"), {"tables": list(tables)})
    found_pg = {(table, name): (enabled, function, source) for table, name, enabled, function, source in rows}
    for protection in expected_protections(dialect, tables):
        trigger = found_pg.get((protection.table, protection.name))
        if trigger is None:
            problems.append(f"{protection.label}: missing")
        elif trigger[0] not in ("O", "A"):  # D: disabled; R: fires only for replication
            problems.append(f"{protection.label}: disabled")
        elif trigger[1] != _PG_FUNCTIONS[protection.table] or "RAISE EXCEPTION" not in trigger[2]:
            problems.append(f"{protection.label}: calls a function that does not refuse the change")
    rules = connection.execute(text("SELECT tablename, rulename FROM pg_rules WHERE tablename = ANY(:tables)"),
                               {"tables": list(tables)})
    problems += [f"{table}: rule {rule} rewrites statements on the table" for table, rule in rules]
    return problems


def restore_protections(connection: Connection, tables: tuple[str, ...] = PROTECTED_TABLES) -> list[str]:
    """Put back every protection ``missing_protections`` reports; returns what it reported (empty: nothing done).

    A missing table cannot be restored here (its entries are gone): it stays reported.
    """
    problems = missing_protections(connection, tables)
    if not problems:
        return []
    present = set(inspect(connection).get_table_names())
    dialect = connection.dialect.name
    for table in (t for t in tables if t in present):
        if dialect == "sqlite":
            for protection in expected_protections(dialect, (table,)):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {protection.name}"))
                connection.execute(text(
                    f"CREATE TRIGGER {protection.name} BEFORE {protection.what} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"))
            continue
        function = _PG_FUNCTIONS[table]
        connection.execute(text(_PG_FUNCTION_SQL[function]))
        for rule in connection.execute(text("SELECT rulename FROM pg_rules WHERE tablename = :t"), {"t": table}).scalars():
            connection.execute(text(f'DROP RULE "{rule}" ON {table}'))
        change, truncate = expected_protections(dialect, (table,))
        connection.execute(text(f"DROP TRIGGER IF EXISTS {change.name} ON {table}"))
        connection.execute(text(f"DROP TRIGGER IF EXISTS {truncate.name} ON {table}"))
        connection.execute(text(f"CREATE TRIGGER {change.name} BEFORE UPDATE OR DELETE ON {table} "
                                f"FOR EACH ROW EXECUTE FUNCTION {function}()"))
        connection.execute(text(f"CREATE TRIGGER {truncate.name} BEFORE TRUNCATE ON {table} "
                                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"))
    return problems
