"""A list of any length bound as one parameter, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select

from vendorwatch.db.value_lists import in_values


def test_forty_thousand_values_in_one_parameter(engine: Engine) -> None:
    # More than either database binds as separate parameters (SQLite 32,766; PostgreSQL 65,535 in all).
    table = Table("value_list_probe", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    table.create(engine)
    try:
        with engine.begin() as connection:
            connection.execute(insert(table), [{"id": n, "name": f"e{n}"} for n in range(1, 101)])
            wanted = [f"e{n}" for n in range(0, 80_000, 2)]  # 40,000 names, 50 of them stored
            found = connection.execute(select(table.c.id).where(in_values(table.c.name, wanted,
                                                                          engine.dialect.name))).scalars().all()
            none = connection.execute(select(table.c.id).where(in_values(table.c.name, [], engine.dialect.name))).all()
    finally:
        table.drop(engine)
    assert sorted(found) == list(range(2, 101, 2)) and none == []
