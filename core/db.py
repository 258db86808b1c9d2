"""Writing several tables' new rows in one database round trip."""

import datetime
import decimal
import ipaddress
import uuid
from collections.abc import Sequence

import orjson
from django.db import connection, models
from django.db.models import Model

# Fields whose attribute values PostgreSQL reads from JSON as they are (text, numbers,
# booleans, UUIDs, datetimes with their offset); any other field's value is first made
# what Django would send.
PLAIN_FIELDS = frozenset(
    {
        models.BigAutoField,
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.DateTimeField,
        models.EmailField,
        models.FloatField,
        models.ForeignKey,
        models.GenericIPAddressField,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SlugField,
        models.SmallIntegerField,
        models.TextField,
        models.UUIDField,
    }
)
PLAIN_VALUES = (str, int, float, uuid.UUID, type(None))
# What Django's preparation may turn a value into that JSON carries too (as text).
PREPARED_VALUES = (
    *PLAIN_VALUES,
    datetime.date,
    datetime.time,
    decimal.Decimal,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
)


def rows_insert(*groups: Sequence[Model]) -> None:
    """Insert unsaved rows, each group of one model, in the order given; database-made
    primary keys are set on the rows, as ``bulk_create`` does. No signals are sent.

    On PostgreSQL this is one statement: one INSERT per group, chained as a WITH query,
    each reading its rows from one JSON parameter. A lead, its matches and its outbox rows
    thus cost one round trip and one short statement whatever their number, rather than
    the ORM's quoting of every value into the SQL (most of a lead's CPU in the web
    process). Rows may refer to rows of an earlier group: Django's foreign keys are
    checked at commit. Elsewhere each group is a ``bulk_create``.
    """
    groups = [list(rows) for rows in groups if rows]
    if not groups:
        return
    if connection.vendor != "postgresql":
        for rows in groups:
            type(rows[0])._default_manager.bulk_create(rows)
        return
    quote = connection.ops.quote_name
    inserts, params, returning = [], [], []
    for index, rows in enumerate(groups):
        meta = rows[0]._meta
        fields = [
            field
            for field in meta.local_concrete_fields
            if not field.db_returning and not field.generated
        ]
        params.append(orjson.dumps([_row_json(row, fields) for row in rows]).decode())
        columns = ", ".join(quote(field.column) for field in fields)
        table = quote(meta.db_table)
        insert = (
            f"g{index} AS (INSERT INTO {table} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{table}, %s::json)"
        )
        if meta.pk.db_returning:
            insert += f" RETURNING {quote(meta.pk.column)}"
            returning.append(index)
        inserts.append(insert + ")")
    # Each group's new keys, tagged with the group: RETURNING follows the JSON array's
    # order (as Django's own bulk insert relies on), while UNION ALL promises no order
    # between branches.
    select = (
        " UNION ALL ".join(f"SELECT {index}, * FROM g{index}" for index in returning)
        or "SELECT 0, NULL WHERE FALSE"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(inserts)} {select}", params)
        made = {index: [] for index in returning}
        for index, key in cursor.fetchall():
            made[index].append(key)
    for index, rows in enumerate(groups):
        keys = iter(made.get(index, ()))
        for row in rows:
            if index in made:
                row.pk = next(keys)
            row._state.adding, row._state.db = False, connection.alias


def _row_json(row: Model, fields: list) -> dict:
    values = {}
    for field in fields:
        value = field.pre_save(row, True)
        if type(field) not in PLAIN_FIELDS or not (
            isinstance(value, PLAIN_VALUES)
            or (isinstance(value, datetime.datetime) and value.tzinfo is not None)
        ):
            value = field.get_db_prep_save(value, connection)
            if not isinstance(value, PREPARED_VALUES):
                raise TypeError(f"rows_insert cannot write {field} ({type(value).__name__})")
            if not isinstance(value, PLAIN_VALUES):
                value = (
                    value.isoformat()
                    if isinstance(value, datetime.date | datetime.time)
                    else str(value)
                )
        values[field.column] = value
    return values
