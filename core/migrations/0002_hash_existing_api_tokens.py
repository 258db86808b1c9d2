"""Carry over the keys Django REST framework's token app stored in clear: each becomes an
ApiToken holding only its digest (valid 90 days from now, so running scripts keep working),
and the clear keys are deleted. The old table is left empty, not dropped."""

import datetime
import hashlib

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
CARRIED_OVER_DAYS = 90


def hash_clear_keys(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    table = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "key", "user_id", "created" FROM {table}')
        rows = cursor.fetchall()
        expires = timezone.now() + datetime.timedelta(days=CARRIED_OVER_DAYS)
        ApiToken.objects.bulk_create(
            ApiToken(
                user_id=user_id,
                name="carried over from the old token table",
                prefix=key[:8],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                created_at=_aware(created),
                expires_at=expires,
            )
            for key, user_id, created in rows
        )
        cursor.execute(f"DELETE FROM {table}")


def _aware(value) -> datetime.datetime:
    # SQLite hands raw timestamps back as naive UTC text.
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(hash_clear_keys, migrations.RunPython.noop)]
