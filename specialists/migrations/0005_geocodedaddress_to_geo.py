# GeocodedAddress now belongs to geo (geo/migrations/0001_initial.py takes over the table).
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("specialists", "0004_drop_unused_indexes"),
        ("geo", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="GeocodedAddress")],
            database_operations=[],
        ),
    ]
