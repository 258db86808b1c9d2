import secrets

import django.utils.timezone
from django.db import migrations, models


def log_the_current_version(apps, schema_editor):
    """A row for the version the directory is at, so a snapshot built now can be checked
    against the database (a version without its row can never be)."""
    DirectoryVersion = apps.get_model("specialists", "DirectoryVersion")
    DirectoryChange = apps.get_model("specialists", "DirectoryChange")
    version, _ = DirectoryVersion.objects.get_or_create(pk=1)
    DirectoryChange.objects.get_or_create(
        version=version.number,
        defaults={"token": secrets.token_hex(8), "everything": True},
    )


class Migration(migrations.Migration):

    dependencies = [
        ("specialists", "0012_listing_corrections"),
    ]

    operations = [
        migrations.CreateModel(
            name="DirectoryChange",
            fields=[
                ("version", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
                ("specialist_ids", models.JSONField(blank=True, default=list)),
                ("institute_ids", models.JSONField(blank=True, default=list)),
                (
                    "catalog",
                    models.BooleanField(
                        default=False, help_text="Treatments, insurance plans or boards changed."
                    ),
                ),
                ("everything", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["version"],
                "indexes": [
                    models.Index(fields=["created_at"], name="directory_change_created_idx")
                ],
            },
        ),
        migrations.RunPython(log_the_current_version, migrations.RunPython.noop),
    ]
