"""Formerly wrote the treatment and condition pages.

Kept, empty, because existing databases recorded it: the pages now come from the content
files under specialists/content/, written by the post_migrate loader
(specialists/management/__init__.py, specialists/catalog.py).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("specialists", "0002_catalog")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
