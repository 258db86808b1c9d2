"""Patient-facing content for the catalog: treatment bodies and condition pages."""

from django.db import migrations


def create_content(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("specialists", "0002_catalog")]

    operations = [migrations.RunPython(create_content, migrations.RunPython.noop)]
