"""Links in email name subscribers and e-book requests by a random public id instead of
the sequential row id. Existing rows get one each (links sent before this no longer
open: they carried the row id)."""

import uuid

from django.db import migrations, models


def give_public_ids(apps, schema_editor):
    for name in ("Subscriber", "EbookRequest"):
        model = apps.get_model("leads", name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = uuid.uuid4()
        model.objects.bulk_update(rows, ["public_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("leads", "0006_lead_message_permission")]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ebookrequest",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="ebookrequest",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
