"""Plain SQL for the import's batch reads and writes, and SQLite's page cache for its
duration."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

from ..models import Specialist


@contextlib.contextmanager
def sqlite_page_cache(kib: int) -> Iterator[None]:
    """SQLite's page cache raised to ``kib`` inside the block (no-op on other databases)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def specialists_where(field: str, values: list[str], fields: tuple[str, ...]) -> list[tuple]:
    """``fields`` of the specialists whose ``field`` is one of ``values``, in plain queries.

    The ORM prepares an ``__in`` lookup value by value, which costs more than the query
    itself on a batch of thousands. Booleans come back as stored (0/1 on SQLite), which
    compare equal to True/False.
    """
    columns = ", ".join(column(Specialist, name) for name in fields)
    found = []
    with connection.cursor() as cursor:
        for chunk in chunks(values):
            cursor.execute(
                f"SELECT {columns} FROM {table(Specialist)} "
                f"WHERE {column(Specialist, field)} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found += cursor.fetchall()
    return found


def chunks(values: list) -> Iterator[list]:
    """Slices small enough for any SQLite build (older ones bind at most 999 values)."""
    for start in range(0, len(values), 900):
        yield values[start : start + 900]


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def rows_insert(model, fields, rows, *, upsert_on: str | None = None, update=()) -> None:
    """One prepared INSERT (an upsert on ``upsert_on``) run over many rows.

    The ORM's bulk_create spends most of an import compiling SQL value by value; one
    statement with executemany is several times faster on SQLite and PostgreSQL alike.
    Values must already be database-ready (dates through connection.ops).
    """
    if not rows:
        return
    columns = ", ".join(column(model, name) for name in fields)
    sql = f"INSERT INTO {table(model)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    if upsert_on:
        assignments = ", ".join(
            f"{column(model, name)} = EXCLUDED.{column(model, name)}" for name in update
        )
        sql += f" ON CONFLICT ({column(model, upsert_on)}) DO UPDATE SET {assignments}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
