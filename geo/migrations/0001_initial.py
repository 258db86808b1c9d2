# The street-geocoder cache moves here from specialists, keeping its rows: this migration
# only takes the model into geo's state (the table is still specialists_geocodedaddress);
# 0002 then renames the table.
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("specialists", "0004_drop_unused_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="GeocodedAddress",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("address_key", models.CharField(max_length=400, unique=True)),
                        ("latitude", models.FloatField(null=True)),
                        ("longitude", models.FloatField(null=True)),
                        ("geocoder", models.CharField(max_length=40)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "verbose_name_plural": "geocoded addresses",
                        "db_table": "specialists_geocodedaddress",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
